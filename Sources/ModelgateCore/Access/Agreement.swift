/// A data-use agreement: what an approved application allows, until when. A job must fall
/// within one of its researcher's active agreements.
package struct Agreement: Sendable, Equatable, Codable {
    package var id: String
    package var application: String
    package var researcher: String
    package var datasets: [String]
    package var models: [ModelKind]
    package var purpose: String
    /// UTC times (ISO 8601); `expires` is exclusive.
    package var starts: String
    package var expires: String
    package var status: Status
    /// Why it was last suspended, resumed or terminated.
    package var reason: String?
    /// The body whose owner suspended it: only that body may resume it (another owner on the
    /// same agreement must not undo its brake).
    package var suspendedBy: String?

    package enum Status: String, Sendable, Codable { case active, suspended, terminated }

    package init(
        id: String, application: String, researcher: String, datasets: [String], models: [ModelKind],
        purpose: String, starts: String, expires: String, status: Status = .active, reason: String? = nil
    ) {
        self.id = id
        self.application = application
        self.researcher = researcher
        self.datasets = datasets
        self.models = models
        self.purpose = purpose
        self.starts = starts
        self.expires = expires
        self.status = status
        self.reason = reason
    }
}

/// Whether a dataset takes jobs. An owner suspends it when someone objects that it harms them,
/// and may withdraw it for good.
package enum DatasetState: String, Sendable, Codable, CaseIterable { case open, suspended, withdrawn }

extension Refusal.Code {
    /// The researcher has no agreement covering the dataset.
    package static let noAgreement: Self = "no_agreement"
    /// The agreements covering the dataset and model have expired.
    package static let agreementExpired: Self = "agreement_expired"
    /// The agreement covering the dataset and model starts later.
    package static let agreementNotStarted: Self = "agreement_not_started"
    /// The owner suspended the agreement.
    package static let agreementSuspended: Self = "agreement_suspended"
    /// The owner terminated the agreement.
    package static let agreementTerminated: Self = "agreement_terminated"
    /// An agreement covers the dataset, but not this model.
    package static let modelNotInAgreement: Self = "model_not_in_agreement"
    /// The owner suspended the dataset: it refuses every job.
    package static let datasetSuspended: Self = "dataset_suspended"
    /// The owner withdrew the dataset.
    package static let datasetWithdrawn: Self = "dataset_withdrawn"
}

extension Array where Element == Agreement {
    /// The agreement a job on `dataset` with `model` runs under at `now`: the first active one
    /// (by id) whose period holds `now`; nil when ``refusal(dataset:model:now:)`` refuses.
    package func covering(dataset: String, model: ModelKind, now: String) -> Agreement? {
        filter { $0.datasets.contains(dataset) && $0.models.contains(model) }.filter {
            $0.status == .active && $0.starts <= now && now < $0.expires
        }.min { $0.id < $1.id }
    }

    /// Whether these agreements (one researcher's) allow `model` on `dataset` at `now` (an ISO
    /// 8601 UTC time, compared as text). Nil when one does; otherwise the most telling refusal.
    package func refusal(dataset: String, model: ModelKind, now: String) -> Refusal? {
        let covering = filter { $0.datasets.contains(dataset) }
        guard !covering.isEmpty else {
            return Refusal(
                .noAgreement,
                "you have no agreement for dataset '\(dataset)'; apply for one (POST /v1/applications) and wait for its owner's approval"
            )
        }
        let withModel = covering.filter { $0.models.contains(model) }
        guard !withModel.isEmpty else {
            let allowed = Set(covering.flatMap(\.models).map(\.rawValue)).sorted().joined(separator: ", ")
            return Refusal(
                .modelNotInAgreement,
                "your agreements for '\(dataset)' allow \(allowed), not '\(model.rawValue)'; apply for an agreement that includes it"
            )
        }
        if withModel.contains(where: { $0.status == .active && $0.starts <= now && now < $0.expires }) { return nil }
        if let suspended = withModel.first(where: { $0.status == .suspended }) {
            return Refusal(
                .agreementSuspended,
                "agreement \(suspended.id) is suspended by the data owner" + (suspended.reason.map { ": \($0)" } ?? ""))
        }
        let live = withModel.filter { $0.status == .active }
        if let later = live.filter({ now < $0.starts }).min(by: { $0.starts < $1.starts }) {
            return Refusal(.agreementNotStarted, "agreement \(later.id) starts at \(later.starts)")
        }
        if let expired = live.max(by: { $0.expires < $1.expires }) {
            return Refusal(.agreementExpired, "agreement \(expired.id) expired at \(expired.expires); apply again")
        }
        let terminated = withModel[0]
        return Refusal(
            .agreementTerminated,
            "agreement \(terminated.id) was terminated by the data owner" + (terminated.reason.map { ": \($0)" } ?? ""))
    }
}
