import CStoreShim
import Foundation
import GRDB
import ModelgateCore

/// The store in one SQLite file (`STATE/modelgate.sqlite`), through GRDB.
///
/// WAL mode, so readers (an auditor's export) never block writers. Several processes may write
/// at once (the CLI beside the server): every write is one `BEGIN IMMEDIATE` transaction that
/// takes the write lock before it reads the chain's head, so two appends can never link to the
/// same event, and a writer that finds the lock taken waits (busy timeout) instead of failing.
package final class SQLiteStore: GatewayStore {
    let database: any DatabaseWriter
    /// Where times come from; tests set it to cross days and years.
    let clock: @Sendable () -> Date

    /// The file name of the store inside a state folder.
    package static let fileName = "modelgate.sqlite"

    /// Opens (creating if needed) the store of a state folder and brings its schema up to date.
    package convenience init(state: URL, clock: @escaping @Sendable () -> Date = { Date() }, pooled: Bool = false)
        throws
    {
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        try self.init(path: state.appendingPathComponent(Self.fileName).path, clock: clock, pooled: pooled)
    }

    /// `pooled`: a writer and concurrent readers (for a long-running server); otherwise one
    /// connection, which is what a one-job command wants: it opens in a fraction of the time,
    /// since GRDB's pool checks and prepares the log file with extra file-system calls.
    package init(path: String, clock: @escaping @Sendable () -> Date = { Date() }, pooled: Bool = false) throws {
        var configuration = Configuration()
        // A writer waits this long for another process's transaction before giving up.
        configuration.busyMode = .timeout(30)
        if !pooled {
            configuration.prepareDatabase { db in
                // What GRDB's pool does for its writer: the log mode (a property of the file,
                // kept once set) and the sync level WAL is designed for (see `write`).
                try db.execute(sql: "PRAGMA journal_mode = WAL")
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
                // Leave the log for the next command instead of folding it into the database and
                // deleting it at every exit (two fsyncs, and a new log with two more next time).
                // SQLite still checkpoints it as it grows, in whichever process commits.
                let code = mg_sqlite_keep_log_on_close(UnsafeMutableRawPointer(db.sqliteConnection))
                guard code == 0 else { throw DatabaseError(resultCode: ResultCode(rawValue: code)) }
            }
        }
        do {
            database =
                pooled
                ? try DatabasePool(path: path, configuration: configuration)
                : try DatabaseQueue(path: path, configuration: configuration)
            // The schema version is also kept in `user_version`, one read at open, so that a
            // one-job command skips the migrator's own bookkeeping when nothing is to be done.
            let version = try database.read { try Int.fetchOne($0, sql: "PRAGMA user_version") } ?? 0
            if version < Self.schemaVersion {
                do {
                    try Self.migrator.migrate(database)
                } catch {
                    // Two processes creating the same new store at once: the loser finds the
                    // schema the winner made. GRDB reads which migrations ran outside the lock.
                    try Self.migrator.migrate(database)
                }
            }
        } catch {
            throw ModelgateError("store_unavailable", "cannot open the store at \(path): \(error)")
        }
        self.clock = clock
    }

    package var kind: String { "sqlite" }

    package func ping() throws {
        _ = try read("the store's answer") { try Int.fetchOne($0, sql: "SELECT 1") }
    }

    /// Whether a state folder already holds a store (read-only commands refuse to create one).
    package static func exists(in state: URL) -> Bool {
        FileManager.default.fileExists(atPath: state.appendingPathComponent(fileName).path)
    }

    /// One write transaction that holds the write lock from its first statement.
    ///
    /// `synced` (the default) makes the commit wait for the disk (`synchronous = FULL`, an fsync
    /// of the write-ahead log, ~0.2 ms here): what a researcher was told (a released result, a
    /// refusal, their receipts) survives a power cut, not only a crash. Admission is written
    /// unsynced (WAL's `NORMAL`): it survives a crash of the process but not of the machine until
    /// the next synced commit, which flushes the whole log with it. Nothing was released for a
    /// job whose admission a power cut could take, and it halves the fsyncs per job.
    func write<T>(_ what: String, synced: Bool = true, _ body: (Database, Date) throws -> T) throws -> T {
        try StoreFailure.recording(what) {
            try database.writeWithoutTransaction { db in
                if synced { try db.cachedStatement(sql: "PRAGMA synchronous = FULL").execute() }
                defer { if synced { try? db.cachedStatement(sql: "PRAGMA synchronous = NORMAL").execute() } }
                var value: T?
                try db.inTransaction(.immediate) {
                    value = try body(db, clock())
                    return .commit
                }
                return value!
            }
        }
    }

    func read<T>(_ what: String, _ body: (Database) throws -> T) throws -> T {
        try StoreFailure.reading(what) { try database.read(body) }
    }
}
