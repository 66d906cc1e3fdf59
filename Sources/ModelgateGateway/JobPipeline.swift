import Crypto
import Foundation
import Logging
import ModelgateColumnFiles
import ModelgateColumnar
import ModelgateCore
import ModelgateDisclosure
import ModelgateParsing
import ModelgatePrivacy
import ModelgateSandbox
import ModelgateStore

/// A job's result, and its document as the researcher receives it (``JobResult/jsonText()``).
package struct JobAnswer: Sendable {
    package var result: JobResult
    package var text: String

    init(result: JobResult, text: String) {
        self.result = result
        self.text = text
    }

    /// A result no store recorded.
    init(_ result: JobResult) throws {
        self.init(result: result, text: try result.jsonText())
    }
}

/// One job, end to end: decode and validate the spec, admit it against the dataset's policy and
/// the researcher's quota, run the estimator in a restricted worker process, check the output for
/// disclosure, record it, and answer with results only.
///
/// This is the one place that knows the order. A refusal at any step is a result, not an error,
/// and so is a worker that fails (a limit, a sandbox violation, a crash); `run` throws only when
/// the service itself cannot work (an unreadable dataset, a worker that cannot start, a store
/// that cannot record). Every job is recorded: a refusal before it runs as one event; an admitted
/// job as admitted (committed before its worker starts) and then finished. The result carries the
/// receipt of its last event.
package struct JobPipeline: Sendable {
    package let datasets: DatasetStore
    package let store: any GatewayStore
    let worker: Worker
    let logger: Logger
    /// This process, as recorded with the jobs it admits.
    let runner = RunnerIdentity.current
    /// Every dataset version's release ledger, shared by every job this pipeline runs.
    let ledgers: LedgerBook
    /// The leases of the jobs it runs (see ``LeaseKeeper``).
    let leases: LeaseKeeper

    /// How long a job's lease lasts unrenewed.
    package var leaseSeconds: Int { leases.seconds }

    /// This process, as the store records the jobs it runs and the queued jobs it claims.
    package var runnerName: String { runner.description }

    /// Keeps the claim on queued job `job` (then its lease) renewed while `body` runs.
    package func holdingLease<T>(of job: String, _ body: () async throws -> T) async rethrows -> T {
        leases.begin(job)
        defer { leases.end(job) }
        return try await body()
    }

    /// A job's lease, unless a process says otherwise: renewed every 10 s while it runs.
    package static let defaultLeaseSeconds = 30

    package init(
        state: URL, store: any GatewayStore, worker: Worker, leaseSeconds: Int = Self.defaultLeaseSeconds,
        logger: Logger = Logger(label: "modelgate.job")
    ) {
        datasets = DatasetStore(state: state)
        self.store = store
        self.worker = worker
        self.logger = logger
        ledgers = LedgerBook(state: state)
        leases = LeaseKeeper(store: store, runner: runner.description, seconds: leaseSeconds, logger: logger)
    }

    /// `store` (by default the state folder's own), with the `modelgate-worker` found next to the
    /// running program (or at `MODELGATE_WORKER`). Jobs left unfinished by a process that is gone
    /// are marked interrupted first.
    package init(state: URL, store: (any GatewayStore)? = nil, logger: Logger = Logger(label: "modelgate.job")) throws {
        let store = try store ?? SQLiteStore(state: state)
        try Self.recoverLostJobs(store: store, logger: logger)
        self.init(state: state, store: store, worker: try Worker.locate(), logger: logger)
    }

    /// Marks the jobs of processes that are gone as interrupted (at start-up).
    package static func recoverLostJobs(store: any GatewayStore, logger: Logger) throws {
        try JobRecovery(store: store, logger: logger).markLostJobs()
    }

    /// Marks the jobs whose lease expired as interrupted, whichever gateway ran them (a running
    /// gateway calls it every third of a lease); returns how many.
    package func recoverExpiredLeases() throws -> Int {
        try JobRecovery(store: store, logger: logger).markExpiredLeases().count
    }

    /// Whether a spec reads and names a dataset that exists: what a job must be before it is
    /// accepted to run later. One that is not is answered at once, as a bad request or an
    /// unknown dataset, even when the client asked for an asynchronous answer.
    package func canBeQueued(_ specText: String) -> Bool {
        guard let spec = try? ModelSpec(text: specText) else { return false }
        return (try? datasets.open(spec.dataset)) != nil
    }

    /// Runs one job for `principal` (`operator` for the command line's own dry runs). With
    /// `needsAgreement` (a researcher's job), one of the principal's active agreements must cover
    /// the dataset and model; an owner's dry run needs none.
    ///
    /// With an `idempotencyKey` (a client's `Idempotency-Key`), a request sent again with the same
    /// key and spec returns the first one's answer and spends nothing more; with another spec it
    /// is refused (`idempotency_key_reused`), and while the first still runs, `job_in_progress`.
    package func run(
        specText: String, principal: String = "operator", needsAgreement: Bool = false,
        job: String = JobID.make(), idempotencyKey: String? = nil
    ) throws -> JobResult {
        try answer(
            specText: specText, principal: principal, needsAgreement: needsAgreement, job: job,
            idempotencyKey: idempotencyKey
        ).result
    }

    /// ``run(specText:principal:needsAgreement:job:idempotencyKey:)`` with the result's document
    /// as the researcher receives it, encoded once.
    package func answer(
        specText: String, principal: String = "operator", needsAgreement: Bool = false,
        job: String = JobID.make(), idempotencyKey: String? = nil
    ) throws -> JobAnswer {
        if let idempotencyKey,
            let answer = try answerToEarlierRequest(
                idempotencyKey, specText: specText, principal: principal, needsAgreement: needsAgreement, job: job)
        {
            return answer
        }
        // 1. Decode and validate: size, shape, known model.
        let spec: ModelSpec
        do {
            spec = try ModelSpec(text: specText)
        } catch {
            return try refusedBeforeRunning(job, principal, error, model: nil, dataset: nil, named: nil)
        }

        // 2. Admit: the dataset exists and is open, the policy allows this model on these columns,
        //    and the researcher has quota left today. Recorded as admitted before anything runs.
        guard let dataset = try datasets.open(spec.dataset) else {
            let known = datasets.list()
            let hint =
                known.isEmpty ? "no dataset has been ingested yet" : "known datasets: \(known.joined(separator: ", "))"
            return try refusedBeforeRunning(
                job, principal, Refusal(.unknownDataset, "dataset '\(spec.dataset)' does not exist; \(hint)"),
                model: spec.model, dataset: nil,
                // Recorded only when it is a well-formed id: it is the researcher's own text.
                named: DatasetDescription.isValidID(spec.dataset) ? spec.dataset : nil, spec: SpecRecord(spec))
        }
        let reference = DatasetReference(
            id: dataset.manifest.id, version: dataset.publicVersion, citation: dataset.policy.dataset.citation)
        //    On a dataset in privacy mode dp, the job's ε comes off the dataset's cap and its
        //    agreement's allocation in the same transaction, or it is refused.
        let plan: Plan
        let terms: PrivacyTerms?
        let agreement: Agreement?
        do {
            (agreement, plan, terms) = try admitWithoutRecording(
                spec, dataset, principal: principal, needsAgreement: needsAgreement)
        } catch let error as Refusal {
            return try refusedBeforeRunning(
                job, principal, error, model: spec.model, dataset: reference, named: reference.id,
                spec: SpecRecord(spec))
        }
        // What the result says was asked: the spec with the plan's defaults and the ε it spends.
        let record = SpecRecord(spec, plan: plan, epsilon: terms?.epsilon)
        let privacy = dataset.policy.privacy
        let admission = JobAdmission(
            job: job, principal: principal, dataset: dataset.versionRecord, model: spec.model.rawValue,
            jobsPerDay: dataset.policy.quota.jobsPerDay, wallSeconds: dataset.policy.limits.wallSeconds,
            runner: runner.description,
            // Every dp job pays the dataset's cap, an owner's dry run and the command line's too;
            // a researcher's also its agreement's allocation.
            debit: terms.map { terms in
                BudgetDebit(
                    epsilon: terms.epsilon, datasetCap: privacy.datasetEpsilon, agreement: agreement?.id,
                    agreementCap: privacy.agreementEpsilon)
            }, answerKey: try terms.map { try Self.answerKey(spec, $0, reference) }, leaseSeconds: leases.seconds)
        switch try store.admit(admission) {
        case .refused(let refusal):
            return try refusedBeforeRunning(
                job, principal, refusal, model: spec.model, dataset: reference, named: reference.id, spec: record)
        case .repeated(_, let earlier, let document):
            // The same dp question on the same version: the same noisy answer, at no cost (a fresh
            // draw would spend ε and, averaged with the first, tell more).
            var result = try JobResult(jsonText: document)
            result.job = job
            result.repeatOf = earlier
            result.usage = nil
            result.spec = record
            return try recordFinished(result)
        case .admitted: break
        }
        // The job holds its lease from here; its end presents it.
        leases.begin(job)
        defer { leases.end(job) }
        do {
            var (result, release) = try runAdmitted(job, spec, plan, terms, dataset, reference)
            result.spec = record
            if let release { return try recordReleased(result, release) }
            // In dp mode how a worker failed (a limit, a refusal of the data's shape) may depend
            // on the data: one fixed failure, without figures. What the mechanism said (with its
            // privacy report) depends on the noisy figures alone.
            var finished = terms == nil || result.privacy != nil ? result : Self.dpFailure(result)
            finished.spec = record
            return try recordFinished(finished)
        } catch {
            // The service could not run it (no worker, no sandbox on this host): the job ends here
            // as failed, with the operator's error, rather than waiting to be found interrupted.
            // Its ε goes back if no worker ever read the data.
            let code = (error as? ModelgateError)?.code.rawValue ?? "internal_error"
            do {
                var completion = JobCompletion(
                    job: job, status: .failed, reason: Refusal(Refusal.Code(rawValue: code), "\(error)"))
                completion.refund = Worker.neverReadData(error)
                completion.lease = runner.description
                _ = try store.finish(completion)
            } catch let recording {
                logger.error(
                    "a failed job could not be recorded as failed; it stays admitted until its deadline",
                    metadata: ["job": "\(job)", "error": "\(recording)"])
            }
            throw error
        }
    }

    /// The answer to a request whose `Idempotency-Key` was sent before: the first request's
    /// answer, the refusal of a key reused for another spec, `job_in_progress`, or the first
    /// attempt run now when it died before it was recorded; nil when the key is new (claimed for
    /// `job`).
    private func answerToEarlierRequest(
        _ key: String, specText: String, principal: String, needsAgreement: Bool, job: String
    ) throws -> JobAnswer? {
        let request = Hex.string(SHA256.hash(data: Data(specText.utf8)))
        switch try store.claimIdempotencyKey(key, principal: principal, job: job, request: request) {
        case .claimed:
            return nil
        case .earlier(_, sameRequest: false):
            throw ModelgateError(.idempotencyKeyReused, "Idempotency-Key '\(key)' was sent before with another spec")
        case .earlier(let first, sameRequest: true):
            let recorded = try store.job(first)
            if let recorded, let document = recorded.document {
                // The first answer again, with its receipt.
                var first = try JobResult(jsonText: document)
                first.receipt = recorded.receipt
                return JobAnswer(result: first, text: try JobResult.document(document, receipt: recorded.receipt))
            }
            if let recorded, recorded.status != JobStatus.admitted.rawValue {
                // Interrupted (its process died while it ran): it may have read data and spent ε,
                // so it is not run again.
                return try JobAnswer(
                    JobResult(
                        status: .failed, job: first, model: nil, dataset: nil,
                        reason: Refusal(
                            Refusal.Code(rawValue: recorded.status),
                            "job \(first), the first request with this Idempotency-Key, ended \(recorded.status)")))
            }
            // Not recorded yet, but still waiting in the store's queue (asynchronous, not yet
            // admitted by whichever gateway claimed it): it runs, and answers this one too.
            let queued = try store.queuedJob(first)
            guard recorded == nil, queued == nil || queued?.answeredBy != nil || queued?.failure != nil else {
                throw ModelgateError(
                    .jobInProgress, "job \(first), the first request with this Idempotency-Key, is still running")
            }
            // The first attempt ended before it was recorded (its process died): run it now, as
            // the same job; were it running after all, its id keeps this one from being admitted
            // twice.
            return try answer(specText: specText, principal: principal, needsAgreement: needsAgreement, job: first)
        }
    }

    /// A dp job that did not release: one fixed failure, without figures.
    static func dpFailure(_ result: JobResult) -> JobResult {
        JobResult(
            status: .failed, job: result.job, model: result.model, dataset: result.dataset,
            reason: Refusal(
                .crashed,
                "the job did not finish in its worker; in privacy mode dp the reason is not shown, as it may depend on the data"
            ))
    }

    /// Steps 3 and 4 of an admitted job: the worker, then the output checks; for a result that
    /// passed them, what the release ledger must see before it leaves.
    private func runAdmitted(
        _ job: String, _ spec: ModelSpec, _ plan: Plan, _ terms: PrivacyTerms?, _ dataset: StoredDataset,
        _ reference: DatasetReference
    ) throws -> (JobResult, PendingRelease?) {
        // 3. Run the estimator in a locked-down worker, handed the plan's column files only, and
        //    room to label each row for the release ledger.
        let rowCount = dataset.manifest.rowCount
        let labels = rowCount > 0 && terms == nil ? try RowLabelBuffer(rowCount: rowCount) : nil
        let key = LedgerKey(dataset: reference.id, version: reference.version)
        // A released regression's numeric features weight its sample (a refused one released nothing).
        func weighting(released: Bool) -> ReleaseLedger.Weighting {
            var weighted: [String] = []
            switch plan.task {
            case .linearRegression(let task) where released, .logisticRegression(let task) where released:
                weighted = task.features
            default: break
            }
            let numeric = Set(
                dataset.manifest.columns.filter { [.integers, .numbers].contains($0.encoding) }.map(\.name))
            return ReleaseLedger.Weighting(
                features: weighted.filter(numeric.contains), threshold: dataset.policy.disclosure.threshold,
                values: { name in try? dataset.columns([name])[name] })
        }
        // A regression's worker labels the rows before it fits: the ledger's first half of the work
        // (a proposal's split, for the job's result as released) is made meanwhile, on a copy of
        // the labels, against the ledger as this process last saw it (read while the worker starts).
        let labelled = Latch()
        var staging: BackgroundWork<Staging?>?
        switch plan.task {
        case .linearRegression, .logisticRegression:
            guard let labels else { break }
            let (ledgers, store, weighting) = (ledgers, store, weighting(released: true))
            staging = BackgroundWork {
                let ledger = try? ledgers.cached(key, rowCount: labels.rowCount, store: store)
                guard labelled.wait() else { return nil }
                let copy = Array(labels.labels)
                let staged = ledger.flatMap { ledger in
                    copy.withUnsafeBufferPointer { ledger.stage(labels: $0, weighting: weighting) }
                }
                return Staging(labels: copy, ledger: ledger, staged: staged)
            }
        default: break
        }
        // Whatever happens to the worker, the staging thread is let go (it then ends on its own).
        defer { labelled.abandon() }
        let outcome = try worker.run(
            .plan(plan), columns: try dataset.openColumns(plan.columns.map(\.name)), labels: labels,
            limits: dataset.policy.limits, labelled: labelled.open)
        labelled.abandon()
        let staged = staging?.wait() ?? nil
        let raw: RawResult
        switch outcome.ending {
        case .reply(.result(let result)):
            raw = result
        case .reply(.refused(let refusal)):
            // Said in the gateway's own words: the worker's text could carry anything.
            let known = Refusal.fromWorker(refusal.code, plan: plan)
            if known == nil { logFailure(job, outcome, "refused with an unexpected code \(refusal.code.rawValue)") }
            // A refusal reports no resource figures: how long a refused job ran can tell its rows.
            return (
                JobResult(
                    status: .refused, job: job, model: spec.model, dataset: reference,
                    reason: known ?? Refusal(.crashed, "the worker answered with an unknown refusal")), nil
            )
        case .failed(let failure):
            logFailure(job, outcome, failure.code.rawValue)
            return (failed(job, failure, outcome, model: spec.model, dataset: reference), nil)
        case .reply(.failed(let failure)):
            logFailure(job, outcome, "reported \(failure.code.rawValue)")
            let known = failure.code == .memoryLimit ? Refusal.fromWorker(failure.code, plan: plan) : nil
            return (
                failed(
                    job, known ?? Refusal(.crashed, "the worker reported an unknown failure"), outcome,
                    model: spec.model, dataset: reference), nil
            )
        case .reply(.probe):
            logFailure(job, outcome, "answered a job with a probe result")
            return (
                failed(
                    job, Refusal(.crashed, "the worker answered with something other than a result"), outcome,
                    model: spec.model, dataset: reference), nil
            )
        }
        // The dataset's size is public; the gateway says it, not the worker.
        let rowsScanned = dataset.manifest.rowCount

        // 4 (privacy mode dp). Noise on the exact figures, here, over a shape the policy fixes;
        //    nothing data-dependent leaves beside the noisy figures (not the rows dropped).
        if let terms {
            guard Self.hasPlannedShape(raw.output, plan, terms) else {
                logFailure(job, outcome, "answered a dp job with figures of another shape")
                return (
                    Self.dpFailure(JobResult(status: .failed, job: job, model: spec.model, dataset: reference)), nil
                )
            }
            return (noisy(raw, terms, job, spec, reference), nil)
        }

        // 4. Check the output; only what passes leaves.
        let checker = OutputChecker(
            rules: dataset.policy.disclosure,
            order: ComplementOrder(secret: dataset.secret, context: dataset.versionContext))
        func pending(_ sets: ReleasedRowSets, _ workerUsage: Usage?, released: Bool) -> PendingRelease? {
            guard let labels else { return nil }
            return PendingRelease(
                key: key, labels: labels, staging: staged, sets: sets, reveals: plan.columns.map(\.name),
                withholds: plan.task.measures, weighting: weighting(released: released),
                threshold: dataset.policy.disclosure.threshold, workerUsage: workerUsage)
        }
        switch checker.check(raw) {
        case .refused(let refusal, let report):
            logger.info("job refused at output check", metadata: ["job": "\(job)", "code": "\(refusal.code.rawValue)"])
            // A refused job says nothing about the rows it selected, not even how many were
            // dropped, nor how long it ran.
            let result = JobResult(
                status: .refused, job: job, model: spec.model, dataset: reference, disclosure: report, reason: refusal)
            // A group refused for its values stays protected in the release ledger.
            guard [.dominance, .groupDisclosure].contains(refusal.code), let meaning = raw.labels else {
                return (result, nil)
            }
            let sets = ReleasedRowSets(refused: raw, labels: meaning)
            return (result, sets.protected.isEmpty ? nil : pending(sets, nil, released: false))
        case .released(let output, let report):
            let rowsDropped = checker.releasable(count: raw.rowsDropped)
            let result = JobResult(
                status: .released, job: job, model: spec.model, dataset: reference, result: output, disclosure: report,
                usage: outcome.coarseUsage(rowsScanned: rowsScanned, rowsDropped: rowsDropped))
            guard let meaning = raw.labels else { return (result, nil) }
            let sets = ReleasedRowSets(raw, output, labels: meaning, rowsDropped: rowsDropped)
            return (
                result, pending(sets, outcome.usage(rowsScanned: rowsScanned, rowsDropped: rowsDropped), released: true)
            )
        }
    }

    /// What makes two dp jobs the same question: the dataset version and the spec as parsed,
    /// with the ε it spends (a spec without `epsilon` and one naming the default ask alike).
    static func answerKey(_ spec: ModelSpec, _ terms: PrivacyTerms, _ reference: DatasetReference) throws -> String {
        var normalised = spec
        normalised.epsilon = terms.epsilon
        // A label names the job; it does not change the question.
        normalised.label = nil
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text =
            "\(reference.id)@\(reference.version)\n" + String(decoding: try encoder.encode(normalised), as: UTF8.self)
        return Hex.string(SHA256.hash(data: Data(text.utf8)))
    }

    /// Whether a worker's answer to a dp job has the shape the plan and the terms fix: the
    /// declared dimensions, one value per cell of each figure, the plan's histogram edges. The
    /// worker is not trusted with the shape of what gets noise (a repeated cell would be noised
    /// twice at full ε).
    static func hasPlannedShape(_ raw: RawOutput, _ plan: Plan, _ terms: PrivacyTerms) -> Bool {
        let declared = terms.dimensions ?? []
        let cells = declared.reduce(1) { $0 * $1.levels.count }
        switch (raw, plan.task) {
        case (.table(let table), .crosstab):
            return !plan.readsFixedPoint && table.dimensions == declared && table.cells.count == cells
        case (.histogram(let histogram), .histogram(let task)):
            let outer = task.outerBins(planned: plan.column(named: task.variable))
            return histogram.edges == (task.edges ?? []) && histogram.counts.count == max(0, histogram.edges.count - 1)
                && (histogram.below != nil) == outer.below && (histogram.above != nil) == outer.above
        case (.sums(let sums), .crosstab), (.sums(let sums), .summary), (.sums(let sums), .linearRegression):
            return sums.dimensions == declared && sums.figures.count == terms.figures.count
                && sums.figures.allSatisfy { $0.count == cells }
        default:
            return false
        }
    }

    /// A dp result: the worker's exact figures with discrete Laplace noise drawn from the
    /// operating system's random bits, fresh for this job, at the scale the terms give each.
    ///
    /// It carries no usage figures: the worker's time and memory depend on the data (a dimension
    /// with no value, a missing value, the width of a column's codes) and are not noised.
    private func noisy(
        _ raw: RawResult, _ terms: PrivacyTerms, _ job: String, _ spec: ModelSpec, _ reference: DatasetReference
    ) -> JobResult {
        let output: ReleasedOutput
        switch (raw.output, spec.task) {
        case (.table(let table), .crosstab):
            output = .table(
                NoisyRelease.table(
                    table, over: terms.dimensions ?? [], noise: NoisyCounts(terms, figure: 0)))
        case (.histogram(let histogram), .histogram):
            output = .histogram(NoisyRelease.histogram(histogram, noise: NoisyCounts(terms, figure: 0)))
        case (.sums(let sums), .crosstab(let task)):
            output = .table(NoisyRelease.table(sums, task: task, terms: terms))
        case (.sums(let sums), .summary(let variables)):
            output = .summary(NoisyRelease.summary(sums, variables: variables, terms: terms))
        case (.sums(let sums), .linearRegression(let task)):
            guard let fit = NoisyRegression.fit(sums, task: task, terms: terms) else {
                // Said from the noisy figures alone: the ε is spent, and nothing else is told.
                var result = JobResult(
                    status: .failed, job: job, model: spec.model, dataset: reference,
                    reason: Refusal(
                        .degenerateFit,
                        "the noisy cross-products have no least-squares solution: too much noise for the features' ranges; spend more epsilon or use fewer features"
                    ))
                result.privacy = terms.report
                return result
            }
            output = .regression(fit)
        default:
            // Admission lets nothing else through in dp mode.
            return Self.dpFailure(JobResult(status: .failed, job: job, model: spec.model, dataset: reference))
        }
        var result = JobResult(status: .released, job: job, model: spec.model, dataset: reference, result: output)
        result.privacy = terms.report
        return result
    }

    /// A result that passed the output checks, or one refused for a group whose figures must stay
    /// protected, with what the release ledger needs to judge it.
    struct PendingRelease {
        var key: LedgerKey
        var labels: RowLabelBuffer
        /// The copy of the labels a regression's ledger work began on while it was fitted, which
        /// every later look at its labels reads too; nil for other jobs, which read `labels`.
        var staging: Staging?
        var sets: ReleasedRowSets
        /// The columns whose values the job's figures tell something of (every column it reads),
        /// and those its figures are sums of, which its withheld sets withhold.
        var reveals: [String]
        var withholds: [String]
        /// The job's weighted sums, and the features' values the ledger may need.
        var weighting: ReleaseLedger.Weighting
        var threshold: Int
        /// The worker's figures as measured, for the store (the result shows them coarsely); nil
        /// for a refused job, which records none.
        var workerUsage: Usage?

        /// `body` on the job's labels: the staging's copy when there is one.
        func withLabels<R>(_ body: (UnsafeBufferPointer<UInt32>) -> R) -> R {
            guard let copy = staging?.labels else { return body(labels.labels) }
            return copy.withUnsafeBufferPointer(body)
        }
    }

    /// A job's row labels as they were copied when its worker said it had written them, and the
    /// first half of its ledger proposal made on that copy (nil when it could not be made).
    struct Staging {
        var labels: [UInt32]
        /// The ledger as read for the job (not kept: it was read outside any transaction).
        var ledger: ReleaseLedger?
        var staged: ReleaseLedger.Staged?
    }

    /// Step 5 for a result that passed the output checks: judged together with everything already
    /// released from its dataset version, and recorded, with what it adds to the ledger, in one
    /// transaction that no other job's check can interleave with. Released, or refused for
    /// `differencing` or `ledger_saturated` without a figure of its own. A job refused for a group
    /// that must stay protected comes here too, and keeps its reason whatever the ledger says.
    ///
    /// The judgement is made first against the ledger as this process last saw it, outside the
    /// transaction, so that concurrent jobs do not wait for one another's pass over the rows; inside,
    /// it is kept when no other job added to the ledger meanwhile, and made again otherwise.
    private func recordReleased(_ result: JobResult, _ release: PendingRelease) throws -> JobAnswer {
        let key = release.key
        // The ledger the labels were staged against, unless this process has kept a newer one.
        var ledger =
            try ledgers.kept(key, newerThan: release.staging?.ledger?.generation) ?? release.staging?.ledger
            ?? ledgers.cached(key, rowCount: release.labels.rowCount, store: store)
        func judge(_ ledger: ReleaseLedger) -> (ReleaseLedger.Proposal, ReleaseLedger.Verdict)? {
            var proposal: ReleaseLedger.Proposal
            if let staged = release.staging?.staged, staged.generation == ledger.generation,
                staged.features == release.weighting.features, staged.threshold == release.weighting.threshold
            {
                proposal = ledger.propose(
                    staged, released: release.sets.released, protected: release.sets.protected,
                    reveals: release.reveals, withholds: release.withholds)
            } else {
                guard
                    let made = release.withLabels({
                        ledger.propose(
                            labels: $0, released: release.sets.released, protected: release.sets.protected,
                            reveals: release.reveals, withholds: release.withholds, weighting: release.weighting)
                    })
                else { return nil }
                proposal = made
            }
            let verdict = ledger.check(&proposal, threshold: release.threshold)
            return (proposal, verdict)
        }
        let early = judge(ledger)
        var answer = result
        var document = ""
        var written: String?
        var measuredSlack = false
        let receipt = try store.finish(result.job, ledger: key, after: ledger.generation) { missed in
            measuredSlack = false
            try ledgers.catchUp(&ledger, with: missed, key)
            answer = result
            var refusal: Refusal?
            var entry: LedgerEntry?
            if let (proposal, verdict) = missed.isEmpty ? early : judge(ledger) {
                switch verdict {
                case .safe where proposal.isNew:
                    let file = try proposal.atomOfRow.map {
                        try ledgers.writeAtoms($0, generation: ledger.generation + 1, key)
                    }
                    written = file
                    entry = ledger.entry(for: proposal, job: result.job, atomsFile: file)
                    ledger.apply(proposal)
                    measuredSlack = proposal.measuredSlack
                case .safe: break
                case .disclosive: refusal = Refusal.differencing(threshold: release.threshold)
                case .saturated: refusal = Refusal.ledgerSaturated
                }
            } else {
                refusal = Refusal.ledgerSaturated
            }
            // A job already refused keeps its own reason; its protected sets are entered when they can be.
            if let refusal, result.status == .released {
                logger.info(
                    "job refused by the release ledger",
                    metadata: ["job": "\(result.job)", "code": "\(refusal.code.rawValue)"])
                answer = JobResult(
                    status: .refused, job: result.job, model: result.model, dataset: result.dataset, reason: refusal)
                answer.spec = result.spec
            }
            var completion = try completion(for: answer)
            document = completion.document ?? ""
            if let usage = release.workerUsage { completion.usage = usage }
            return LedgerDecision(completion: completion, entry: entry)
        }
        ledgers.keep(ledger, for: key)
        if let written { ledgers.removeAtoms(before: written, key) }
        if measuredSlack { ledgers.writeSlack(ledger, key, job: result.job) }
        answer.receipt = receipt
        return JobAnswer(result: answer, text: try JobResult.document(document, receipt: receipt))
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

    /// Step 2 up to the store, which a preview takes too: the access checks, the policy's plan,
    /// and in dp mode the privacy terms with the plan over the declared levels. Throws the
    /// `Refusal` a job would meet; records nothing.
    func admitWithoutRecording(_ spec: ModelSpec, _ dataset: StoredDataset, principal: String, needsAgreement: Bool)
        throws -> (Agreement?, Plan, PrivacyTerms?)
    {
        let agreement = try admitAccess(
            to: spec.dataset, model: spec.model, principal: principal, needsAgreement: needsAgreement)
        var plan = try dataset.policy.admit(spec)
        let terms = try dataset.policy.privacyTerms(for: spec)
        if let terms { plan = plan.reading(terms) }
        return (agreement, plan, terms)
    }

    /// The dataset takes jobs (its owner has not suspended or withdrawn it), and the researcher
    /// has an agreement for it: the one the job runs under (nil for an owner's dry run).
    private func admitAccess(to dataset: String, model: ModelKind, principal: String, needsAgreement: Bool) throws
        -> Agreement?
    {
        // Not why: the reason may name whoever objected (the owner and auditors read it).
        let (state, _) = try store.datasetState(dataset)
        switch state {
        case .open: break
        case .suspended:
            throw Refusal(.datasetSuspended, "dataset '\(dataset)' is suspended by its owner")
        case .withdrawn:
            throw Refusal(.datasetWithdrawn, "dataset '\(dataset)' was withdrawn by its owner")
        }
        guard needsAgreement else { return nil }
        let agreements = try store.agreements(researcher: principal)
        let now = Timestamp.string(Date())
        if let refusal = agreements.refusal(dataset: dataset, model: model, now: now) { throw refusal }
        return agreements.covering(dataset: dataset, model: model, now: now)
    }

    /// Records a job refused before it ran, and answers with its receipt.
    private func refusedBeforeRunning(
        _ job: String, _ principal: String, _ refusal: Refusal, model: ModelKind?, dataset: DatasetReference?,
        named: String?, spec: SpecRecord? = nil
    ) throws -> JobAnswer {
        logger.info("job refused", metadata: ["job": "\(job)", "code": "\(refusal.code.rawValue)"])
        var result = JobResult(status: .refused, job: job, model: model, dataset: dataset, reason: refusal)
        result.spec = spec
        let content = try result.content()
        result.receipt = try store.recordRefusal(
            JobRefusal(
                job: job, principal: principal, dataset: named, datasetVersion: dataset?.version,
                model: model?.rawValue, reason: refusal, resultHash: content.hash, document: content.text))
        return JobAnswer(result: result, text: try JobResult.document(content.text, receipt: result.receipt))
    }

    /// Records how an admitted job ended, with the hash of the result as released, and answers
    /// with its receipt.
    private func recordFinished(_ result: JobResult) throws -> JobAnswer {
        var recorded = result
        let completion = try completion(for: result)
        recorded.receipt = try store.finish(completion)
        return JobAnswer(
            result: recorded, text: try JobResult.document(completion.document ?? "", receipt: recorded.receipt))
    }

    /// The record of a job's end: its status, reason, verdict, figures, and the result document.
    private func completion(for result: JobResult) throws -> JobCompletion {
        let cells = result.result?.cellCounts
        let status: JobStatus =
            switch result.status {
            case .released: .released
            case .refused: .refused
            case .failed: .failed
            }
        let content = try result.content()
        var completion = JobCompletion(
            job: result.job, status: status, reason: result.reason, verdict: result.disclosure?.verdict.rawValue,
            cellsReleased: cells?.total, cellsSuppressed: cells?.suppressed, usage: result.usage,
            resultHash: content.hash, document: content.text)
        completion.lease = runner.description
        return completion
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

extension WorkerOutcome {
    /// What a released result says of its cost: time in tenths of a second, memory in 16 MiB
    /// steps; the exact figures go to the store for owners and auditors.
    func coarseUsage(rowsScanned: Int?, rowsDropped: Int?) -> Usage {
        Usage(
            rowsScanned: rowsScanned, rowsDropped: rowsDropped, cpuSeconds: (cpuSeconds * 10).rounded(.up) / 10,
            wallSeconds: (wallSeconds * 10).rounded(.up) / 10,
            peakMemoryBytes: ((peakMemoryBytes + (1 << 24) - 1) >> 24) << 24)
    }
}

extension Refusal {
    /// The release ledger's refusal. It names no job and quotes no figure: it says only that some
    /// group below the threshold (or a withheld cell) would follow, which is what the withheld
    /// cells of any table say too.
    static func differencing(threshold: Int) -> Refusal {
        Refusal(
            .differencing,
            "together with results already released from this dataset version (by anyone), this result would let "
                + "a withheld cell or a group of fewer than \(threshold) people be worked out; ask about groups that "
                + "differ from earlier ones by at least \(threshold) people, or repeat an earlier question exactly")
    }

    static let ledgerSaturated = Refusal(
        .ledgerSaturated,
        "this dataset version has been split into too many small groups by earlier releases to check a new, finer "
            + "one; questions over groups already released (an earlier table or selection, asked again) still get "
            + "answers, and the data owner can publish a new version")

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
