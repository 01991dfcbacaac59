/// The lineage database's schema: an append-only list of migrations (docs/STORE-FORMAT.md documents it).
enum Schema {
    /// The schema version a store written by this framechain has: the number of migrations.
    static var version: Int { migrator.identifiers.count }

    static let migrator: Migrator = {
        var migrator = Migrator()
        migrator.register("v1-lineage") { db in
            try db.execute(
                """
                CREATE TABLE blobs (
                    digest     TEXT PRIMARY KEY NOT NULL CHECK (length(digest) = 71 AND digest LIKE 'sha256:%'),
                    size       INTEGER NOT NULL CHECK (size >= 0),
                    media_type TEXT,
                    created_at TEXT NOT NULL
                );
                CREATE TABLE generations (
                    key           TEXT PRIMARY KEY NOT NULL,
                    request       TEXT NOT NULL,
                    output        TEXT NOT NULL REFERENCES blobs(digest),
                    backend       TEXT NOT NULL,
                    model         TEXT NOT NULL,
                    model_version TEXT,
                    provider_id   TEXT,
                    usage         TEXT,
                    created_at    TEXT NOT NULL,
                    duration_ms   INTEGER NOT NULL
                );
                CREATE INDEX generations_output ON generations(output);
                CREATE TABLE generation_inputs (
                    key      TEXT NOT NULL REFERENCES generations(key),
                    position INTEGER NOT NULL,
                    digest   TEXT NOT NULL REFERENCES blobs(digest),
                    PRIMARY KEY (key, position)
                );
                CREATE INDEX generation_inputs_digest ON generation_inputs(digest);
                CREATE TABLE requests (
                    key     TEXT PRIMARY KEY NOT NULL,
                    request TEXT NOT NULL
                );
                CREATE TABLE runs (
                    id                TEXT PRIMARY KEY NOT NULL,
                    plan_name         TEXT NOT NULL,
                    plan              TEXT NOT NULL REFERENCES blobs(digest),
                    plan_path         TEXT,
                    initial_reference TEXT REFERENCES blobs(digest),
                    takes             TEXT NOT NULL DEFAULT '{}',
                    started_at        TEXT NOT NULL,
                    finished_at       TEXT,
                    status            TEXT NOT NULL
                                      CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted')),
                    mode              TEXT NOT NULL,
                    pid               INTEGER
                );
                CREATE INDEX runs_plan_name ON runs(plan_name, started_at);
                CREATE TABLE run_links (
                    run_id   TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    node     TEXT NOT NULL,
                    position INTEGER NOT NULL,
                    key      TEXT,
                    output   TEXT REFERENCES blobs(digest),
                    outcome  TEXT NOT NULL CHECK (outcome IN ('hit', 'generated', 'failed', 'skipped')),
                    reason   TEXT,
                    error    TEXT,
                    PRIMARY KEY (run_id, node)
                );
                CREATE INDEX run_links_output ON run_links(output);
                """)
        }
        // A lease per key being generated, so that two processes running the same plan pay once (docs/STORE-FORMAT.md).
        migrator.register("v2-leases") { db in
            try db.execute(
                """
                CREATE TABLE leases (
                    key         TEXT PRIMARY KEY NOT NULL,
                    pid         INTEGER NOT NULL,
                    run_id      TEXT NOT NULL,
                    acquired_at TEXT NOT NULL,
                    expires_at  INTEGER NOT NULL
                );
                """)
        }
        // Where a generation came from: NULL when it was generated here (or imported from a bundle), 'remote' when
        // it was fetched from a remote cache (docs/REMOTE.md). Never the remote's address, which may hold a
        // credential.
        migrator.register("v2-generation-origin") { db in
            try db.execute(
                "ALTER TABLE generations ADD COLUMN origin TEXT CHECK (origin IS NULL OR origin IN ('remote'))")
        }
        // The cost ledger: what each generation cost, in the plan's pricing unit, and how it was computed.
        migrator.register("v2-generation-costs") { db in
            try db.execute(
                """
                ALTER TABLE generations ADD COLUMN cost REAL CHECK (cost IS NULL OR cost >= 0);
                ALTER TABLE generations ADD COLUMN cost_basis TEXT;
                """)
        }
        // Documents of a provider's API that `framechain serve` keeps so that it can answer reads without the network
        // (a Replicate model version, which the replicate client asks for after a create by version); the bytes are
        // a blob (docs/PROXY.md).
        migrator.register("v2-provider-documents") { db in
            try db.execute(
                """
                CREATE TABLE provider_documents (
                    address    TEXT PRIMARY KEY NOT NULL,
                    body       TEXT NOT NULL REFERENCES blobs(digest),
                    fetched_at TEXT NOT NULL
                );
                """)
        }
        return migrator
    }()
}
