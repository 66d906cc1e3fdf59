import Hummingbird
import ModelgateCore
import ModelgateGateway

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
