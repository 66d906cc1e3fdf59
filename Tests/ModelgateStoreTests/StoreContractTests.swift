import Foundation
import ModelgateCore
import ModelgatePostgresStore
import ModelgateStore
import ModelgateTestSupport
import XCTest

/// What every store promises, checked on both: SQLite in a new folder and PostgreSQL in a new
/// database. The same operations at the same instant must leave the same audit chain, event for
/// event and hash for hash, and the same reports.
final class StoreContractTests: XCTestCase {
    static let instant = Date(timeIntervalSince1970: 1_780_000_000)  // 2026-05-28T20:26:40Z

    /// Runs `body` on a new store of each kind, naming the kind in failures.
    func eachStore(
        clock: @escaping @Sendable () -> Date = { StoreContractTests.instant },
        _ body: (any GatewayStore, String) throws -> Void
    ) throws {
        let folder = try TemporaryFolder()
        try body(try SQLiteStore(state: folder.url, clock: clock), "SQLite")
        try body(try PostgresStore(url: DatabaseURL(TestDatabase.fresh()), clock: clock), "PostgreSQL")
    }

    func events(_ store: any GatewayStore) throws -> [AuditEvent] {
        var events: [AuditEvent] = []
        try store.forEachEvent(AuditFilter()) { events.append($0) }
        return events
    }

    static let epsilon = MicroEpsilon(micros: 200_000)

    func dpAdmission(_ job: String, agreement: String?) -> JobAdmission {
        var admission = StoreFixture.admission(job, principal: agreement == nil ? "olga" : "rita")
        admission.debit = BudgetDebit(
            epsilon: Self.epsilon, datasetCap: MicroEpsilon(micros: 1_000_000), agreement: agreement,
            agreementCap: MicroEpsilon(micros: 500_000))
        return admission
    }

    /// A day of a gateway's life, in every kind of write the store has.
    func record(_ store: any GatewayStore) throws {
        try store.addPrincipal(
            Principal(name: "rita", role: .researcher), token: StoredToken(id: "t-rita", hash: "h1"), by: "operator")
        try store.addPrincipal(
            Principal(name: "olga", role: .owner, body: "test-bureau"), token: StoredToken(id: "t-olga", hash: "h2"),
            by: "operator")
        try store.recordDatasetVersion(StoreFixture.dataset, by: "operator")
        guard case .admitted = try store.admit(dpAdmission("job-1", agreement: "agr-1")) else {
            return XCTFail("job-1 not admitted")
        }
        _ = try store.finish(
            JobCompletion(
                job: "job-1", status: .released, verdict: "pass", cellsReleased: 12, cellsSuppressed: 3,
                usage: Usage(
                    rowsScanned: 100, rowsDropped: 2, cpuSeconds: 0.25, wallSeconds: 0.5, peakMemoryBytes: 9000),
                resultHash: "r1", document: "{\"job\":\"job-1\"}"))
        guard case .admitted = try store.admit(dpAdmission("job-2", agreement: "agr-1")) else {
            return XCTFail("job-2 not admitted")
        }
        var failed = JobCompletion(job: "job-2", status: .failed, reason: Refusal(.crashed, "it crashed"))
        failed.refund = true
        _ = try store.finish(failed)
        _ = try store.recordRefusal(
            JobRefusal(
                job: "job-3", principal: "rita", dataset: "nowhere", datasetVersion: nil, model: "crosstab",
                reason: Refusal(.unknownDataset, "no dataset 'nowhere'"), resultHash: "r3", document: "{}"))
        guard case .admitted = try store.admit(StoreFixture.admission("job-4", principal: "rita")) else {
            return XCTFail("job-4 not admitted")
        }
        let lost = try XCTUnwrap(try store.unfinishedJobs().first { $0.job == "job-4" })
        XCTAssertNotNil(try store.markInterrupted(lost, note: "its process ended"))
        guard case .admitted = try store.admit(StoreFixture.admission("job-5", principal: "rita")) else {
            return XCTFail("job-5 not admitted")
        }
        let key = LedgerKey(dataset: StoreFixture.dataset.id, version: StoreFixture.dataset.version)
        _ = try store.finish("job-5", ledger: key, after: 0) { entries in
            XCTAssertEqual(entries, [])
            return LedgerDecision(
                completion: JobCompletion(job: "job-5", status: .released, verdict: "pass"), entry: Self.entry)
        }
        var reloaded = StoreFixture.dataset
        reloaded.policyText += "\n# looser"
        reloaded.policyHash = String(repeating: "3", count: 64)
        XCTAssertNotNil(try store.recordPolicyReload(reloaded, by: "olga", weakened: ["quota"]))
        try store.changeAccess("a suspension", by: "olga") { transaction in
            try transaction.save(.suspended, reason: "a citizen objected", of: StoreFixture.dataset.id)
            try transaction.record([
                AccessRecord(.init(rawValue: "dataset_suspended"), dataset: "survey", detail: ["reason": "objection"])
            ])
        }
    }

