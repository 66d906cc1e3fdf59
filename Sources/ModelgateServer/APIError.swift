import Foundation
import Hummingbird
import ModelgateCore

/// An error as every API response gives it: `{"error": {"code", "message"}}` with its status.
package struct APIError: HTTPResponseError, Sendable {
    package var status: HTTPResponse.Status
    package var code: String
    package var message: String
    /// Extra headers, e.g. `Retry-After` on 429.
    package var headers: HTTPFields = [:]

    package init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try JSONBody.response(ErrorBody(error: .init(code: code, message: message)), status: status)
        for field in headers { response.headers.append(field) }
        return response
    }

    static func unauthorized(_ message: String) -> APIError { APIError(.unauthorized, "unauthorized", message) }
    static func badRequest(_ code: String = "bad_request", _ message: String) -> APIError {
        APIError(.badRequest, code, message)
    }

    /// The HTTP status of each error a caller can act on; any other is the gateway's own failure.
    static let statuses: [ModelgateError.Code: HTTPResponse.Status] = [
        .unknownApplication: .notFound, .unknownAgreement: .notFound, .unknownDataset: .notFound,
        .unknownDoubt: .notFound,
        .unknownPrincipal: .notFound, .suspendedByAnotherBody: .forbidden, .applicationDecided: .conflict,
        .agreementTerminated: .conflict, .datasetWithdrawn: .conflict, .principalExists: .conflict,
        .notInApplication: .conflict, .unknownJob: .notFound, .forbidden: .forbidden, .reasonRequired: .badRequest,
        .invalidBody: .badRequest, .datasetRequired: .badRequest, .unchanged: .conflict,
        .idempotencyKeyReused: .unprocessableContent,
        .jobInProgress: .conflict, .invalidAllocation: .unprocessableContent,
    ]

    static func from(_ error: ModelgateError) -> APIError {
        APIError(statuses[error.code] ?? .internalServerError, error.code.rawValue, error.message)
    }
}

/// `{"error": {"code", "message"}}`.
private struct ErrorBody: Encodable {
    struct Inner: Encodable {
        var code: String
        var message: String
    }
    var error: Inner
}

/// JSON responses: sorted keys, no escaped slashes, non-finite numbers as strings (as results).
enum JSONBody {
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        // One style for every answer, the stored result documents' own: pretty, keys sorted.
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return text(String(decoding: try encoder.encode(value), as: UTF8.self), status: status)
    }

    static func text(_ text: String, status: HTTPResponse.Status = .ok, type: String = "application/json") -> Response {
        Response(
            status: status, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// Decodes a request body, naming the key at fault when it does not fit. An empty body is
    /// `{}`; a key not in `keys` is refused, so that a typo cannot pass for an absent key.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int, keys: Set<String>)
        async throws -> T
    {
        let buffer = try await RequestBodyReader.collect(request, limit: limit)
        var data = Data(buffer.readableBytesView)
        if String(decoding: data, as: UTF8.self).allSatisfy(\.isWhitespace) { data = Data("{}".utf8) }
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            if let unknown = object.keys.sorted().first(where: { !keys.contains($0) }) {
                throw APIError.badRequest(
                    "invalid_body",
                    "key '\(unknown)' is not known here; expected \(keys.sorted().joined(separator: ", "))")
            }
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            // An unknown model is refused with the jobs endpoint's code and words.
            if case .dataCorrupted(let context) = error, context.debugDescription.hasPrefix("unknown model") {
                throw APIError.badRequest("unknown_model", context.debugDescription)
            }
            throw APIError.badRequest("invalid_body", describe(error))
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context, _ extra: CodingKey? = nil) -> String {
            let keys = (context.codingPath + (extra.map { [$0] } ?? [])).map {
                $0.intValue.map(String.init) ?? $0.stringValue
            }
            return keys.isEmpty ? "the body" : "key '\(keys.joined(separator: "."))'"
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context, key)) is missing"
        case .typeMismatch(let type, let context): return "\(path(context)) should be \(type)"
        case .valueNotFound(let type, let context): return "\(path(context)) should be \(type), not null"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty
                ? "the body is not valid JSON" : "\(path(context)): \(context.debugDescription)"
        @unknown default: return "the body does not fit: \(error)"
        }
    }
}

/// Reads a whole request body, refusing one over the limit with 413.
enum RequestBodyReader {
    static func collect(_ request: Request, limit: Int) async throws -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: limit)
        } catch let error as HTTPResponseError where error.status == .contentTooLarge {
            // NIO's "too many bytes", in this API's error shape.
            throw APIError(.contentTooLarge, "body_too_large", "the request body is larger than \(limit) bytes")
        }
    }
}
