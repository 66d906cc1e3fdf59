/// A job admitted and not finished.
public struct UnfinishedJob: Sendable, Equatable {
    public var job: String
    public var principal: String
    public var dataset: String
    /// The process that admitted it, as ``JobAdmission/runner``.
    public var runner: String
    public var admittedAt: String
    /// When the job must have ended, whatever happened to its process: admitted, plus the
    /// policy's wall-clock limit, plus a minute.
    public var deadline: String

    public init(job: String, principal: String, dataset: String, runner: String, admittedAt: String, deadline: String) {
        self.job = job
        self.principal = principal
        self.dataset = dataset
        self.runner = runner
        self.admittedAt = admittedAt
        self.deadline = deadline
    }
}