    static let entry = LedgerEntry(
        generation: 1, job: "job-5", splits: [(atom: 1, parent: 0), (atom: 2, parent: 0)], released: [[0, 1], [2]],
        protected: [[1]], measures: ["income", "age"], measured: [[0, 2]], valueProtected: ["income": [[2]]],
        weightedSamples: ["weight": [[0, 1, 2]]], weighted: [(atoms: [0, 2], values: [7, 1 << 40])],
        atomsFile: "atoms-1.u32")

    func testTheSameOperationsLeaveTheSameChainAndReports() throws {
        var chains: [[AuditEvent]] = []
        var reports: [UsageReport] = []
        try eachStore { store, kind in
            try record(store)
            let events = try events(store)
            // principals 2, policy + dataset 2, admitted + finished 4, refused 1, admitted +
            // interrupted 2, admitted + finished 2, reload 1, suspension 1.
            XCTAssertEqual(events.count, 15, kind)
            let verification = try store.verifyChain(progress: nil)
            XCTAssertNil(verification.failure, kind)
            XCTAssertEqual(verification.count, 15, kind)
            XCTAssertEqual(verification.headHash, events.last?.hash, kind)
            chains.append(events)
            reports.append(try store.usageReport(.init(year: 2026)))
        }
        XCTAssertEqual(chains[0].count, chains[1].count)
        for (sqlite, postgres) in zip(chains[0], chains[1]) where sqlite != postgres {
            return XCTFail("event \(sqlite.index) differs:\nSQLite     \(sqlite)\nPostgreSQL \(postgres)")
        }
        XCTAssertEqual(reports[0], reports[1], "the two stores' usage reports differ")
        XCTAssertEqual(reports[0].totals.jobs, 5)
        XCTAssertEqual(reports[0].totals.cellsReleased, 12)
        XCTAssertEqual(reports[0].totals.cpuSeconds, 0.25)
        // job-1's ε stays spent; job-2's was refunded.
        XCTAssertEqual(reports[0].privacy?.map(\.epsilon), ["0.2"])
    }

