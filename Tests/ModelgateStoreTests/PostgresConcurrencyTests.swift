import Foundation
import ModelgateCore
import ModelgatePostgresStore
import ModelgateStore
import ModelgateTestSupport
import XCTest

/// Several gateways on one database, as stores with pools of their own (one per gateway), each
/// used from several threads at once: the chain stays one chain, budgets are never overspent,
/// a ledger's decisions never interleave, and the log resists being rewritten.
final class PostgresConcurrencyTests: XCTestCase {
    /// Two stores on one new database, as two gateways would open it.
    func gateways(_ count: Int = 2) throws -> [PostgresStore] {
        let url = try DatabaseURL(TestDatabase.fresh())
        return try (0..<count).map { _ in try PostgresStore(url: url, connections: 4) }
    }

    /// Runs `body(thread, store)` on `threads` threads per store, all at once; the errors thrown.
    func concurrently(
        _ stores: [PostgresStore], threads: Int, _ body: @escaping @Sendable (Int, PostgresStore) throws -> Void
    ) -> [any Error] {
        let group = DispatchGroup()
        let errors = Locked<[any Error]>([])
        for (offset, store) in stores.enumerated() {
            for thread in 0..<threads {
                group.enter()
                Thread {
                    defer { group.leave() }
                    do { try body(offset * threads + thread, store) } catch { errors.withLock { $0.append(error) } }
                }.start()
            }
        }
        group.wait()
        return errors.withLock { $0 }
    }

    /// `count` jobs of thread `thread`, each admitted and released.
    static func recordJobs(_ count: Int, of thread: Int, in store: PostgresStore) throws {
        for index in 0..<count {
            let job = "job-\(thread)-\(index)"
            guard case .admitted = try store.admit(StoreFixture.admission(job)) else {
                throw ModelgateError("test", "\(job) not admitted")
            }
            _ = try store.finish(JobCompletion(job: job, status: .released, verdict: "pass"))
        }
    }

    func testTheChainStaysOneChainAcrossGateways() throws {
        let stores = try gateways()
        let errors = concurrently(stores, threads: 4) { thread, store in
            try Self.recordJobs(15, of: thread, in: store)
        }
        XCTAssertEqual(errors.map { "\($0)" }, [])
        // 2 events for the dataset, 2 per job: 2 stores × 4 threads × 15 jobs.
        let verification = try stores[1].verifyChain(progress: nil)
        XCTAssertNil(verification.failure)
        XCTAssertEqual(verification.count, 2 + 2 * 120)
        XCTAssertEqual(try stores[0].usageReport(.init()).totals.jobs, 120)
    }

    func testConcurrentDebitsNeverPassTheCap() throws {
        let stores = try gateways()
        let admitted = Locked(0)
        // A cap of 1.0 and debits of 0.3: three fit, whoever asks.
        let errors = concurrently(stores, threads: 5) { thread, store in
            var admission = StoreFixture.admission("job-\(thread)", principal: "r\(thread)")
            admission.debit = BudgetDebit(
                epsilon: MicroEpsilon(micros: 300_000), datasetCap: MicroEpsilon(micros: 1_000_000),
                agreement: "agr-\(thread % 2)", agreementCap: MicroEpsilon(micros: 1_000_000))
            if case .admitted = try store.admit(admission) { admitted.withLock { $0 += 1 } }
        }
        XCTAssertEqual(errors.map { "\($0)" }, [])
        XCTAssertEqual(admitted.withLock { $0 }, 3)
        let account = try stores[0].privacyAccount(dataset: "survey")
        XCTAssertEqual(account.spent[""], MicroEpsilon(micros: 900_000))
        XCTAssertEqual(
            (account.spent["agr-0"]?.micros ?? 0) + (account.spent["agr-1"]?.micros ?? 0), 900_000,
            "the agreements' spending does not add up to the dataset's")
    }

    /// Every decision against a ledger sees every entry added before it: each job adds the next
    /// generation after the last it was shown, so two decisions that interleaved would add the
    /// same generation twice (the primary key refuses the second, and the test sees the error).
    func testLedgerDecisionsAreSerialisedAcrossGateways() throws {
        let stores = try gateways()
        let key = LedgerKey(dataset: StoreFixture.dataset.id, version: StoreFixture.dataset.version)
        let errors = concurrently(stores, threads: 3) { thread, store in
            for index in 0..<5 {
                let job = "job-\(thread)-\(index)"
                guard case .admitted = try store.admit(StoreFixture.admission(job)) else {
                    throw ModelgateError("test", "\(job) not admitted")
                }
                _ = try store.finish(job, ledger: key, after: 0) { entries in
                    Thread.sleep(forTimeInterval: 0.002)  // a decision takes time: widen the window
                    let entry = LedgerEntry(
                        generation: (entries.last?.generation ?? 0) + 1, job: job, splits: [], released: [[0]],
                        protected: [], atomsFile: nil)
                    return LedgerDecision(
                        completion: JobCompletion(job: job, status: .released, verdict: "pass"), entry: entry)
                }
            }
        }
        XCTAssertEqual(errors.map { "\($0)" }, [])
        XCTAssertEqual(try stores[0].ledgerEntries(key, after: 0).map(\.generation), Array(1...30))
        XCTAssertNil(try stores[0].verifyChain(progress: nil).failure)
    }

