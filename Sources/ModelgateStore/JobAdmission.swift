import ModelgateCore

/// A job that passed the policy's admission checks and asks to run.
package struct JobAdmission: Sendable {
    package var job: String
    package var principal: String
    package var dataset: DatasetVersionRecord
    package var model: String
    /// The policy's `quota.jobsPerDay` for this dataset.
    package var jobsPerDay: Int
    /// The policy's wall-clock limit: past it (and a margin) the job is unfinished for good,
    /// whoever ran it.
    package var wallSeconds: Int
    /// The process that will run the job (``UnfinishedJob/runner``), so that start-up recovery
    /// can tell a running job from one whose process is gone.
    package var runner: String
    /// On a dataset in privacy mode `dp`, the ε a researcher's job spends: debited at admission,
    /// before the worker runs, or the job is refused. Nil for exact datasets and owners' dry runs.
    package var debit: BudgetDebit?
    /// A dp job's answer key (its dataset version and normalised spec): when a job with the same
    /// key was released, this one is admitted at no cost to repeat that answer.
    package var answerKey: String?
    /// The job's lease: `runner` holds it for this long from admission, and renews it while the
    /// job runs (``GatewayStore/renewLeases(runner:seconds:)``). Nil: no lease (the job is
    /// found lost only by start-up recovery and its deadline).
    package var leaseSeconds: Int?

    package init(
        job: String, principal: String, dataset: DatasetVersionRecord, model: String, jobsPerDay: Int, wallSeconds: Int,
        runner: String, debit: BudgetDebit? = nil, answerKey: String? = nil, leaseSeconds: Int? = nil
    ) {
        self.leaseSeconds = leaseSeconds
        self.job = job
        self.principal = principal
        self.dataset = dataset
        self.model = model
        self.jobsPerDay = jobsPerDay
        self.wallSeconds = wallSeconds
        self.runner = runner
        self.debit = debit
        self.answerKey = answerKey
    }
}

/// ε a job spends, from the dataset's lifetime cap (every dp job, an owner's dry run and the
/// command line's too) and from the allocation of the agreement a researcher's job runs under.
package struct BudgetDebit: Sendable, Equatable {
    package var epsilon: MicroEpsilon
    package var datasetCap: MicroEpsilon
    /// The researcher's agreement; nil for an owner's or the operator's job.
    package var agreement: String?
    package var agreementCap: MicroEpsilon

    package init(epsilon: MicroEpsilon, datasetCap: MicroEpsilon, agreement: String?, agreementCap: MicroEpsilon) {
        self.epsilon = epsilon
        self.datasetCap = datasetCap
        self.agreement = agreement
        self.agreementCap = agreementCap
    }
}

/// What admission decided.
package enum AdmissionDecision: Sendable, Equatable {
    /// Recorded as admitted: the worker may start.
    case admitted(Receipt)
    /// Recorded as admitted at no cost to repeat the released answer of job `of` (its
    /// document, without receipt): no worker runs.
    case repeated(Receipt, of: String, document: String)
    /// The daily quota or the privacy budget is used up: nothing was recorded; the caller
    /// records the refusal.
    case refused(Refusal)
}
