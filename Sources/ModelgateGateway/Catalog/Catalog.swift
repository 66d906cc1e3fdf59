import Foundation
import ModelgateColumnar
import ModelgateCore
import ModelgateStore

/// What the catalog shows: each dataset, its codebook (columns, classes, descriptions, units, the
/// policy's declared levels and bounds, what each may be used for), the models allowed and
/// whether it takes jobs; and who owns each dataset, for the procedure's rules. Never data: no
/// values, and no level the policy does not declare.
package struct Catalog: Sendable {
    package let datasets: DatasetStore
    package let store: any GatewayStore

    package init(datasets: DatasetStore, store: any GatewayStore) {
        self.datasets = datasets
        self.store = store
    }

    /// Every dataset ingested, by id, as `reader` may see it (see ``entry(_:for:)``).
    package func entries(for reader: Principal? = nil) throws -> [Entry] {
        try datasets.list().compactMap(entryIfAny).map { $0.seen(by: reader) }
    }

    /// One dataset; `unknown_dataset` for one not ingested. Why a dataset was suspended or
    /// withdrawn is shown to its owner and to auditors only (with no `reader`, to the operator):
    /// the reason may name whoever objected; everyone else sees the state alone.
    package func entry(_ id: String, for reader: Principal? = nil) throws -> Entry {
        guard let entry = try entryIfAny(id) else { throw Self.unknown(id) }
        return entry.seen(by: reader)
    }

    /// The body that owns `dataset` (its policy's `owner`); nil for one not (or no longer) ingested.
    package func owner(of dataset: String) throws -> String? {
        try datasets.open(dataset)?.policy.dataset.owner
    }

    /// The owning body of each of `ids` that is ingested; an id not ingested is left out.
    package func owners(of ids: some Sequence<String>) throws -> [String: String] {
        var owners: [String: String] = [:]
        for id in Set(ids) { owners[id] = try owner(of: id) }
        return owners
    }

    /// Throws `unknown_dataset` unless `dataset` is ingested, and `forbidden` unless `principal`
    /// is an owner of its body.
    package func requireOwner(_ principal: Principal, of dataset: String) throws {
        guard let owner = try owner(of: dataset) else { throw Self.unknown(dataset) }
        try principal.requireOwner(of: dataset, owner: owner)
    }

    /// Who a principal is: role and body; for a researcher, its agreements and today's quota use.
    package func profile(of principal: Principal) throws -> Profile {
        var profile = Profile(name: principal.name, role: principal.role.rawValue, body: principal.body)
        guard principal.role == .researcher else { return profile }
        profile.agreements = try store.agreements(researcher: principal.name)
        let used = try store.quotaUsedToday(principal: principal.name)
        var budgets: [Profile.Budget] = []
        profile.quotaToday = try datasets.list().compactMap { id in
            guard let dataset = try datasets.open(id) else { return nil }
            let limit = dataset.policy.quota.jobsPerDay
            let privacy = dataset.policy.privacy
            if privacy.mode == .dp {
                let account = try store.privacyAccount(dataset: id)
                for agreement in profile.agreements ?? [] where agreement.datasets.contains(id) {
                    budgets.append(
                        .init(
                            dataset: id, agreement: agreement.id,
                            epsilon: "\(account.allocation(of: agreement.id, policy: privacy))",
                            spent: "\(account.spent(by: agreement.id))",
                            left: "\(account.left(for: agreement.id, policy: privacy))"))
                }
            }
            return .init(dataset: id, used: used[id] ?? 0, left: max(0, limit - (used[id] ?? 0)))
        }
        profile.privacyBudgets = budgets.isEmpty ? nil : budgets
        return profile
    }

    func entryIfAny(_ id: String) throws -> Entry? {
        guard let dataset = try datasets.open(id) else { return nil }
        let (state, reason) = try store.datasetState(id)
        let policy = dataset.policy
        return Entry(
            id: id, title: policy.dataset.title, owner: policy.dataset.owner,
            openAttribute: policy.dataset.openAttribute.rawValue, securityLevel: policy.dataset.securityLevel,
            updateCycle: policy.dataset.updateCycle, citation: policy.dataset.citation,
            // With a unit of several rows, the number of rows depends on what each unit holds.
            version: dataset.publicVersion, rows: policy.unitColumn == nil ? dataset.manifest.rowCount : nil,
            state: state.rawValue,
            stateReason: reason,
            columns: policy.columns.map { column in
                .init(
                    name: column.name, class: column.columnClass.rawValue, type: column.type.rawValue,
                    description: column.description, unit: column.unit,
                    // Declared levels only: levels taken from the data would show that a rare value exists.
                    levels: column.levels, min: column.min, max: column.max, uses: policy.uses(of: column.name))
            },
            models: policy.models.map(\.rawValue), jobsPerDay: policy.quota.jobsPerDay)
    }

    static func unknown(_ dataset: String) -> ModelgateError {
        ModelgateError(.unknownDataset, "dataset '\(dataset)' does not exist")
    }

    /// One dataset as the catalog lists it.
    package struct Entry: Encodable, Sendable {
        /// This entry as `reader` may see it: the state's reason only for the dataset's owner, an
        /// auditor, or the operator (no reader).
        func seen(by reader: Principal?) -> Entry {
            guard let reader, reader.role != .auditor, !reader.answers(for: owner) else { return self }
            var entry = self
            entry.stateReason = nil
            return entry
        }

        package var id: String
        package var title: String
        package var owner: String
        package var openAttribute: String
        package var securityLevel: Int?
        package var updateCycle: String?
        package var citation: String
        package var version: String
        /// Absent for a dataset in privacy mode dp with a unit of several rows: one unit's rows
        /// would change it.
        package var rows: Int?
        package var state: String
        package var stateReason: String?
        package var columns: [Column]
        package var models: [String]
        package var jobsPerDay: Int

        /// A column as the codebook gives it: what it is, in what unit, its declared levels or
        /// bounds, and what a spec may use it for.
        package struct Column: Encodable, Sendable {
            package var name: String
            package var `class`: String
            package var type: String
            package var description: String?
            package var unit: String?
            package var levels: [String]?
            package var min: Double?
            package var max: Double?
            package var uses: [String]
        }
    }

    /// `GET /v1/me`.
    package struct Profile: Encodable, Sendable {
        package var name: String
        package var role: String
        package var body: String?
        package var agreements: [Agreement]?
        package var quotaToday: [Quota]?
        /// On datasets in privacy mode dp, each agreement's ε: its allocation, what is spent, and
        /// what is left (no more than the dataset's cap leaves for everyone).
        package var privacyBudgets: [Budget]?

        package struct Budget: Encodable, Sendable {
            package var dataset: String
            package var agreement: String
            package var epsilon: String
            package var spent: String
            package var left: String
        }

        package struct Quota: Encodable, Sendable {
            package var dataset: String
            package var used: Int
            package var left: Int
        }
    }
}
