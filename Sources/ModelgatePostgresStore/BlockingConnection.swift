import Foundation
import Logging
import ModelgateCore
import NIOCore
import PostgresNIO

/// A connection leased from a `PostgresClient`'s pool for the length of a blocking call.
///
/// The store's callers block (job threads, Dispatch's pool, the command line), as they do on
/// SQLite; postgres-nio is asynchronous. The lease is held by a task suspended on a continuation,
/// on the store's own threads (``StoreExecutor``), so that it never waits for a thread its caller
/// may hold; statements go through the connection's EventLoopFuture interface, whose `wait()`
/// blocks only the calling thread while NIO's event loop does the work. Never call it from an
/// event loop's thread.
struct BlockingConnection {
    let connection: PostgresConnection
    let logger: Logger

    /// Runs `body` with a connection of `client`'s pool, waiting at most `timeout` for one.
    static func with<T>(
        _ client: PostgresClient, logger: Logger, timeout: TimeInterval, _ body: (BlockingConnection) throws -> T
    ) throws -> T {
        let handoff = Handoff()
        storeTask {
            do {
                try await client.withConnection { connection in
                    await withCheckedContinuation { (release: CheckedContinuation<Void, Never>) in
                        if !handoff.give(connection, release) { release.resume() }
                    }
                }
            } catch {
                handoff.fail(error)
            }
        }
        let (connection, release) = try handoff.take(timeout: timeout)
        defer { release.resume() }
        return try body(BlockingConnection(connection: connection, logger: logger))
    }

    /// Runs one statement and returns its rows.
    @discardableResult
    func rows(_ query: PostgresQuery) throws -> [PostgresRandomAccessRow] {
        try connection.query(query, logger: logger).wait().rows.map { $0.makeRandomAccess() }
    }

    /// Runs one statement and returns how many rows it inserted, updated or deleted.
    @discardableResult
    func execute(_ query: PostgresQuery) throws -> Int {
        try connection.query(query, logger: logger).wait().metadata.rows ?? 0
    }
}

/// The connection a lease task hands to the thread that waits for it, or the error it got.
private final class Handoff: @unchecked Sendable {
    private let condition = NSCondition()
    private var lease: (PostgresConnection, CheckedContinuation<Void, Never>)?
    private var error: (any Error)?
    private var abandoned = false

    /// False when the waiter gave up: the caller gives the connection back at once.
    func give(_ connection: PostgresConnection, _ release: CheckedContinuation<Void, Never>) -> Bool {
        condition.withLock {
            guard !abandoned else { return false }
            lease = (connection, release)
            condition.signal()
            return true
        }
    }

    func fail(_ error: any Error) {
        condition.withLock {
            self.error = error
            condition.signal()
        }
    }

    func take(timeout: TimeInterval) throws -> (PostgresConnection, CheckedContinuation<Void, Never>) {
        try condition.withLock {
            let deadline = Date(timeIntervalSinceNow: timeout)
            while lease == nil && error == nil {
                if !condition.wait(until: deadline) && lease == nil && error == nil {
                    abandoned = true
                    throw ModelgateError(
                        "store_unavailable", "no PostgreSQL connection within \(Int(timeout)) s: is the server up?")
                }
            }
            if let lease { return lease }
            throw error!
        }
    }
}
