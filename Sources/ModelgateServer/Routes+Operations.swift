import Hummingbird
import ModelgateCore
import ModelgateGateway

extension APIServer {
    /// Unauthenticated: health, metrics, the API's own description.
    func addOperationRoutes(to router: Router<GatewayContext>) {
        // The store answers one trivial query: a gateway whose database is gone is not healthy,
        // and a load balancer in front of several gateways should stop sending it jobs.
        let store = store
        router.get("health") { _, _ in
            let start = ContinuousClock.now
            do {
                try await blocking { try store.ping() }
                let seconds = (ContinuousClock.now - start) / .seconds(1)
                return try JSONBody.response(
                    StoreHealth(status: "ok", store: .init(kind: store.kind, seconds: seconds, error: nil)))
            } catch {
                let message = (error as? ModelgateError)?.message ?? "\(error)"
                return try JSONBody.response(
                    StoreHealth(status: "unavailable", store: .init(kind: store.kind, seconds: nil, error: message)),
                    status: .serviceUnavailable)
            }
        }
        let metrics = metrics
        router.get("metrics") { _, _ in
            JSONBody.text(metrics.text, type: "text/plain; version=0.0.4")
        }
        router.get("openapi.yaml") { _, _ in JSONBody.text(OpenAPIDocument.text, type: "application/yaml") }
    }

    /// The administrator's: a reload of the policies folder.
    func addPolicyRoutes(to v1: RouterGroup<GatewayContext>) {
        v1.post("policies/reload") { request, context in
            let principal = try context.require(.reloadPolicies)
            // A policy that weakens the one in force loads only when the administrator says so.
            let confirmWeaker = request.uri.queryParameters.get("confirmWeaker") == "true"
            guard let policies else {
                throw APIError(.conflict, "no_policies_folder", "the gateway was started without --policies")
            }
            let state = state
            let store = store
            let outcome = try await blocking {
                try PolicyReload(state: state, store: store).load(
                    from: policies, by: principal.name, confirmWeaker: confirmWeaker)
            }
            return try JSONBody.response(outcome)
        }
    }
}
