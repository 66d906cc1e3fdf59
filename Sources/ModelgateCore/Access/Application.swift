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
        /// Why; required for a refusal and for an approval with conditions.
        package var reason: String?
        package var at: String
        /// An approval's conditions, binding the whole agreement: fewer models, an earlier end.
        package var conditions: Conditions?
        /// Left out of the agreement by an owner who approved its others (not a refusal: the
        /// application goes on without it).
        package var dropped: Bool?

        package init(
            dataset: String, owner: String, approved: Bool, reason: String?, at: String,
            conditions: Conditions? = nil, dropped: Bool? = nil
        ) {
            self.dataset = dataset
            self.owner = owner
            self.approved = approved
            self.reason = reason
            self.at = at
            self.conditions = conditions
            self.dropped = dropped
        }
    }

    /// What an owner may attach to an approval: only some of the models asked for, and a period
    /// that ends sooner (a normalised ISO 8601 time, as `ends`).
    package struct Conditions: Sendable, Equatable, Codable {
        package var models: [ModelKind]?
        package var ends: String?

        package init(models: [ModelKind]? = nil, ends: String? = nil) {
            self.models = models
            self.ends = ends
        }

        package var isEmpty: Bool { models == nil && ends == nil }
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
