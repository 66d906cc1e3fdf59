import Hummingbird
import ModelgateCore

/// A request's context: who is asking (set by ``TokenAuthenticator``).
public struct GatewayContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var principal: Principal?

    public init(source: Source) {
        coreContext = .init(source: source)
    }

    /// Bodies this API takes are specs and applications: small.
    public var maxUploadSize: Int { APIServer.maximumBodyBytes }

    /// The principal, who must have one of `roles`; 403 otherwise.
    func require(_ roles: Role...) throws -> Principal {
        guard let principal else { throw APIError.unauthorized("a bearer token is required") }
        guard roles.contains(principal.role) else {
            throw APIError.forbidden(
                "a \(principal.role.rawValue) may not do this; it needs the role \(roles.map(\.rawValue).joined(separator: " or "))"
            )
        }
        return principal
    }
}
