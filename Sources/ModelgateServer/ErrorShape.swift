import Hummingbird
import ModelgateCore

/// Every error leaves in the API's shape, `{"error": {"code", "message"}}`: Hummingbird's own
/// (no such route, wrong method), the gateway's and the store's. Unexpected errors are logged
/// and answered without their details.
struct ErrorShape: RouterMiddleware {
    typealias Context = GatewayContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as ModelgateError {
            if APIError.from(error).status == .internalServerError {
                context.logger.error("request failed", metadata: ["error": "\(error)"])
            }
            throw APIError.from(error)
        } catch let error as HTTPResponseError {
            let code =
                switch error.status {
                case .notFound: "not_found"
                case .methodNotAllowed: "method_not_allowed"
                case .contentTooLarge: "body_too_large"
                default: "http_\(error.status.code)"
                }
            throw APIError(error.status, code, "\(request.method) \(request.uri.path): \(error.status.reasonPhrase)")
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)"])
            throw APIError(.internalServerError, "internal_error", "the gateway could not answer; see its log")
        }
    }
}
