#include <sqlite3.h>

// sqlite3_db_config is variadic, which Swift cannot call: these inline wrappers expose the options we use.

/// Turns off the checkpoint SQLite runs when the last connection to a WAL database closes, so that a short
/// command does not pay for copying the whole WAL into the database and syncing it; the WAL is still
/// checkpointed automatically once it passes 1,000 pages.
static inline int framechain_sqlite3_disable_checkpoint_on_close(sqlite3 *db) {
    return sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)0);
}
