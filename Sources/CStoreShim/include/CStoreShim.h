#ifndef CSTORESHIM_H
#define CSTORESHIM_H

/// Asks SQLite not to checkpoint and delete the write-ahead log when this connection closes
/// (SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE). `connection` is a `sqlite3 *`. Returns an SQLite result
/// code. A C wrapper because `sqlite3_db_config` is variadic, which Swift cannot call.
int mg_sqlite_keep_log_on_close(void *connection);

#endif
