import Foundation
import Logging
import ModelgateColumnFiles
import ModelgateColumnar
import ModelgateCore
import ModelgateDisclosure
import ModelgateParsing
import ModelgateSandbox

/// One job, end to end: decode and validate the spec, admit it against the dataset's policy,
/// run the estimator in a restricted worker process, check the output for disclosure, and answer
/// with results only.
///
/// This is the one place that knows the order. A refusal at any step is a result, not an error,
/// and so is a worker that fails (a limit, a sandbox violation, a crash); `run` throws only when
/// the service itself cannot work (an unreadable dataset, a worker that cannot start).
public struct JobPipeline: Sendable {
    public let datasets: DatasetStore
    let worker: Worker
    let logger: Logger

    public init(state: URL, worker: Worker, logger: Logger = Logger(label: "modelgate.job")) {
        datasets = DatasetStore(state: state)
        self.worker = worker
        self.logger = logger
    }

    /// With the `modelgate-worker` found next to the running program (or at `MODELGATE_WORKER`).
    public init(state: URL, logger: Logger = Logger(label: "modelgate.job")) throws {
        self.init(state: state, worker: try Worker.locate(), logger: logger)
    }

    public func run(specText: String, job: String = UUID().uuidString.lowercased()) throws -> JobResult {
        // 1. Decode and validate: size, shape, known model.
        let spec: ModelSpec
        do {
            spec = try ModelSpec(text: specText)
        } catch {
            return refused(job, error, model: nil, dataset: nil)
        }

        // 2. Admit: the dataset exists and is open, the policy allows this model on these columns.
        guard let dataset = try datasets.open(spec.dataset) else {
            let known = datasets.list()
            let hint =
                known.isEmpty ? "no dataset has been ingested yet" : "known datasets: \(known.joined(separator: ", "))"
            return refused(
                job, Refusal(.unknownDataset, "dataset '\(spec.dataset)' does not exist; \(hint)"), model: spec.model,
                dataset: nil)
        }
        let reference = DatasetReference(
            id: dataset.manifest.id, version: dataset.manifest.version, citation: dataset.policy.dataset.citation)
        let plan: Plan
        do {
            plan = try dataset.policy.admit(spec)
        } catch {
            return refused(job, error, model: spec.model, dataset: reference)
        }

        // 3. Run the estimator in a locked-down worker, handed the plan's column files only.
        let outcome = try worker.run(
            .plan(plan), columns: try dataset.openColumns(plan.columns.map(\.name)), limits: dataset.policy.limits)
        let raw: RawResult
        switch outcome.ending {
        case .reply(.result(let result)):
            raw = result
        case .reply(.refused(let refusal)):
            return refused(job, refusal, model: spec.model, dataset: reference)
        case .reply(.failed(let failure)), .failed(let failure):
            logger.warning("job failed in its worker", metadata: ["job": "\(job)", "code": "\(failure.code.rawValue)"])
            return JobResult(
                status: .failed, job: job, model: spec.model, dataset: reference,
                usage: outcome.usage(rowsScanned: nil, rowsDropped: nil), reason: failure)
        case .reply(.probe):
            throw ModelgateError("worker_protocol", "the worker answered a job with a probe result")
        }

        // 4. Check the output; only what passes leaves.
        let checker = OutputChecker(rules: dataset.policy.disclosure)
        switch checker.check(raw) {
        case .refused(let refusal, let report):
            logger.info("job refused at output check", metadata: ["job": "\(job)", "code": "\(refusal.code.rawValue)"])
            // A refused job says nothing about the rows it selected, not even how many were dropped.
            return JobResult(
                status: .refused, job: job, model: spec.model, dataset: reference, disclosure: report,
                usage: outcome.usage(rowsScanned: raw.rowsScanned, rowsDropped: nil), reason: refusal)
        case .released(let output, let report):
            logger.info("job released", metadata: ["job": "\(job)", "verdict": "\(report.verdict.rawValue)"])
            return JobResult(
                status: .released, job: job, model: spec.model, dataset: reference, result: output, disclosure: report,
                usage: outcome.usage(
                    rowsScanned: raw.rowsScanned, rowsDropped: checker.releasable(count: raw.rowsDropped)))
        }
    }

    private func refused(_ job: String, _ refusal: Refusal, model: ModelKind?, dataset: DatasetReference?) -> JobResult
    {
        logger.info("job refused", metadata: ["job": "\(job)", "code": "\(refusal.code.rawValue)"])
        return JobResult(status: .refused, job: job, model: model, dataset: dataset, reason: refusal)
    }
}

extension WorkerOutcome {
    /// The worker's CPU, wall-clock time and peak memory, with the rows it reports.
    func usage(rowsScanned: Int?, rowsDropped: Int?) -> Usage {
        Usage(
            rowsScanned: rowsScanned, rowsDropped: rowsDropped, cpuSeconds: cpuSeconds, wallSeconds: wallSeconds,
            peakMemoryBytes: peakMemoryBytes)
    }
}

extension JobResult {
    /// The result as the JSON of the public contract.
    public func jsonText() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
