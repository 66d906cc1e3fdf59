import Foundation
import ModelgateCore
import ModelgateSandbox
import ModelgateTestSupport
import Testing

@testable import ModelgateGateway
@testable import ModelgateStore

/// Every job is recorded, refusals included; quotas hold at the limit; a job whose process dies
/// is found interrupted; writers in several processes leave one valid chain.
@Suite struct JobRecordingTests {
    static let policyURL = Fixtures.repository.appendingPathComponent("policies/household-survey.yaml")

    /// A demo dataset under the shipped policy, `quota:` line replaced if asked.
    func demo(rows: Int = 3000, quota: Int? = nil) throws -> TemporaryFolder {
        let folder = try TemporaryFolder()
        var policy = try String(contentsOf: Self.policyURL, encoding: .utf8)
        if let quota {
            policy = policy.replacingOccurrences(
                of: "quota: { jobsPerDay: 200 }", with: "quota: { jobsPerDay: \(quota) }")
        }
        _ = try DemoDataset.prepare(rows: rows, policyText: policy, state: folder.url)
        return folder
    }

    @Test func everyJobIsRecordedAndItsReceiptPointsAtItsEvent() throws {
        let folder = try demo(rows: 20000)
        let pipeline = try JobPipeline(state: folder.url)
        var results = try Fixtures.exampleSpecs().map { try pipeline.run(specText: $0.text) }
        results.append(try pipeline.run(specText: "model: crosstab\ndataset: nowhere\nrows: [x]"))
        results.append(try pipeline.run(specText: "this is not a spec"))
        for result in results {
            let receipt = try #require(result.receipt, "\(result.job) has no receipt")
            let event = try #require(try pipeline.store.event(at: receipt.index))
            #expect(event.hash == receipt.hash && event.job == result.job)
            if result.reason == nil || result.disclosure != nil || result.usage != nil {
                // Ran: admitted, then finished with the hash of exactly this document.
                #expect(event.kind == .jobFinished)
                let detail = try JSONSerialization.jsonObject(with: Data(event.detail.utf8)) as? [String: Any]
                #expect(detail?["resultHash"] as? String == (try result.contentHash()))
                #expect(detail?["status"] as? String == result.status.rawValue)
            } else {
                #expect(event.kind == .jobRefused)
            }
        }
        // Two events per job that ran, one per job refused before, two for the dataset.
        let ran = results.count { $0.usage != nil }
        let verification = try pipeline.store.verifyChain(progress: nil)
        #expect(verification.failure == nil)
        #expect(verification.count == 2 + 2 * ran + (results.count - ran))
        let report = try pipeline.store.usageReport(.init())
        #expect(report.totals.jobs == results.count)
        #expect(report.reasons.contains { $0.code == "column_not_allowed" && $0.jobs == 1 })
        #expect(report.reasons.contains { $0.code == "unknown_dataset" && $0.jobs == 1 })
        // The suppression rate is made of the released documents' own cells.
        let cells = results.compactMap { $0.status == .released ? $0.result?.cellCounts : nil }
        #expect(report.totals.cellsReleased == cells.map(\.total).reduce(0, +))
        #expect(report.totals.cellsSuppressed == cells.map(\.suppressed).reduce(0, +))
        #expect(report.totals.cellsSuppressed > 0)
        // The command line's own jobs are use, but not a researcher's.
        #expect(report.totals.researchers == 0)
    }

