import Foundation
import Hummingbird
import ModelgateColumnar
import ModelgateCore
import ModelgateGateway
import ModelgateStore

extension APIServer {
    /// Unauthenticated: health, metrics, the API's own description.
    func addOperationRoutes(to router: Router<GatewayContext>) {
        router.get("health") { _, _ in try JSONBody.response(["status": "ok"]) }
        let metrics = metrics
        router.get("metrics") { _, _ in
            JSONBody.text(metrics.text, type: "text/plain; version=0.0.4")
        }
        router.get("openapi.yaml") { _, _ in JSONBody.text(OpenAPIDocument.text, type: "application/yaml") }
    }

    /// Who am I: role, body, agreements and today's quota use (researchers).
    func addMeRoute(to v1: RouterGroup<GatewayContext>) {
        v1.get("me") { _, context in
            let principal = try context.require(.researcher, .owner, .auditor, .admin)
            let store = store
            let datasets = pipeline.datasets
            let me = try await blocking { () -> Me in
                var me = Me(name: principal.name, role: principal.role.rawValue, body: principal.body)
                if principal.role == .researcher {
                    me.agreements = try store.agreements(researcher: principal.name)
                    let used = try store.quotaUsedToday(principal: principal.name)
                    me.quotaToday = try datasets.list().compactMap { id in
                        guard let dataset = try datasets.open(id) else { return nil }
                        let limit = dataset.policy.quota.jobsPerDay
                        return .init(dataset: id, used: used[id] ?? 0, left: max(0, limit - (used[id] ?? 0)))
                    }
                }
                return me
            }
            return try JSONBody.response(me)
        }
        v1.post("policies/reload") { _, context in
            let principal = try context.require(.admin)
            guard let policies else {
                throw APIError(.conflict, "no_policies_folder", "the gateway was started without --policies")
            }
            let state = state
            let store = store
            let outcome = try await blocking {
                try PolicyReload(state: state, store: store).load(from: policies, by: principal.name)
            }
            return try JSONBody.response(outcome)
        }
    }

    struct Me: Encodable {
        var name: String
        var role: String
        var body: String?
        var agreements: [Agreement]?
        var quotaToday: [Quota]?

        struct Quota: Encodable {
            var dataset: String
            var used: Int
            var left: Int
        }
    }
}
