/// A researcher's request to use datasets with models, for a stated purpose, in a period: the
/// conditional-open procedure's application. Every dataset's owner decides; all must approve.
public struct Application: Sendable, Equatable, Codable {
    public var id: String
    public var researcher: String
    public var datasets: [String]
    public var models: [ModelKind]
    public var purpose: String
    public var scenario: String
    public var safeguards: String
    /// The period of use asked for: UTC days or times, `starts` inclusive, `ends` exclusive.
    public var starts: String
    public var ends: String
    public var status: Status
    public var decisions: [Decision]
    public var submittedAt: String
    /// The agreement an approval created.
    public var agreement: String?

    public enum Status: String, Sendable, Codable { case pending, approved, refused }

    /// One owner's decision on one dataset of the application.
    public struct Decision: Sendable, Equatable, Codable {
        public var dataset: String
        public var owner: String
        public var approved: Bool
        /// Why; required for a refusal.
        public var reason: String?
        public var at: String

        public init(dataset: String, owner: String, approved: Bool, reason: String?, at: String) {
            self.dataset = dataset
            self.owner = owner
            self.approved = approved
            self.reason = reason
            self.at = at
        }
    }

    public init(
        id: String, researcher: String, datasets: [String], models: [ModelKind], purpose: String, scenario: String,
        safeguards: String, starts: String, ends: String, status: Status = .pending, decisions: [Decision] = [],
        submittedAt: String, agreement: String? = nil
    ) {
        self.id = id
        self.researcher = researcher
        self.datasets = datasets
        self.models = models
        self.purpose = purpose
        self.scenario = scenario
        self.safeguards = safeguards
        self.starts = starts
        self.ends = ends
        self.status = status
        self.decisions = decisions
        self.submittedAt = submittedAt
        self.agreement = agreement
    }
}
