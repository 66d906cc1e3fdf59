import Foundation
import Logging
import ModelgateCore
import ModelgateStore
import PostgresNIO

/// The store on a PostgreSQL server, for several gateways (on several hosts) sharing one
/// database: the same records, events and hashes as ``SQLiteStore``, under the same protocol.
///
/// Every write is one transaction that first locks the audit chain's head row (`audit_head`,
/// `SELECT … FOR UPDATE`), as SQLite's `BEGIN IMMEDIATE` takes its write lock: writers from every
/// gateway queue there, so two appends never link to the same event, and every check a write
/// makes before it records (a quota, an idempotency key, a job's status) sees every write that
/// committed before it. A job's end decided against a release ledger first takes that dataset
/// version's own lock (an advisory transaction lock), so ledger checks of different versions
/// proceed side by side and the chain is held only for the writing itself.
package final class PostgresStore: GatewayStore, @unchecked Sendable {
    let client: PostgresClient
    let url: DatabaseURL
    let logger: Logger
    /// Where times come from: nil for the server's clock (one clock for every gateway: leases,
    /// quota days and event times never depend on which gateway's clock is right); tests set it
    /// to cross days and years.
    let clock: (@Sendable () -> Date)?
    /// How long a call waits for a connection before it says the database is unavailable.
    let timeout: TimeInterval
    private let running: Task<Void, Never>

    /// Connects to `url` (pooling up to `connections`) and brings the schema up to date.
    package init(
        url: DatabaseURL, connections: Int = 8, timeout: TimeInterval = 10, clock: (@Sendable () -> Date)? = nil
    ) throws {
        var configuration = url.configuration
        configuration.options.maximumConnections = max(1, connections)
        configuration.options.connectTimeout = .seconds(Int64(max(1, timeout)))
        // No wait is endless: a writer that holds the chain's head while it is paused (a frozen
        // gateway) loses its session after a minute, a lock waited for over 30 s or a statement
        // running over 2 minutes fails, and each call gives up on a server that stopped answering
        // (``BlockingConnection/deadline``).
        configuration.options.additionalStartupParameters = [
            ("lock_timeout", "30s"), ("statement_timeout", "120s"), ("idle_in_transaction_session_timeout", "60s"),
        ]
        var logger = Logger(label: "modelgate.postgres")
        logger.logLevel = .critical
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        self.url = url
        self.logger = logger
        self.clock = clock
        self.timeout = timeout
        running = storeTask { await client.run() }
        do {
            try migrate()
        } catch {
            running.cancel()
            throw ModelgateError("store_unavailable", "cannot open the store at \(url): \(Self.describe(error))")
        }
    }

    deinit { running.cancel() }

    /// One write transaction: `body` gets it with the audit chain's head locked (unless
    /// `ordered` is false, when it locks the head itself before it appends).
    ///
    /// `synced` (the default) makes the commit wait for the server's disk; admission is written
    /// with `synchronous_commit = off`, as the SQLite store writes it unsynced: it can be lost
    /// only with the server, and nothing was released for it.
    func write<T>(
        _ what: String, synced: Bool = true, ordered: Bool = true, _ body: (PostgresTransaction) throws -> T
    ) throws -> T {
        try StoreFailure.recording(what, describe: Self.describe) {
            try BlockingConnection.with(client, logger: logger, timeout: timeout) { connection in
                try connection.execute("BEGIN")
                do {
                    if !synced { try connection.execute("SET LOCAL synchronous_commit = off") }
                    let transaction = PostgresTransaction(connection: connection, clock: clock)
                    if ordered { try transaction.lockHead() }
                    let value = try body(transaction)
                    try transaction.saveHead()
                    try connection.execute("COMMIT")
                    return value
                } catch {
                    _ = try? connection.execute("ROLLBACK")
                    throw error
                }
            }
        }
    }

    /// Reads on one connection, outside any write transaction.
    func read<T>(_ what: String, _ body: (BlockingConnection) throws -> T) throws -> T {
        try StoreFailure.reading(what, describe: Self.describe) {
            try BlockingConnection.with(client, logger: logger, timeout: timeout, body)
        }
    }

    /// What the server said (its message and SQLSTATE), not postgres-nio's generic description.
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                return "\(message) (SQLSTATE \(error.serverInfo?[.sqlState] ?? "?"))"
            }
            return "\(error.code)"
        }
        return "\(error)"
    }

    package var kind: String { "postgresql" }

    /// The server answers, and the chain's head is free within 2 s: a gateway whose writes would
    /// all wait (a writer holds the head and does not let go) is not healthy.
    package func ping() throws {
        _ = try read("the audit chain's head") { connection in
            try connection.execute("BEGIN")
            defer { _ = try? connection.execute("ROLLBACK") }
            try connection.execute("SET LOCAL lock_timeout = '2s'")
            try connection.rows("SELECT idx FROM audit_head FOR UPDATE")
        }
    }

    /// The time now, by `clock` or else the server's.
    func now(_ connection: BlockingConnection) throws -> Date {
        if let clock { return clock() }
        return try PostgresTransaction.serverTime(connection)
    }

    /// What `/health` and messages call it (the URL without its password).
    package var location: String { "\(url)" }
}