    @Test func aQuotaRefusesAtTheLimitAndNotBefore() throws {
        let clock = MovableClock(Timestamp.parse("2026-03-01T23:00:00Z")!)
        let (folder, store) = try StoreFixture.store(jobs: 0, clock: clock.now)
        try withExtendedLifetime(folder) {
            for index in 0..<3 {
                guard case .admitted = try store.admit(StoreFixture.admission("a\(index)", jobsPerDay: 3)) else {
                    Issue.record("job \(index) of 3 refused before the limit")
                    return
                }
            }
            guard
                case .refused(let refusal) = try store.admit(StoreFixture.admission("a3", jobsPerDay: 3))
            else {
                Issue.record("the fourth job of three was admitted")
                return
            }
            #expect(refusal.code == .quotaExceeded)
            #expect(refusal.message.contains("resets at 2026-03-02T00:00:00.000Z"))
            // Another researcher has their own quota; the next UTC day starts afresh.
            guard case .admitted = try store.admit(StoreFixture.admission("b0", principal: "bob", jobsPerDay: 3)) else {
                Issue.record("bob was refused for alice's quota")
                return
            }
            clock.advance(by: 3600)
            guard case .admitted = try store.admit(StoreFixture.admission("a4", jobsPerDay: 3)) else {
                Issue.record("the quota did not reset at midnight UTC")
                return
            }
        }
    }

    @Test func thePipelineRefusesOverQuotaWithAReceipt() throws {
        let folder = try demo(quota: 2)
        let pipeline = try JobPipeline(state: folder.url)
        let spec = "model: crosstab\ndataset: household-survey\nrows: [district]"
        #expect(try pipeline.run(specText: spec, principal: "carol").status == .released)
        #expect(try pipeline.run(specText: spec, principal: "carol").status == .released)
        let third = try pipeline.run(specText: spec, principal: "carol")
        #expect(third.status == .refused && third.reason?.code == .quotaExceeded)
        let receipt = try #require(third.receipt)
        #expect(third.usage == nil)
        #expect(try pipeline.store.event(at: receipt.index)?.kind == .jobRefused)
        #expect(try pipeline.run(specText: spec, principal: "dave").status == .released)
    }

    /// `modelgate run` killed while its worker runs: the next start finds the job and marks it
    /// interrupted, with an event. While the process lives, the job is left alone.
    @Test func aJobKilledMidRunIsInterruptedAfterRestart() throws {
        let folder = try demo()
        let spec = try folder.write("spec.yaml", "model: crosstab\ndataset: household-survey\nrows: [district]")
        let slowWorker = try folder.executable("slow-worker.sh", "#!/bin/sh\nexec sleep 5\n")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Fixtures.builtProgram("modelgate"))
        process.arguments = ["run", spec.path, "--state", folder.url.path]
        process.environment = ["MODELGATE_WORKER": slowWorker.path, "PATH": "/usr/bin:/bin"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let store = try SQLiteStore(state: folder.url)
        let deadline = ContinuousClock.now + .seconds(20)
        while try store.unfinishedJobs().isEmpty && ContinuousClock.now < deadline { usleep(20_000) }
        let unfinished = try store.unfinishedJobs()
        #expect(unfinished.count == 1)
        #expect(try JobRecovery(store: store, logger: .init(label: "test")).markLostJobs().isEmpty)

        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let marked = try JobRecovery(store: store, logger: .init(label: "test")).markLostJobs()
        #expect(marked.map(\.job) == unfinished.map(\.job))
        #expect(try store.unfinishedJobs().isEmpty)
        var last: AuditEvent?
        try store.forEachEvent(.init()) { last = $0 }
        #expect(last?.kind == .jobInterrupted && last?.job == unfinished.first?.job)
        #expect(try store.verifyChain(progress: nil).failure == nil)
        #expect(try store.usageReport(.init()).lines.contains { $0.status == "interrupted" && $0.jobs == 1 })
    }

    /// A job admitted on another host is left to it until its deadline has passed; then
    /// nothing can still be running it.
    @Test func aJobOfAnotherHostIsInterruptedOnlyPastItsDeadline() throws {
        let clock = MovableClock(Timestamp.parse("2026-03-01T12:00:00Z")!)
        let (folder, store) = try StoreFixture.store(jobs: 0, clock: clock.now)
        _ = try store.admit(StoreFixture.admission("far"))
        let recovery = JobRecovery(store: store, logger: .init(label: "test"), now: clock.now)
        clock.advance(by: 60 + 59)
        #expect(try recovery.markLostJobs().isEmpty)
        clock.advance(by: 2)
        #expect(try recovery.markLostJobs().map(\.job) == ["far"])
        #expect(try withExtendedLifetime(folder) { try store.unfinishedJobs() }.isEmpty)
    }

