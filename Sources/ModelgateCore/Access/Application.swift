/// A researcher's request to use datasets with models, for a stated purpose, in a period: the
/// conditional-open procedure's application. Every dataset's owner decides; all must approve.
package struct Application: Sendable, Equatable, Codable {
    package var id: String
    package var researcher: String
    package var datasets: [String]
    package var models: [ModelKind]
    package var purpose: String
    package var scenario: String
    package var safeguards: String
    /// The period of use asked for: UTC days or times, `starts` inclusive, `ends` exclusive.
    package var starts: String
    package var ends: String
    package var status: Status
    package var decisions: [Decision]
    package var submittedAt: String
    /// The agreement an approval created.
    package var agreement: String?

    package enum Status: String, Sendable, Codable { case pending, approved, refused }

    /// One owner's decision on one dataset of the application.
    package struct Decision: Sendable, Equatable, Codable {
        package var dataset: String
        package var owner: String
        package var approved: Bool
        /// Why; required for a refusal.
        package var reason: String?
        package var at: String

        package init(dataset: String, owner: String, approved: Bool, reason: String?, at: String) {
            self.dataset = dataset
            self.owner = owner
            self.approved = approved
            self.reason = reason
            self.at = at
        }
    }

    package init(
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