    /// Gateways sweeping for expired leases at once mark each lost job interrupted exactly once.
    func testExpiredLeasesAreClaimedOnceAcrossGateways() throws {
        let clock = TestClock(StoreContractTests.instant)
        let url = try DatabaseURL(TestDatabase.fresh())
        let stores = try (0..<2).map { _ in try PostgresStore(url: url, connections: 4, clock: { clock.now }) }
        for index in 0..<24 {
            var admission = StoreFixture.admission("job-\(index)")
            admission.leaseSeconds = 10
            guard case .admitted = try stores[0].admit(admission) else { return XCTFail() }
        }
        clock.now = StoreContractTests.instant + 60
        let claimed = Locked<[String]>([])
        let errors = concurrently(stores, threads: 3) { _, store in
            while true {
                let batch = try store.interruptExpiredLeases(note: "expired", limit: 2)
                if batch.isEmpty { return }
                claimed.withLock { $0 += batch.map(\.job) }
            }
        }
        XCTAssertEqual(errors.map { "\($0)" }, [])
        XCTAssertEqual(claimed.withLock { $0 }.sorted(), (0..<24).map { "job-\($0)" }.sorted())
        var events: [String] = []
        try stores[1].forEachEvent(AuditFilter(kind: .jobInterrupted)) { events.append($0.job ?? "") }
        XCTAssertEqual(events.sorted(), (0..<24).map { "job-\($0)" }.sorted())
        XCTAssertNil(try stores[1].verifyChain(progress: nil).failure)
    }

    /// Someone with the database's credentials tries to rewrite the log: the triggers refuse it;
    /// with the triggers dropped (the owner can), `audit verify` finds the change.
    func testRewritingTheLogIsRefusedOrFound() throws {
        let url = try TestDatabase.fresh()
        let store = try PostgresStore(url: DatabaseURL(url))
        for index in 0..<3 {
            guard case .admitted = try store.admit(StoreFixture.admission("job-\(index)")) else { return XCTFail() }
        }
        XCTAssertThrowsError(try TestDatabase.psql(url, "UPDATE audit_events SET principal = 'mallory' WHERE idx = 3"))
        XCTAssertThrowsError(try TestDatabase.psql(url, "DELETE FROM audit_events WHERE idx = 4"))
        XCTAssertThrowsError(try TestDatabase.psql(url, "TRUNCATE audit_events"))
        XCTAssertNil(try store.verifyChain(progress: nil).failure)
        try TestDatabase.psql(url, "DROP TRIGGER audit_events_no_change ON audit_events")
        try TestDatabase.psql(url, "UPDATE audit_events SET principal = 'mallory' WHERE idx = 3")
        XCTAssertEqual(try store.verifyChain(progress: nil).failure?.index, 3)
        // Cutting the newest events off leaves a chain that links, and a head row that says more.
        try TestDatabase.psql(url, "UPDATE audit_events SET principal = 'alice' WHERE idx = 3")
        XCTAssertNil(try store.verifyChain(progress: nil).failure)
        try TestDatabase.psql(url, "DELETE FROM audit_events WHERE idx >= 4")
        let cut = try store.verifyChain(progress: nil)
        XCTAssertEqual(cut.count, 3)
        XCTAssertEqual(cut.failure?.index, 4, "\(String(describing: cut.failure))")
    }

    /// Event times come from the server's one clock, read once the writer holds the chain's head:
    /// along the chain they never go back, whichever gateway appended.
    func testEventTimesNeverGoBackAlongTheChain() throws {
        let stores = try gateways()
        let errors = concurrently(stores, threads: 3) { thread, store in
            try Self.recordJobs(10, of: thread, in: store)
        }
        XCTAssertEqual(errors.map { "\($0)" }, [])
        var times: [String] = []
        try stores[0].forEachEvent(AuditFilter()) { times.append($0.at) }
        XCTAssertEqual(times.count, 2 + 2 * 60)
        XCTAssertEqual(times, times.sorted(), "event times go back along the chain")
    }

    /// A writer that holds the chain's head and does not let go (a frozen gateway) makes
    /// `/health` say so within seconds, instead of answering ok while every write waits.
    func testAHeldHeadIsUnhealthy() throws {
        let url = try TestDatabase.fresh()
        let store = try PostgresStore(url: DatabaseURL(url))
        XCTAssertNoThrow(try store.ping())
        let holder = Thread {
            _ = try? TestDatabase.psql(url, "BEGIN; SELECT * FROM audit_head FOR UPDATE; SELECT pg_sleep(6); COMMIT")
        }
        holder.start()
        Thread.sleep(forTimeInterval: 1)
        let start = Date()
        XCTAssertThrowsError(try store.ping())
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
    }

    func testAnUnreachableServerIsNamed() throws {
        let url = try DatabaseURL("postgres://modelgate@127.0.0.1:1/modelgate?sslmode=disable")
        XCTAssertThrowsError(try PostgresStore(url: url, timeout: 2)) { error in
            XCTAssertEqual((error as? ModelgateError)?.code, "store_unavailable")
            XCTAssertTrue("\(error)".contains("127.0.0.1:1"), "\(error)")
        }
    }

    func testDatabaseURLsAreCheckedAndTheirPasswordsKeptOutOfMessages() throws {
        let url = try DatabaseURL("postgresql://gate:s3cret@db.example:6543/modelgate?sslmode=require")
        XCTAssertEqual(url.host, "db.example")
        XCTAssertEqual(url.port, 6543)
        XCTAssertEqual(url.password, "s3cret")
        XCTAssertEqual("\(url)", "postgres://gate@db.example:6543/modelgate")
        for bad in ["mysql://a@b/c", "postgres://b/c", "postgres://a@b", "postgres://a:pw@b/c?sslmode=maybe"] {
            XCTAssertThrowsError(try DatabaseURL(bad), bad) { error in
                XCTAssertFalse("\(error)".contains("pw"), "\(error)")
            }
        }
    }
}

/// A value shared by threads.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