    /// A job cannot finish twice: its record, once finished, is not rewritten.
    @Test func aFinishedJobCannotBeFinishedAgain() throws {
        let (folder, store) = try StoreFixture.store(jobs: 1)
        #expect(throws: ModelgateError.self) {
            try store.finish(JobCompletion(job: "job-0", status: .failed, reason: Refusal(.crashed, "again")))
        }
        #expect(try withExtendedLifetime(folder) { try store.usageReport(.init()) }.lines.map(\.status) == ["released"])
    }

    /// A dataset name with a NUL (a YAML escape) is the researcher's text: the refusal is
    /// recorded without it, and the log still verifies.
    @Test func aDatasetNameWithANulIsRefusedAndTheLogStillVerifies() throws {
        let folder = try demo()
        let pipeline = try JobPipeline(state: folder.url)
        let result = try pipeline.run(specText: "model: summary\ndataset: \"house\\0hold\"\nvariables: [income]")
        #expect(result.status == .refused && result.receipt != nil)
        #expect(try pipeline.store.verifyChain(progress: nil).failure == nil)
    }

    /// A job the service could not run ends as failed with the operator's error, not admitted.
    @Test func aWorkerThatCannotStartLeavesAFailedJobNotAnUnfinishedOne() throws {
        let folder = try demo()
        let store = try SQLiteStore(state: folder.url)
        let pipeline = JobPipeline(
            state: folder.url, store: store, worker: Worker(executable: "/nonexistent/modelgate-worker"))
        #expect(throws: ModelgateError.self) {
            try pipeline.run(specText: "model: crosstab\ndataset: household-survey\nrows: [district]")
        }
        #expect(try store.unfinishedJobs().isEmpty)
        #expect(try store.usageReport(.init()).reasons.map(\.code) == ["worker_unavailable"])
    }

    /// Four processes appending at once (the CLI beside the server) leave one unbroken chain with
    /// every job in it.
    @Test func concurrentWritersFromSeveralProcessesLeaveAValidChain() throws {
        let folder = try TemporaryFolder()
        let state = folder.url.appendingPathComponent("state")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Fixtures.builtProgram("modelgate"))
        process.arguments = ["audit", "bench", "--writers", "4", "--jobs", "150", "--state", state.path]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let store = try SQLiteStore(state: state)
        let verification = try store.verifyChain(progress: nil)
        #expect(verification.failure == nil)
        #expect(verification.count == 2 + 4 * 150 * 2)
        let report = try store.usageReport(.init())
        // The benchmark's writers are not principals, so not researchers.
        #expect(report.totals.jobs == 600 && report.totals.researchers == 0)
        #expect(report.lines.map(\.status) == ["released"])
    }

    /// Threads of one process share a store, as the server's concurrent jobs will.
    @Test func concurrentWritersInOneProcessLeaveAValidChain() async throws {
        let (folder, store) = try StoreFixture.store(jobs: 0)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<4 {
                group.addTask {
                    for index in 0..<50 {
                        let job = "t\(writer)-\(index)"
                        _ = try store.admit(StoreFixture.admission(job, principal: "p\(writer)"))
                        _ = try store.finish(JobCompletion(job: job, status: .released, verdict: "pass"))
                    }
                }
            }
            try await group.waitForAll()
        }
        let verification = try withExtendedLifetime(folder) { try store.verifyChain(progress: nil) }
        #expect(verification.failure == nil && verification.count == 2 + 4 * 50 * 2)
    }
}
