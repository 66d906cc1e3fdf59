import Foundation
import Logging
import ModelgateColumnar
import ModelgateCore
import ModelgateDisclosure
import ModelgateEstimators

/// One job, end to end: decode and validate the spec, admit it against the dataset's policy,
/// run the estimator, check the output for disclosure, and answer with results only.
///
/// This is the one place that knows the order. A refusal at any step is a result, not an error;
/// `run` throws only when the service itself cannot work (an unreadable dataset, say).
public struct JobPipeline: Sendable {
    public let datasets: DatasetStore
    let logger: Logger

    public init(state: URL, logger: Logger = Logger(label: "modelgate.job")) {
        datasets = DatasetStore(state: state)
        self.logger = logger
    }

    public func run(specText: String, job: String = UUID().uuidString.lowercased()) throws -> JobResult {
        let meter = UsageMeter()

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

        // 3. Run the estimator over the plan's columns only.
        let raw: RawResult
        do {
            raw = try Estimator.run(plan, on: try dataset.columns(plan.columns.map(\.name)))
        } catch let refusal as Refusal {
            return refused(job, refusal, model: spec.model, dataset: reference)
        }

        // 4. Check the output; only what passes leaves.
        let checker = OutputChecker(rules: dataset.policy.disclosure)
        switch checker.check(raw) {
        case .refused(let refusal, let report):
            logger.info("job refused at output check", metadata: ["job": "\(job)", "code": "\(refusal.code.rawValue)"])
            // A refused job says nothing about the rows it selected, not even how many were dropped.
            return JobResult(
                status: .refused, job: job, model: spec.model, dataset: reference, disclosure: report,
                usage: meter.usage(raw, rowsDropped: nil), reason: refusal)
        case .released(let output, let report):
            logger.info("job released", metadata: ["job": "\(job)", "verdict": "\(report.verdict.rawValue)"])
            return JobResult(
                status: .released, job: job, model: spec.model, dataset: reference, result: output, disclosure: report,
                usage: meter.usage(raw, rowsDropped: checker.releasable(count: raw.rowsDropped)))
        }
    }

    private func refused(_ job: String, _ refusal: Refusal, model: ModelKind?, dataset: DatasetReference?) -> JobResult
    {
        logger.info("job refused at admission", metadata: ["job": "\(job)", "code": "\(refusal.code.rawValue)"])
        return JobResult(status: .refused, job: job, model: model, dataset: dataset, reason: refusal)
    }
}

/// Wall-clock and CPU time of a job, from when it started.
struct UsageMeter {
    private let start = ContinuousClock.now
    private let cpuStart = UsageMeter.cpuSeconds()

    func usage(_ raw: RawResult, rowsDropped: Int?) -> Usage {
        let wall = ContinuousClock.now - start
        return Usage(
            rowsScanned: raw.rowsScanned, rowsDropped: rowsDropped,
            cpuSeconds: Self.cpuSeconds() - cpuStart,
            wallSeconds: Double(wall.components.seconds) + Double(wall.components.attoseconds) * 1e-18)
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) * 1e-6
        let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) * 1e-6
        return user + system
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
