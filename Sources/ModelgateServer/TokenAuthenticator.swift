import Hummingbird
import ModelgateGateway
import ModelgateStore

/// Finds the principal of a request's bearer token. Routes that need one say which roles
/// (``GatewayContext/require(_:)``); a missing, malformed, unknown or disabled token is 401.
struct TokenAuthenticator: RouterMiddleware {
    typealias Context = GatewayContext
    let store: any GatewayStore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard let header = request.headers[.authorization] else {
            throw APIError.unauthorized("send 'Authorization: Bearer <token>' (modelgate principal add prints one)")
        }
        let token = String(header.dropFirst(7))
        guard header.hasPrefix("Bearer "), Tokens.id(of: token) != nil else {
            throw APIError.unauthorized("the Authorization header is not 'Bearer mg_…'")
        }
        guard let principal = try Tokens.principal(of: token, in: store) else {
            throw APIError.unauthorized("the token is not valid")
        }
        guard !principal.disabled else { throw APIError.unauthorized("principal '\(principal.name)' is disabled") }
        var context = context
        context.principal = principal
        return try await next(request, context)
    }
}