    func testReadsGiveBackWhatWasRecorded() throws {
        try eachStore { store, kind in
            try record(store)
            let key = LedgerKey(dataset: StoreFixture.dataset.id, version: StoreFixture.dataset.version)
            XCTAssertEqual(try store.ledgerEntries(key, after: 0), [Self.entry], kind)
            XCTAssertEqual(try store.ledgerEntries(key, after: 1), [], kind)
            let job = try XCTUnwrap(try store.job("job-1"), kind)
            XCTAssertEqual(job.status, "released", kind)
            XCTAssertEqual(job.document, "{\"job\":\"job-1\"}", kind)
            let receipt = try XCTUnwrap(job.receipt, kind)
            XCTAssertEqual(try store.event(at: receipt.index)?.job, "job-1", kind)
            XCTAssertEqual(try store.event(at: receipt.index)?.hash, receipt.hash, kind)
            XCTAssertEqual(
                try store.jobs(principal: "rita", limit: 10).map(\.id).sorted(),
                ["job-1", "job-2", "job-3", "job-4", "job-5"], kind)
            XCTAssertEqual(try store.jobs(datasets: ["survey"], limit: 2).count, 2, kind)
            XCTAssertEqual(try store.unfinishedJobs(), [], kind)
            XCTAssertEqual(try store.datasetState("survey").0, .suspended, kind)
            XCTAssertEqual(try store.datasetState("survey").1, "a citizen objected", kind)
            XCTAssertEqual(try store.datasetState("unknown").0, .open, kind)
            XCTAssertEqual(try store.policyHistory(of: "survey").count, 2, kind)
            XCTAssertEqual(try store.quotaUsedToday(principal: "rita"), ["survey": 4], kind)
            XCTAssertEqual(try store.principals().map(\.name), ["olga", "rita"], kind)
            XCTAssertEqual(try store.principal(tokenID: "t-olga")?.0.body, "test-bureau", kind)
            XCTAssertEqual(try store.principal(tokenID: "t-olga")?.1.hash, "h2", kind)
            // 0.2 spent on agreement agr-1 and in the dataset's total; job-2's 0.2 came back.
            let account = try store.privacyAccount(dataset: "survey")
            XCTAssertEqual(account.spent, ["": Self.epsilon, "agr-1": Self.epsilon], kind)
            var filtered: [Int] = []
            try store.forEachEvent(AuditFilter(kind: .jobFinished, after: 5, limit: 1)) { filtered.append($0.index) }
            XCTAssertEqual(filtered.count, 1, kind)
            XCTAssertGreaterThan(filtered[0], 5, kind)
            var rita: [AuditEvent.Kind] = []
            try store.forEachEvent(AuditFilter(principal: "olga")) { rita.append($0.kind) }
            XCTAssertEqual(rita, [.policyLoaded, .init(rawValue: "dataset_suspended")], kind)
        }
    }

    func testQuotaRefusesTheJobPastIt() throws {
        try eachStore { store, kind in
            try store.addPrincipal(
                Principal(name: "olga", role: .owner), token: StoredToken(id: "t", hash: "h"), by: "operator")
            for job in ["a", "b"] {
                guard case .admitted = try store.admit(StoreFixture.admission(job, jobsPerDay: 2)) else {
                    return XCTFail("\(kind): job \(job) not admitted")
                }
            }
            guard case .refused(let refusal) = try store.admit(StoreFixture.admission("c", jobsPerDay: 2)) else {
                return XCTFail("\(kind): a third job on a quota of 2 was admitted")
            }
            XCTAssertEqual(refusal.code, .quotaExceeded, kind)
            XCTAssertTrue(refusal.message.contains("has run 2 of 2 jobs"), "\(kind): \(refusal.message)")
            // An owner's dry runs do not count against a quota.
            guard case .admitted = try store.admit(StoreFixture.admission("d", principal: "olga", jobsPerDay: 2)) else {
                return XCTFail("\(kind): the owner's job was refused")
            }
            XCTAssertNil(try store.job("c"), "\(kind): a refused admission left a job")
        }
    }

    func testBudgetsRefuseTheDebitPastTheirCap() throws {
        try eachStore { store, kind in
            for job in ["a", "b"] {
                guard case .admitted = try store.admit(dpAdmission(job, agreement: "agr")) else {
                    return XCTFail("\(kind): job \(job) not admitted")
                }
            }
            // 0.4 of the agreement's 0.5 spent: a third 0.2 is refused, and names the agreement.
            guard case .refused(let refusal) = try store.admit(dpAdmission("c", agreement: "agr")) else {
                return XCTFail("\(kind): the agreement's allocation was overspent")
            }
            XCTAssertEqual(refusal.code, .privacyBudgetExhausted, kind)
            XCTAssertTrue(refusal.message.contains("agreement agr's ε"), "\(kind): \(refusal.message)")
            // The owner's jobs draw on the dataset's cap only: 0.4 + 3 × 0.2 = 1.0, then no more.
            for job in ["d", "e", "f"] {
                guard case .admitted = try store.admit(dpAdmission(job, agreement: nil)) else {
                    return XCTFail("\(kind): owner's job \(job) not admitted")
                }
            }
            guard case .refused(let capped) = try store.admit(dpAdmission("g", agreement: nil)) else {
                return XCTFail("\(kind): the dataset's cap was overspent")
            }
            XCTAssertTrue(capped.message.contains("lifetime ε"), "\(kind): \(capped.message)")
            XCTAssertEqual(try store.privacyAccount(dataset: "survey").spent[""], MicroEpsilon(micros: 1_000_000), kind)
        }
    }

