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

    /// How long one statement may take before the call gives up on the server (beyond the
    /// server's own `statement_timeout`, so that this fires only when the server stopped answering).
    static let deadline: TimeInterval = 150

    /// Runs one statement and returns its rows.
    @discardableResult
    func rows(_ query: PostgresQuery) throws -> [PostgresRandomAccessRow] {
        try answer(connection.query(query, logger: logger)).rows.map { $0.makeRandomAccess() }
    }

    /// Runs one statement and returns how many rows it inserted, updated or deleted.
    @discardableResult
    func execute(_ query: PostgresQuery) throws -> Int {
        try answer(connection.query(query, logger: logger)).metadata.rows ?? 0
    }

    /// The future's value, waited for at most ``deadline``: past it the connection is closed
    /// (the pool replaces it) and the call fails, rather than waiting for a frozen server forever.
    private func answer<T: Sendable>(_ future: EventLoopFuture<T>) throws -> T {
        let outcome = Outcome<T>()
        future.whenComplete { outcome.set($0) }
        guard let result = outcome.wait(seconds: Self.deadline) else {
            _ = connection.close() as EventLoopFuture<Void>
            throw ModelgateError(
                "store_unavailable", "the PostgreSQL server did not answer within \(Int(Self.deadline)) s")
        }
        return try result.get()
    }
}

/// A future's result, handed to the thread that waits for it.
private final class Outcome<T: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var result: Result<T, any Error>?

    func set(_ result: Result<T, any Error>) {
        condition.withLock {
            self.result = result
            condition.signal()
        }
    }

    func wait(seconds: TimeInterval) -> Result<T, any Error>? {
        condition.withLock {
            let deadline = Date(timeIntervalSinceNow: seconds)
            while result == nil, condition.wait(until: deadline) {}
            return result
        }
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
