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
            // Said in the gateway's own words: the worker's text could carry anything.
            let known = Refusal.fromWorker(refusal.code, plan: plan)
            if known == nil { logFailure(job, outcome, "refused with an unexpected code \(refusal.code.rawValue)") }
            return refused(
                job, known ?? Refusal(.crashed, "the worker answered with an unknown refusal"),
                model: spec.model, dataset: reference)
        case .failed(let failure):
            logFailure(job, outcome, failure.code.rawValue)
            return failed(job, failure, outcome, model: spec.model, dataset: reference)
        case .reply(.failed(let failure)):
            logFailure(job, outcome, "reported \(failure.code.rawValue)")
            let known = failure.code == .memoryLimit ? Refusal.fromWorker(failure.code, plan: plan) : nil
            return failed(
                job, known ?? Refusal(.crashed, "the worker reported an unknown failure"), outcome, model: spec.model,
                dataset: reference)
        case .reply(.probe):
            logFailure(job, outcome, "answered a job with a probe result")
            return failed(
                job, Refusal(.crashed, "the worker answered with something other than a result"), outcome,
                model: spec.model, dataset: reference)
        }
        // The dataset's size is public; the gateway says it, not the worker.
        let rowsScanned = dataset.manifest.rowCount

        // 4. Check the output; only what passes leaves.
        let checker = OutputChecker(rules: dataset.policy.disclosure)
        switch checker.check(raw) {
        case .refused(let refusal, let report):
            logger.info("job refused at output check", metadata: ["job": "\(job)", "code": "\(refusal.code.rawValue)"])
            // A refused job says nothing about the rows it selected, not even how many were dropped.
            return JobResult(
                status: .refused, job: job, model: spec.model, dataset: reference, disclosure: report,
                usage: outcome.usage(rowsScanned: rowsScanned, rowsDropped: nil), reason: refusal)
        case .released(let output, let report):
            logger.info("job released", metadata: ["job": "\(job)", "verdict": "\(report.verdict.rawValue)"])
            return JobResult(
                status: .released, job: job, model: spec.model, dataset: reference, result: output, disclosure: report,
                usage: outcome.usage(
                    rowsScanned: rowsScanned, rowsDropped: checker.releasable(count: raw.rowsDropped)))
        }
    }

    private func failed(
        _ job: String, _ reason: Refusal, _ outcome: WorkerOutcome, model: ModelKind, dataset: DatasetReference
    ) -> JobResult {
        JobResult(
            status: .failed, job: job, model: model, dataset: dataset,
            usage: outcome.usage(rowsScanned: nil, rowsDropped: nil), reason: reason)
    }

    private func logFailure(_ job: String, _ outcome: WorkerOutcome, _ what: String) {
        logger.warning(
            "job failed in its worker",
            metadata: ["job": "\(job)", "what": "\(what)", "worker": "\(outcome.diagnostics)"])
    }

    private func refused(_ job: String, _ refusal: Refusal, model: ModelKind?, dataset: DatasetReference?) -> JobResult
    {
        logger.info("job refused", metadata: ["job": "\(job)", "code": "\(refusal.code.rawValue)"])
        return JobResult(status: .refused, job: job, model: model, dataset: dataset, reason: refusal)
    }
}

extension WorkerOutcome {
    /// The worker's CPU, wall-clock time and peak memory, with the rows it reports. Rounded
    /// (milliseconds, whole MiB): a worker whose code went wrong controls these figures, and
    /// rounding narrows what it could signal through them.
    func usage(rowsScanned: Int?, rowsDropped: Int?) -> Usage {
        Usage(
            rowsScanned: rowsScanned, rowsDropped: rowsDropped, cpuSeconds: (cpuSeconds * 1000).rounded() / 1000,
            wallSeconds: (wallSeconds * 1000).rounded() / 1000,
            peakMemoryBytes: ((peakMemoryBytes + (1 << 19)) >> 20) << 20)
    }
}

extension Refusal {
    /// The refusals a worker may answer with, each in the gateway's own words (the limits it
    /// names come from the plan); nil for a code a worker never sends.
    static func fromWorker(_ code: Refusal.Code, plan: Plan) -> Refusal? {
        switch code {
        case .invalidSpec:
            Refusal(code, "a dimension or feature of the spec has no levels: the dataset holds no value for it")
        case .unknownColumn:
            Refusal(code, "a column the spec uses is in the policy but not in the ingested dataset")
        case .tooManyCells:
            Refusal(code, "the table would have more than the \(plan.maximumCells) cells allowed")
        case .tooManyParameters:
            Refusal(
                code,
                "the design would have more than \(AdmissionLimits.terms) terms; use fewer or coarser category features"
            )
        case .memoryLimit:
            Refusal(code, "the job's columns do not fit the policy's memory limit")
        default: nil
        }
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