    func testAJobEndsOnce() throws {
        try eachStore { store, kind in
            guard case .admitted = try store.admit(StoreFixture.admission("a")) else { return XCTFail(kind) }
            _ = try store.finish(JobCompletion(job: "a", status: .released, verdict: "pass"))
            XCTAssertThrowsError(try store.finish(JobCompletion(job: "a", status: .failed)), kind) { error in
                XCTAssertEqual((error as? ModelgateError)?.code, "job_already_finished", kind)
            }
            XCTAssertThrowsError(try store.finish(JobCompletion(job: "never", status: .released)), kind) { error in
                XCTAssertEqual((error as? ModelgateError)?.code, ModelgateError.Code.unknownJob, kind)
            }
            let finished = try XCTUnwrap(try store.job("a"))
            XCTAssertNil(
                try store.markInterrupted(
                    UnfinishedJob(
                        job: "a", principal: "alice", dataset: "survey", runner: "x", admittedAt: "", deadline: ""),
                    note: "late"), kind)
            XCTAssertEqual(try store.job("a"), finished, kind)
        }
    }

    func testAnAccessChangeThatThrowsLeavesNothing() throws {
        struct Refused: Error {}
        try eachStore { store, kind in
            try store.recordDatasetVersion(StoreFixture.dataset, by: "operator")
            let before = try events(store)
            XCTAssertThrowsError(
                try store.changeAccess("a change", by: "olga") { transaction in
                    try transaction.save(.withdrawn, reason: "gone", of: "survey")
                    try transaction.record([
                        AccessRecord(.init(rawValue: "dataset_withdrawn"), dataset: "survey", detail: ["a": "b"])
                    ])
                    throw Refused()
                }, kind)
            XCTAssertEqual(try events(store), before, kind)
            XCTAssertEqual(try store.datasetState("survey").0, .open, kind)
        }
    }

    func testPrincipalsAreUniqueAndKnown() throws {
        try eachStore { store, kind in
            let rita = Principal(name: "rita", role: .researcher)
            try store.addPrincipal(rita, token: StoredToken(id: "t1", hash: "h1"), by: "operator")
            XCTAssertThrowsError(
                try store.addPrincipal(rita, token: StoredToken(id: "t2", hash: "h2"), by: "operator"), kind
            ) {
                XCTAssertEqual(($0 as? ModelgateError)?.code, ModelgateError.Code.principalExists, kind)
            }
            XCTAssertThrowsError(try store.setPrincipal("nobody", disabled: true, by: "operator"), kind) {
                XCTAssertEqual(($0 as? ModelgateError)?.code, ModelgateError.Code.unknownPrincipal, kind)
            }
            try store.setPrincipal("rita", disabled: true, by: "operator")
            try store.replaceToken(of: "rita", with: StoredToken(id: "t3", hash: "h3"), by: "operator")
            XCTAssertNil(try store.principal(tokenID: "t1"), kind)
            XCTAssertEqual(try store.principal(tokenID: "t3")?.0.disabled, true, kind)
            XCTAssertEqual(
                try store.claimIdempotencyKey("k", principal: "rita", job: "j1", request: "r1"), .claimed, kind)
            XCTAssertEqual(
                try store.claimIdempotencyKey("k", principal: "rita", job: "j2", request: "r2"),
                .earlier(job: "j1", sameRequest: false), kind)
            XCTAssertEqual(
                try store.claimIdempotencyKey("k", principal: "rob", job: "j3", request: "r1"), .claimed, kind)
        }
    }

