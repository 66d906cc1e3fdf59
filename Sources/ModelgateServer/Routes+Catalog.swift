import Foundation
import Hummingbird
import ModelgateColumnar
import ModelgateCore
import ModelgateStore

extension APIServer {
    /// The catalog: what each dataset is, its columns and their classes, the models allowed and
    /// whether it takes jobs. Never data: no values, not even category levels.
    func addCatalogRoutes(to v1: RouterGroup<GatewayContext>) {
        addMeRoute(to: v1)
        v1.get("datasets") { _, context in
            _ = try context.require(.researcher, .owner, .auditor, .admin)
            let datasets = pipeline.datasets
            let store = store
            let entries = try await blocking {
                try datasets.list().compactMap { try Self.catalogEntry($0, datasets: datasets, store: store) }
            }
            return try JSONBody.response(["datasets": entries])
        }
        v1.get("datasets/:id") { _, context in
            _ = try context.require(.researcher, .owner, .auditor, .admin)
            let id = try context.parameters.require("id")
            let datasets = pipeline.datasets
            let store = store
            guard let entry = try await blocking({ try Self.catalogEntry(id, datasets: datasets, store: store) }) else {
                throw APIError.notFound("dataset '\(id)'")
            }
            return try JSONBody.response(entry)
        }
    }

    static func catalogEntry(_ id: String, datasets: DatasetStore, store: any GatewayStore) throws -> CatalogEntry? {
        guard let dataset = try datasets.open(id) else { return nil }
        let (datasetState, reason) = try store.datasetState(id)
        let policy = dataset.policy
        return CatalogEntry(
            id: id, title: policy.dataset.title, owner: policy.dataset.owner,
            openAttribute: policy.dataset.openAttribute.rawValue, securityLevel: policy.dataset.securityLevel,
            updateCycle: policy.dataset.updateCycle, citation: policy.dataset.citation,
            version: dataset.manifest.version, rows: dataset.manifest.rowCount, state: datasetState.rawValue,
            stateReason: reason,
            columns: policy.columns.map {
                .init(name: $0.name, class: $0.columnClass.rawValue, type: $0.type.rawValue)
            }, models: policy.models.map(\.rawValue), jobsPerDay: policy.quota.jobsPerDay)
    }

    struct CatalogEntry: Encodable, Sendable {
        var id: String
        var title: String
        var owner: String
        var openAttribute: String
        var securityLevel: Int?
        var updateCycle: String?
        var citation: String
        var version: String
        var rows: Int
        var state: String
        var stateReason: String?
        var columns: [Column]
        var models: [String]
        var jobsPerDay: Int

        struct Column: Encodable, Sendable {
            var name: String
            var `class`: String
            var type: String
        }
    }

    /// The owner body of a dataset, or 404.
    func owner(of dataset: String) async throws -> String {
        guard let owner = try await ownerIfAny(of: dataset) else { throw APIError.notFound("dataset '\(dataset)'") }
        return owner
    }

    /// The owner body of a dataset; nil for one that is not (or no longer) ingested.
    func ownerIfAny(of dataset: String) async throws -> String? {
        let datasets = pipeline.datasets
        return try await blocking { try datasets.open(dataset)?.policy.dataset.owner }
    }

    /// 403 unless `principal` is an owner answering for `dataset`.
    func requireOwner(_ principal: Principal, of dataset: String) async throws {
        let body = try await owner(of: dataset)
        guard principal.role == .owner, principal.body == body else {
            throw APIError.forbidden("only an owner of '\(body)' may do this for dataset '\(dataset)'")
        }
    }
}
