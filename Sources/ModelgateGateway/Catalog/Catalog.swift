import Foundation
import ModelgateColumnar
import ModelgateCore
import ModelgateStore

/// What the catalog shows: each dataset, its columns and their classes, the models allowed and
/// whether it takes jobs; and who owns each dataset, for the procedure's rules. Never data: no
/// values, not even category levels.
public struct Catalog: Sendable {
    public let datasets: DatasetStore
    public let store: any GatewayStore

    public init(datasets: DatasetStore, store: any GatewayStore) {
        self.datasets = datasets
        self.store = store
    }

    /// Every dataset ingested, by id.
    public func entries() throws -> [Entry] {
        try datasets.list().compactMap(entryIfAny)
    }

    /// One dataset; `unknown_dataset` for one not ingested.
    public func entry(_ id: String) throws -> Entry {
        guard let entry = try entryIfAny(id) else { throw Self.unknown(id) }
        return entry
    }

    /// The body that owns `dataset` (its policy's `owner`); nil for one not (or no longer) ingested.
    public func owner(of dataset: String) throws -> String? {
        try datasets.open(dataset)?.policy.dataset.owner
    }

    /// The owning body of each of `ids` that is ingested; an id not ingested is left out.
    public func owners(of ids: some Sequence<String>) throws -> [String: String] {
        var owners: [String: String] = [:]
        for id in Set(ids) { owners[id] = try owner(of: id) }
        return owners
    }

    /// Throws `unknown_dataset` unless `dataset` is ingested, and `forbidden` unless `principal`
    /// is an owner of its body.
    public func requireOwner(_ principal: Principal, of dataset: String) throws {
        guard let owner = try owner(of: dataset) else { throw Self.unknown(dataset) }
        try principal.requireOwner(of: dataset, owner: owner)
    }

    /// Who a principal is: role and body; for a researcher, its agreements and today's quota use.
    public func profile(of principal: Principal) throws -> Profile {
        var profile = Profile(name: principal.name, role: principal.role.rawValue, body: principal.body)
        guard principal.role == .researcher else { return profile }
        profile.agreements = try store.agreements(researcher: principal.name)
        let used = try store.quotaUsedToday(principal: principal.name)
        profile.quotaToday = try datasets.list().compactMap { id in
            guard let dataset = try datasets.open(id) else { return nil }
            let limit = dataset.policy.quota.jobsPerDay
            return .init(dataset: id, used: used[id] ?? 0, left: max(0, limit - (used[id] ?? 0)))
        }
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
            version: dataset.manifest.version, rows: dataset.manifest.rowCount, state: state.rawValue,
            stateReason: reason,
            columns: policy.columns.map {
                .init(name: $0.name, class: $0.columnClass.rawValue, type: $0.type.rawValue)
            },
            models: policy.models.map(\.rawValue), jobsPerDay: policy.quota.jobsPerDay)
    }

    static func unknown(_ dataset: String) -> ModelgateError {
        ModelgateError(.unknownDataset, "dataset '\(dataset)' does not exist")
    }

    /// One dataset as the catalog lists it.
    public struct Entry: Encodable, Sendable {
        public var id: String
        public var title: String
        public var owner: String
        public var openAttribute: String
        public var securityLevel: Int?
        public var updateCycle: String?
        public var citation: String
        public var version: String
        public var rows: Int
        public var state: String
        public var stateReason: String?
        public var columns: [Column]
        public var models: [String]
        public var jobsPerDay: Int

        public struct Column: Encodable, Sendable {
            public var name: String
            public var `class`: String
            public var type: String
        }
    }

    /// `GET /v1/me`.
    public struct Profile: Encodable, Sendable {
        public var name: String
        public var role: String
        public var body: String?
        public var agreements: [Agreement]?
        public var quotaToday: [Quota]?

        public struct Quota: Encodable, Sendable {
            public var dataset: String
            public var used: Int
            public var left: Int
        }
    }
}
