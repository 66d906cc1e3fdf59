import ArgumentParser
import Foundation
import ModelgateCore
import ModelgateGateway

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Where a remote command finds the gateway and who it is there.
struct RemoteOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The gateway's address, e.g. http://127.0.0.1:8080 (default: $MODELGATE_URL).", valueName: "url"))
    var server: String?
    @Option(help: ArgumentHelp("Your token (default: $MODELGATE_TOKEN).", valueName: "token"))
    var token: String?

    func gateway() throws -> RemoteGateway {
        let environment = ProcessInfo.processInfo.environment
        guard let address = server ?? environment["MODELGATE_URL"], !address.isEmpty else {
            throw ModelgateError("no_server", "give the gateway's address with --server URL, or set MODELGATE_URL")
        }
        guard let url = URL(string: address), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            throw ModelgateError(
                "invalid_server",
                "--server must be an http:// or https:// address, like http://127.0.0.1:8080, not '\(address)'")
        }
        guard let token = token ?? environment["MODELGATE_TOKEN"], !token.isEmpty else {
            throw ModelgateError(
                "no_token", "give your token with --token T, or set MODELGATE_TOKEN (modelgate principal add prints it)"
            )
        }
        return RemoteGateway(base: url, token: token)
    }
}

/// A gateway reached over HTTP with Foundation's URLSession: the API's routes as the remote
/// commands use them, its error documents as `ModelgateError`s with the server's code and message.
struct RemoteGateway: Sendable {
    let base: URL
    let token: String

    /// An answer of status 2xx.
    struct Answer: Sendable {
        var status: Int
        var text: String
        var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
        }
    }

    func get(_ path: String) async throws -> Answer {
        try await send("GET", path)
    }

    func post(_ path: String, body: String, headers: [String: String] = [:]) async throws -> Answer {
        try await send("POST", path, body: Data(body.utf8), headers: headers)
    }

    /// How a job stands on the gateway.
    enum JobState {
        /// Queued or running: the status.
        case pending(String)
        /// Ended with a result document (released, refused or failed): its text as recorded.
        case ended(String)
    }

    /// How job `id` stands. A job that ended without a result document (its request failed
    /// before it ran, or the gateway stopped while it ran) is an error with the gateway's reason.
    func job(_ id: String) async throws -> JobState {
        guard !id.isEmpty, id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
            throw ModelgateError(.unknownJob, "'\(id)' is not a job id")
        }
        let answer = try await get("/v1/jobs/\(id)")
        let document = answer.json ?? [:]
        if document["result"] != nil || document["reason"] != nil { return .ended(answer.text) }
        let status = document["status"] as? String ?? "unknown"
        if let error = document["error"] as? [String: Any] {
            throw ModelgateError(
                ModelgateError.Code(rawValue: error["code"] as? String ?? status),
                "job \(id) did not run: \(error["message"] as? String ?? status)")
        }
        guard status == "queued" || status == "running" else {
            throw ModelgateError(
                ModelgateError.Code(rawValue: "job_\(status)"),
                "job \(id) ended \(status) without a result (the gateway stopped while it ran, or it could not start)")
        }
        return .pending(status)
    }

    private func send(_ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:])
        async throws -> Answer
    {
        let address = base.absoluteString.hasSuffix("/") ? String(base.absoluteString.dropLast()) : base.absoluteString
        guard let url = URL(string: address + path) else {
            throw ModelgateError("invalid_address", "'\(address + path)' is not an address")
        }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.httpBody = body
        request.timeoutInterval = 120
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await Self.session.data(for: request)
        } catch {
            throw ModelgateError(
                "connection_failed",
                "could not reach the gateway at \(base.absoluteString): \(error.localizedDescription)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let text = String(decoding: data, as: UTF8.self)
        if (300..<400).contains(status) {
            let target = (response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Location") ?? "elsewhere"
            throw ModelgateError(
                "redirected",
                "the gateway at \(base.absoluteString) redirects to \(target); give that address with --server "
                    + "(redirects are not followed, so that your token goes only where you sent it)")
        }
        guard (200..<300).contains(status) else { throw Self.error(status: status, text: text) }
        return Answer(status: status, text: text)
    }

    /// One session for every request, which never follows a redirect: the token would go with
    /// it to wherever the redirect points.
    static let session = URLSession(
        configuration: .ephemeral, delegate: RedirectRefusal(), delegateQueue: nil)

    /// The server's `{"error": {"code", "message"}}` as an error, with what to do about a token.
    static func error(status: Int, text: String) -> ModelgateError {
        let error = ((try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any])?["error"]
        let fields = error as? [String: Any]
        let code = fields?["code"] as? String ?? "http_\(status)"
        var message = fields?["message"] as? String ?? "the gateway answered \(status): \(text.prefix(200))"
        if status == 401 { message += "; check --token or MODELGATE_TOKEN" }
        if status == 429 || status == 503 { message += "; try again shortly" }
        return ModelgateError(ModelgateError.Code(rawValue: code), message)
    }
}

/// Declines every redirect, so that a request (and its bearer token) reaches only the address
/// it was sent to; the 3xx answer itself comes back to the caller.
final class RedirectRefusal: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}
