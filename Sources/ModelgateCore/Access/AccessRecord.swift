/// What a transition of the access procedure writes to the audit log: the event's kind, the
/// dataset or datasets it concerns (comma-separated) and its detail. The transition says what it
/// records; the store appends it, in the transaction that keeps the change.
package struct AccessRecord: Sendable {
    package var kind: Kind
    package var dataset: String?
    /// Encoded as a JSON object with sorted keys.
    package var detail: any Encodable & Sendable

    package init(_ kind: Kind, dataset: String?, detail: any Encodable & Sendable) {
        self.kind = kind
        self.dataset = dataset
        self.detail = detail
    }

    /// The procedure's event kinds, the same strings as the audit log's.
    package struct Kind: OpenCode {
        package var rawValue: String
        package init(rawValue: String) { self.rawValue = rawValue }

        package static let applicationSubmitted: Self = "application_submitted"
        package static let applicationDecided: Self = "application_decided"
        package static let agreementCreated: Self = "agreement_created"
        package static let agreementChanged: Self = "agreement_changed"
        package static let datasetStateChanged: Self = "dataset_state_changed"
        package static let privacyAllocationChanged: Self = "privacy_allocation_changed"
        package static let doubtFiled: Self = "data_doubt_filed"
        package static let doubtAnswered: Self = "data_doubt_answered"
    }

    static func submitted(_ application: Application) -> Self {
        Self(
            .applicationSubmitted, dataset: application.datasets.joined(separator: ","),
            detail: SubmittedDetail(application))
    }

    static func decided(_ decision: Application.Decision, of application: Application) -> Self {
        Self(
            .applicationDecided, dataset: decision.dataset,
            detail: [
                "application": application.id, "approved": decision.approved ? "true" : "false",
                "reason": decision.reason ?? "", "status": application.status.rawValue,
            ].merging(conditionsDetail(decision)) { $1 })
    }

    /// An approval's conditions and a dropped dataset, as the event keeps them.
    private static func conditionsDetail(_ decision: Application.Decision) -> [String: String] {
        var detail: [String: String] = [:]
        if let models = decision.conditions?.models { detail["models"] = models.map(\.rawValue).joined(separator: ",") }
        if let ends = decision.conditions?.ends { detail["ends"] = ends }
        if decision.dropped == true { detail["dropped"] = "true" }
        return detail
    }

    static func created(_ agreement: Agreement) -> Self {
        Self(.agreementCreated, dataset: agreement.datasets.joined(separator: ","), detail: CreatedDetail(agreement))
    }

    static func changed(_ agreement: Agreement, from previous: Agreement.Status) -> Self {
        Self(
            .agreementChanged, dataset: agreement.datasets.joined(separator: ","),
            detail: [
                "agreement": agreement.id, "from": previous.rawValue, "to": agreement.status.rawValue,
                "reason": agreement.reason ?? "",
            ])
    }

    static func changed(dataset: String, from previous: DatasetState, to next: DatasetState, reason: String) -> Self {
        Self(
            .datasetStateChanged, dataset: dataset,
            detail: ["from": previous.rawValue, "to": next.rawValue, "reason": reason])
    }
}

/// An application as its `application_submitted` event keeps it: what was asked for and why.
struct SubmittedDetail: Encodable, Sendable {
    var application: String
    var datasets: [String]
    var models: [String]
    var purpose: String
    var scenario: String
    var safeguards: String
    var starts: String
    var ends: String

    init(_ application: Application) {
        self.application = application.id
        datasets = application.datasets
        models = application.models.map(\.rawValue)
        purpose = application.purpose
        scenario = application.scenario
        safeguards = application.safeguards
        starts = application.starts
        ends = application.ends
    }
}

/// An agreement as its `agreement_created` event keeps it: who may use what, for how long.
struct CreatedDetail: Encodable, Sendable {
    var agreement: String
    var application: String
    var researcher: String
    var datasets: [String]
    var models: [String]
    var starts: String
    var expires: String

    init(_ agreement: Agreement) {
        self.agreement = agreement.id
        application = agreement.application
        researcher = agreement.researcher
        datasets = agreement.datasets
        models = agreement.models.map(\.rawValue)
        starts = agreement.starts
        expires = agreement.expires
    }
}