    /// A NUL in a researcher's text (a column name a refusal repeats) is recorded by both stores,
    /// as U+FFFD in the plain column; the event's JSON detail keeps it escaped, as sent.
    func testANulInAReasonIsRecordedByBothStores() throws {
        try eachStore { store, kind in
            let reason = Refusal(.unknownColumn, "no column 'district\u{0}x'")
            XCTAssertNoThrow(
                try store.recordRefusal(
                    JobRefusal(
                        job: "nul", principal: "rita", dataset: nil, datasetVersion: nil, model: "crosstab",
                        reason: reason)), kind)
            guard case .admitted = try store.admit(StoreFixture.admission("nul-2")) else { return XCTFail(kind) }
            XCTAssertNoThrow(try store.finish(JobCompletion(job: "nul-2", status: .failed, reason: reason)), kind)
            XCTAssertEqual(try store.job("nul-2")?.status, "failed", kind)
            let details = try events(store).map(\.detail)
            XCTAssertTrue(details.contains { $0.contains("district\\u0000x") }, "\(kind): \(details)")
            XCTAssertNil(try store.verifyChain(progress: nil).failure, kind)
        }
    }

    func testAnEventFieldWithANulIsRefused() throws {
        try eachStore { store, kind in
            XCTAssertThrowsError(
                try store.recordRefusal(
                    JobRefusal(
                        job: "a\u{0}b", principal: "rita", dataset: nil, datasetVersion: nil, model: nil,
                        reason: Refusal(.invalidSpec, "x"))), kind)
            XCTAssertEqual(try events(store), [], kind)
        }
    }

    func testALeaseNotRenewedExpiresAndItsHolderCannotEndTheJob() throws {
        let clock = TestClock(Self.instant)
        try eachStore(clock: { clock.now }) { store, kind in
            clock.now = Self.instant
            var leased = StoreFixture.admission("leased")
            leased.leaseSeconds = 30
            var other = StoreFixture.admission("other")
            other.runner = "another/boot/2/2"
            other.leaseSeconds = 30
            for admission in [leased, other, StoreFixture.admission("unleased")] {
                guard case .admitted = try store.admit(admission) else { return XCTFail("\(kind): not admitted") }
            }
            // The holder renews at 20 s: to 50 s. The other gateway's job, never renewed, expires at 30 s.
            clock.now = Self.instant + 20
            XCTAssertEqual(
                try store.renewLeases(runner: leased.runner, jobs: ["leased", "other"], seconds: 30), 1, kind)
            clock.now = Self.instant + 40
            XCTAssertEqual(try store.interruptExpiredLeases(note: "expired", limit: 10).map(\.job), ["other"], kind)
            var late = JobCompletion(job: "other", status: .released, verdict: "pass")
            late.lease = other.runner
            XCTAssertThrowsError(try store.finish(late), kind) {
                XCTAssertEqual(($0 as? ModelgateError)?.code, "job_lease_lost", kind)
            }
            XCTAssertEqual(try store.job("other")?.status, "interrupted", kind)
            // Past 50 s the holder's lease is gone too; a job without a lease never expires.
            clock.now = Self.instant + 51
            XCTAssertEqual(try store.interruptExpiredLeases(note: "expired", limit: 10).map(\.job), ["leased"], kind)
            XCTAssertEqual(try store.interruptExpiredLeases(note: "expired", limit: 10), [], kind)
            XCTAssertEqual(try store.unfinishedJobs().map(\.job), ["unleased"], kind)
            // A lease presented by another runner does not end a job either.
            var held = StoreFixture.admission("held")
            held.leaseSeconds = 30
            guard case .admitted = try store.admit(held) else { return XCTFail(kind) }
            var wrong = JobCompletion(job: "held", status: .released, verdict: "pass")
            wrong.lease = "impostor/boot/3/3"
            XCTAssertThrowsError(try store.finish(wrong), kind)
            wrong.lease = held.runner
            XCTAssertNoThrow(try store.finish(wrong), kind)
            var interruptions = 0
            try store.forEachEvent(AuditFilter(kind: .jobInterrupted)) { _ in interruptions += 1 }
            XCTAssertEqual(interruptions, 2, kind)
            XCTAssertNil(try store.verifyChain(progress: nil).failure, kind)
        }
    }

