import Foundation
import ModelgateCore
import ModelgateGateway
import ModelgateStore

/// How fast jobs are recorded: several writer processes, each recording jobs as the pipeline does
/// (admitted, then finished: two transactions, two chained events), all into one store at once;
/// then the whole chain verified.
package enum StoreBenchmark {
    package struct Figures: Sendable {
        package var writers: Int
        package var jobs: Int
        package var recordSeconds: Double
        package var events: Int
        package var verifySeconds: Double
        package var chainIntact: Bool
        package var jobsPerSecond: Double { Double(jobs) / recordSeconds }
    }

    /// The dataset every benchmark job names.
    static let dataset = DatasetVersionRecord(
        id: "bench", title: "Benchmark", owner: "bench-body", version: String(repeating: "a", count: 64),
        rowCount: 1000, policyHash: String(repeating: "b", count: 64), policyText: "dataset: {id: bench}",
        ingestedAt: "2026-01-01T00:00:00Z", source: "bench.csv")

    /// Runs `writers` copies of `writerCommand` (this program, in writer mode) against a fresh
    /// store (`open` opens it: a state folder's SQLite file, or a PostgreSQL database), times
    /// them from the first start to the last exit, then verifies the chain they left.
    package static func run(
        open: () throws -> any GatewayStore, writers: Int, jobsPerWriter: Int,
        writerCommand: (Int) -> (String, [String])
    ) throws -> Figures {
        let store = try open()
        try store.recordDatasetVersion(dataset, by: "bench")
        let start = ContinuousClock.now
        let processes = try (0..<writers).map { index in
            let (executable, arguments) = writerCommand(index)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            try process.run()
            return process
        }
        for process in processes {
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw ModelgateError("bench_failed", "a writer exited with status \(process.terminationStatus)")
            }
        }
        let recordSeconds = (ContinuousClock.now - start).seconds
        let verifyStart = ContinuousClock.now
        let verification = try store.verifyChain(progress: nil)
        return Figures(
            writers: writers, jobs: writers * jobsPerWriter, recordSeconds: recordSeconds, events: verification.count,
            verifySeconds: (ContinuousClock.now - verifyStart).seconds, chainIntact: verification.failure == nil)
    }

    /// One writer: records `jobs` jobs for `principal`, each admitted and then finished.
    package static func write(to store: any GatewayStore, jobs: Int, principal: String) throws {
        let usage = Usage(
            rowsScanned: 1000, rowsDropped: 0, cpuSeconds: 0.004, wallSeconds: 0.005, peakMemoryBytes: 7 << 20)
        for index in 0..<jobs {
            let job = "\(principal)-\(index)"
            let admission = JobAdmission(
                job: job, principal: principal, dataset: dataset, model: "summary", jobsPerDay: Int.max,
                wallSeconds: 60, runner: "bench/\(getpid())/0")
            guard case .admitted = try store.admit(admission) else {
                throw ModelgateError("bench_failed", "job \(job) was not admitted")
            }
            _ = try store.finish(
                JobCompletion(
                    job: job, status: .released, verdict: "pass", cellsReleased: 4, cellsSuppressed: 0, usage: usage,
                    resultHash: String(repeating: "c", count: 64)))
        }
    }

    /// What the ε debit adds to admission: `count` admissions of each kind into one fresh store,
    /// interleaved one by one (exact, then dp with its conditional updates of the dataset's cap
    /// and an agreement's allocation), each finished at once; the median admission of each, in
    /// seconds.
    package static func admissionCost(state: URL, count: Int) throws -> (exact: Double, debited: Double) {
        let store = try SQLiteStore(state: state)
        try store.recordDatasetVersion(dataset, by: "bench")
        var exact: [Double] = []
        var debited: [Double] = []
        let debit = BudgetDebit(
            epsilon: MicroEpsilon(micros: 1), datasetCap: .largest, agreement: "agr-bench", agreementCap: .largest)
        for index in 0..<count {
            for dp in [false, true] {
                let job = "\(dp ? "dp" : "exact")-\(index)"
                let admission = JobAdmission(
                    job: job, principal: "bench", dataset: dataset, model: "crosstab", jobsPerDay: Int.max,
                    wallSeconds: 60, runner: "bench/\(getpid())/0", debit: dp ? debit : nil)
                let start = ContinuousClock.now
                guard case .admitted = try store.admit(admission) else {
                    throw ModelgateError("bench_failed", "job \(job) was not admitted")
                }
                let seconds = (ContinuousClock.now - start).seconds
                if dp { debited.append(seconds) } else { exact.append(seconds) }
                _ = try store.finish(JobCompletion(job: job, status: .released, verdict: "pass"))
            }
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        return (median(exact), median(debited))
    }
}
