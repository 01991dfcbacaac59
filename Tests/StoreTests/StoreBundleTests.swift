import Foundation
import Testing

@testable import Store

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite struct StoreBundleTests {
    /// A store at `directory/store` holding one run of one generated link, exported to `directory/bundle`.
    struct Fixture {
        let directory: String
        let store: Store
        let key: Digest
        let output: Digest
        let initial: Digest
        var bundle: String { directory + "/bundle" }

        init() throws {
            directory = NSTemporaryDirectory() + "/framechain-bundle-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            store = try Store(directory: directory + "/store")
            let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
            let plan = try store.put(bytes: Array("{\"name\":\"p\"}".utf8)).digest
            initial = try store.put(bytes: png + Array("initial".utf8)).digest
            let request = "{\"inputs\":[\"\(initial)\"],\"prompt\":\"a bottle\"}"
            key = SHA256.hash(data: Array(request.utf8))
            let bytes = png + Array("output".utf8)
            output = SHA256.hash(data: bytes)
            try store.begin(
                run: RunRecord(
                    id: "run-1", planName: "p", plan: plan, planPath: nil, initialReference: initial, takes: "{}",
                    startedAt: Timestamp.now(), finishedAt: nil, status: .running, mode: "generate",
                    processID: Int(getpid())))
            try store.commit(
                generatedBytes: bytes,
                generation: GenerationRecord(
                    key: key, request: request, output: output, backend: "b", model: "m", createdAt: Timestamp.now(),
                    durationMilliseconds: 1, inputs: [initial]),
                link: RunLinkRecord(
                    node: "ref/1", position: 0, key: key, output: output, outcome: .generated, reason: "new", error: nil
                ),
                runID: "run-1")
            try store.finish(runID: "run-1", status: .succeeded)
            _ = try StoreBundle.export(runID: "run-1", from: store, to: directory + "/bundle")
        }

        /// Runs SQL against the bundle file.
        func damage(_ sql: String) throws {
            let db = try Database(path: bundle, create: false)
            try db.execute("PRAGMA journal_mode = DELETE")
            try db.execute(sql)
        }

        /// Imports the bundle into a store that does not exist yet, expecting `message`; the store must still not
        /// exist afterwards.
        func expectRejected(_ message: String) throws {
            let target = directory + "/target-\(UUID().uuidString)"
            let error = #expect(throws: StoreError.self) {
                try StoreBundle.importBundle(at: bundle, intoStoreAt: target)
            }
            #expect(error?.code == .invalidInput)
            #expect(error?.description == "\(bundle) is not a valid bundle: \(message)")
            #expect(!FileManager.default.fileExists(atPath: target))
        }
    }

    @Test func aRoundTripCarriesTheRunItsGenerationAndEveryBlob() throws {
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(atPath: fixture.directory) }
        let summary = try StoreBundle.importBundle(at: fixture.bundle, intoStoreAt: fixture.directory + "/copy")
        #expect(summary.runIDs == ["run-1"])
        #expect(summary.blobsAdded == 3)
        #expect(summary.generations == 1)
        let copy = try Store(directory: fixture.directory + "/copy")
        #expect(try copy.generation(for: fixture.key) == (try fixture.store.generation(for: fixture.key)))
        #expect(try copy.links(ofRun: "run-1") == (try fixture.store.links(ofRun: "run-1")))
        #expect(try copy.run(id: "run-1")?.mode == "import")
        #expect(try copy.contents(of: fixture.output) == (try fixture.store.contents(of: fixture.output)))
        #expect(try copy.verify().ok)
    }

    @Test func exportRefusesAnExistingFile() throws {
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(atPath: fixture.directory) }
        let error = #expect(throws: StoreError.self) {
            try StoreBundle.export(runID: "run-1", from: fixture.store, to: fixture.bundle)
        }
        #expect(error?.description == "\(fixture.bundle) already exists; remove it or choose another name")
    }

    @Test func eachKindOfBadBundleIsRejectedBeforeAStoreIsCreated() throws {
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(atPath: fixture.directory) }
        let pristine = try Data(contentsOf: URL(fileURLWithPath: fixture.bundle))
        func reset() throws { try pristine.write(to: URL(fileURLWithPath: fixture.bundle)) }

        try Data("not a database".utf8).write(to: URL(fileURLWithPath: fixture.bundle))
        try fixture.expectRejected("file is not a database")

        try reset()
        let flipped: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array("outpus".utf8)
        let hex = flipped.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
        try fixture.damage("UPDATE blob_data SET bytes = X'\(hex.joined())' WHERE digest = '\(fixture.output)'")
        let altered = SHA256.hash(data: flipped)
        try fixture.expectRejected("the bytes of blob \(fixture.output) hash to \(altered)")

        try reset()
        try fixture.damage("UPDATE generations SET request = '{}'")
        try fixture.expectRejected(
            "generation \(fixture.key): its request text hashes to \(SHA256.hash(data: Array("{}".utf8)))")

        try reset()
        try fixture.damage("UPDATE runs SET initial_reference = 'sha256:../../../etc/passwd'")
        try fixture.expectRejected(
            "runs.initial_reference of run-1 \"sha256:../../../etc/passwd\" is not a digest (sha256:<64 lowercase hex>)"
        )

        try reset()
        try fixture.damage("UPDATE bundle_meta SET value = 'framechain.bundle/v0' WHERE key = 'format'")
        try fixture.expectRejected("bundle_meta.format is not framechain.bundle/v1")

        try reset()
        try fixture.damage("DELETE FROM blob_data WHERE digest = '\(fixture.initial)'")
        try fixture.expectRejected("blob \(fixture.initial) has a row but no bytes")
    }

    @Test func aReferenceToABlobNeitherInTheBundleNorTheStoreIsRejected() throws {
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(atPath: fixture.directory) }
        try fixture.damage(
            "DELETE FROM blob_data WHERE digest = '\(fixture.initial)'; DELETE FROM blobs WHERE digest = '\(fixture.initial)'"
        )
        let target = fixture.directory + "/target"
        let error = #expect(throws: StoreError.self) {
            try StoreBundle.importBundle(at: fixture.bundle, intoStoreAt: target)
        }
        #expect(
            error?.description
                == "\(fixture.bundle) is not a valid bundle: blob \(fixture.initial) is referenced but neither in the "
                + "bundle nor in the store")
        // The store the initial image is in accepts the same bundle: it already has the run, identical.
        let summary = try StoreBundle.importBundle(at: fixture.bundle, intoStoreAt: fixture.directory + "/store")
        #expect(summary.blobsAdded == 0)
        #expect(summary.unchanged.count == 1)
        #expect(summary.runIDs.isEmpty)
    }
}
