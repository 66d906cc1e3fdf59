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

    package init(
        job: String, principal: String, dataset: DatasetVersionRecord, model: String, jobsPerDay: Int, wallSeconds: Int,
        runner: String
    ) {
        self.job = job
        self.principal = principal
        self.dataset = dataset
        self.model = model
        self.jobsPerDay = jobsPerDay
        self.wallSeconds = wallSeconds
        self.runner = runner
    }
}

/// What admission decided.
package enum AdmissionDecision: Sendable, Equatable {
    /// Recorded as admitted: the worker may start.
    case admitted(Receipt)
    /// The daily quota is used up: nothing was recorded; the caller records the refusal.
    case overQuota(Refusal)
}