    /// The asynchronous queue: bounded, claimed by one gateway at a time, claimed again once a
    /// claim lapses, left at admission, and its ended jobs remembered up to a bound.
    func testQueuedJobsAreClaimedOnceAndNeverLost() throws {
        let clock = TestClock(Self.instant)
        try eachStore(clock: { clock.now }) { store, kind in
            clock.now = Self.instant
            func queued(_ id: String, _ principal: String = "rita") -> QueuedJob {
                QueuedJob(
                    id: id, principal: principal, spec: "model: summary", needsAgreement: true, idempotencyKey: nil)
            }
            try store.enqueue(queued("q1"), capacity: 3, perPrincipal: 2)
            try store.enqueue(queued("q2"), capacity: 3, perPrincipal: 2)
            XCTAssertThrowsError(try store.enqueue(queued("q3"), capacity: 3, perPrincipal: 2), kind) {
                XCTAssertEqual($0 as? QueuedJob.Refusal, .principalFull(perPrincipal: 2), kind)
            }
            try store.enqueue(queued("q3", "rob"), capacity: 3, perPrincipal: 2)
            XCTAssertThrowsError(try store.enqueue(queued("q4", "rosa"), capacity: 3, perPrincipal: 2), kind) {
                XCTAssertEqual($0 as? QueuedJob.Refusal, .full(capacity: 3), kind)
            }
            // Gateway A claims two; B finds only the third; nothing is left.
            XCTAssertEqual(try store.claimQueued(runner: "a", seconds: 30, limit: 2).map(\.id), ["q1", "q2"], kind)
            XCTAssertEqual(try store.claimQueued(runner: "b", seconds: 30, limit: 5).map(\.id), ["q3"], kind)
            XCTAssertEqual(try store.claimQueued(runner: "b", seconds: 30, limit: 5), [], kind)
            // A renews at 20 s (to 50 s) and admits q1; at 40 s B's claim on q3 has lapsed and A's
            // on q2 has not.
            clock.now = Self.instant + 20
            XCTAssertEqual(try store.renewLeases(runner: "a", jobs: ["q1", "q2", "q3"], seconds: 30), 2, kind)
            guard case .admitted = try store.admit(StoreFixture.admission("q1")) else { return XCTFail(kind) }
            XCTAssertNil(try store.queuedJob("q1"), kind)
            clock.now = Self.instant + 40
            XCTAssertEqual(try store.claimQueued(runner: "c", seconds: 30, limit: 5).map(\.id), ["q3"], kind)
            // q2 ends answered by another job; q3 fails before it was recorded.
            try store.endQueued("q2", answeredBy: "q1", failure: nil, keep: 10)
            try store.endQueued("q3", answeredBy: nil, failure: .init(code: "unauthorized", message: "m"), keep: 10)
            XCTAssertEqual(try store.queuedJob("q2")?.answeredBy, "q1", kind)
            XCTAssertEqual(try store.queuedJob("q3")?.failure?.code, "unauthorized", kind)
            clock.now = Self.instant + 200
            XCTAssertEqual(try store.claimQueued(runner: "c", seconds: 30, limit: 5), [], kind)
            // Ended ones free their places, and only the newest `keep` of a principal's stay.
            for (offset, id) in ["q5", "q6", "q7"].enumerated() {
                clock.now = Self.instant + 300 + Double(offset)
                try store.enqueue(queued(id), capacity: 3, perPrincipal: 2)
                try store.endQueued(id, answeredBy: nil, failure: .init(code: "x", message: "y"), keep: 2)
            }
            XCTAssertNil(try store.queuedJob("q5"), kind)
            XCTAssertNotNil(try store.queuedJob("q7"), kind)
            XCTAssertNotNil(try store.queuedJob("q3"), "\(kind): another principal's ended job was dropped")
        }
    }
}

/// A clock the test moves.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var time: Date
    init(_ time: Date) { self.time = time }
    var now: Date {
        get { lock.withLock { time } }
        set { lock.withLock { time = newValue } }
    }
}