/// A write transaction: its connection, its time, and the audit chain's head it appends after.
final class PostgresTransaction {
    let connection: BlockingConnection
    private let clock: (@Sendable () -> Date)?
    private var head: (index: Int, hash: String)?
    private var headChanged = false
    private var taken: Date?

    init(connection: BlockingConnection, clock: (@Sendable () -> Date)?) {
        self.connection = connection
        self.clock = clock
    }

    /// The transaction's time, read once when first needed: for a writer, after it holds the
    /// chain's head, so that event times never go back along the chain.
    var time: Date {
        get throws {
            if let taken { return taken }
            let time = try clock?() ?? Self.serverTime(connection)
            taken = time
            return time
        }
    }

    /// The server's clock, now (not the transaction's start).
    static func serverTime(_ connection: BlockingConnection) throws -> Date {
        guard let row = try connection.rows("SELECT clock_timestamp()").first else {
            throw ModelgateError("store_read_failed", "the server did not say the time")
        }
        return try row[0].decode(Date.self)
    }

    /// Locks the chain's head row until the transaction ends: other writers wait here.
    func lockHead() throws {
        guard head == nil else { return }
        guard let row = try connection.rows("SELECT idx, hash FROM audit_head FOR UPDATE").first else {
            throw ModelgateError("store_damaged", "the audit chain's head row is missing")
        }
        head = (try row["idx"].decode(Int.self), try row["hash"].decode(String.self))
    }

    /// Appends one event after the head (locking it first if not yet locked).
    func append(
        _ kind: AuditEvent.Kind, principal: String?, dataset: String?, job: String?, detail: some Encodable
    ) throws -> AuditEvent {
        try AuditEvent.checkFields(principal, dataset, job)
        try lockHead()
        let event = AuditEvent(
            index: head!.index + 1, at: Timestamp.string(try time), kind: kind, principal: principal, dataset: dataset,
            job: job, detail: try StoredText.json(detail), previousHash: head!.hash)
        try connection.execute(
            """
            INSERT INTO audit_events (idx, at, kind, principal, dataset, job, detail, previous_hash, hash)
            VALUES (\(event.index), \(event.at), \(event.kind.rawValue), \(event.principal), \(event.dataset),
                \(event.job), \(event.detail), \(event.previousHash), \(event.hash))
            """)
        head = (event.index, event.hash)
        headChanged = true
        return event
    }

    /// Moves the head row to the last event appended, before the commit.
    func saveHead() throws {
        guard headChanged, let head else { return }
        try connection.execute("UPDATE audit_head SET idx = \(head.index), hash = \(head.hash)")
    }
}
