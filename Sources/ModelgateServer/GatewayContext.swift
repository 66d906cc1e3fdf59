import Hummingbird
import ModelgateCore

/// A request's context: who is asking (set by ``TokenAuthenticator``).
package struct GatewayContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    package var principal: Principal?

    package init(source: Source) {
        coreContext = .init(source: source)
    }

    /// Bodies this API takes are specs and applications: small.
    package var maxUploadSize: Int { APIServer.maximumBodyBytes }

    /// The principal, whose role must allow `action` (``Role/may(_:)``); 401 without one, 403
    /// for a role that may not.
    func require(_ action: AccessAction) throws -> Principal {
        guard let principal else { throw APIError.unauthorized("a bearer token is required") }
        try principal.require(action)
        return principal
    }
}
