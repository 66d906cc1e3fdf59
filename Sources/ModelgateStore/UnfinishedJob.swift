/// A job admitted and not finished.
package struct UnfinishedJob: Sendable, Equatable {
    /// The columns of `jobs` the stores read one from.
    package static let columns = "id, principal, dataset, runner, admitted_at, deadline"

    package var job: String
    package var principal: String
    package var dataset: String
    /// The process that admitted it, as ``JobAdmission/runner``.
    package var runner: String
    package var admittedAt: String
    /// When the job must have ended, whatever happened to its process: admitted, plus the
    /// policy's wall-clock limit, plus a minute.
    package var deadline: String

    package init(job: String, principal: String, dataset: String, runner: String, admittedAt: String, deadline: String)
    {
        self.job = job
        self.principal = principal
        self.dataset = dataset
        self.runner = runner
        self.admittedAt = admittedAt
        self.deadline = deadline
    }
}
