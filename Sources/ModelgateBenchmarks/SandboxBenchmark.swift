import Foundation
import ModelgateColumnFiles
import ModelgateColumnar
import ModelgateCore
import ModelgateGateway
import ModelgateParsing
import ModelgateSandbox

/// The cost of the restricted process: spawn, lockdown, a tiny job (a summary of 1,000 rows),
/// reply and exit, side by side with `bwrap --unshare-all` starting `/usr/bin/true`, both started
/// and reaped by the same ``WorkerRunner`` and interleaved run by run; and the same job in a worker
/// forked by a fork server (``ForkServer``), as `modelgate serve` runs them.
package enum SandboxBenchmark {
    package struct Figures: Sendable {
        package var runs: Int
        package var workerMedian: Double
        package var bwrapMedian: Double?
        package var workerSamples: [Double]
        package var bwrapSamples: [Double]
        /// Wall-clock seconds of the forked worker, and the CPU seconds of each kind of worker.
        package var forkedSamples: [Double] = []
        package var workerCPU: [Double] = []
        package var forkedCPU: [Double] = []
    }

    /// The bwrap command line: every namespace, and /usr read-only so that /usr/bin/true loads.
    package static let bwrapArguments = [
        "--unshare-all", "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64",
        "/lib64", "--symlink", "usr/bin", "/bin", "/usr/bin/true",
    ]

    package static func run(
        runs: Int, policyText: String, worker: Worker, forked: Worker? = nil, bwrap: String?,
        progress: (Int) -> Void = { _ in }
    ) throws -> Figures {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent(
            "modelgate-bench-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: state) }
        let manifest = try DemoDataset.prepare(rows: 1000, policyText: policyText, state: state)
        guard let dataset = try DatasetStore(state: state).open(manifest.id) else {
            throw ModelgateError("bench_failed", "the benchmark dataset did not open")
        }
        let numeric = dataset.policy.columns.first { $0.type == .number && $0.columnClass != .identifier }
        guard let variable = numeric?.name else {
            throw ModelgateError("bench_failed", "the policy has no usable number column to summarise")
        }
        let plan = try dataset.policy.admit(
            try ModelSpec(text: "model: summary\ndataset: \(manifest.id)\nvariables: [\(variable)]"))

        let bwrapRunner = bwrap.map { WorkerRunner(executable: $0) }
        var figures = Figures(runs: runs, workerMedian: 0, bwrapMedian: nil, workerSamples: [], bwrapSamples: [])
        func tinyJob(_ worker: Worker) throws -> WorkerOutcome {
            let outcome = try worker.run(
                .plan(plan), columns: try dataset.openColumns(plan.columns.map(\.name)), limits: dataset.policy.limits)
            guard case .reply(.result) = outcome.ending else {
                throw ModelgateError("bench_failed", "the tiny job did not produce a result: \(outcome.ending)")
            }
            return outcome
        }
        // The fork server starts and warms up before the first run is timed.
        if let forked { _ = try tinyJob(forked) }
        for index in 0..<runs {
            let outcome = try tinyJob(worker)
            figures.workerSamples.append(outcome.wallSeconds)
            figures.workerCPU.append(outcome.cpuSeconds)
            if let forked {
                let outcome = try tinyJob(forked)
                figures.forkedSamples.append(outcome.wallSeconds)
                figures.forkedCPU.append(outcome.cpuSeconds)
            }
            if let bwrapRunner {
                let exit = try bwrapRunner.run(
                    arguments: bwrapArguments, input: [], descriptors: [],
                    caps: .init(wallSeconds: 10, outputBytes: 1 << 16))
                guard exit.termination == .exited(0) else {
                    throw ModelgateError(
                        "bench_failed", "bwrap failed: \(String(decoding: exit.stderr, as: UTF8.self))")
                }
                figures.bwrapSamples.append(exit.wallSeconds)
            }
            progress(index + 1)
        }
        figures.workerMedian = median(figures.workerSamples)
        figures.bwrapMedian = figures.bwrapSamples.isEmpty ? nil : median(figures.bwrapSamples)
        return figures
    }

    package static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
