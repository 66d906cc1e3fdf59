/// An operational failure: something went wrong that is not a decision about a job.
///
/// `code` is stable and machine-readable; `message` says what to fix; `cause` keeps the underlying
/// error for logs. A *refusal* of a job is not one of these: see ``Refusal``.
public struct ModelgateError: Error, Sendable, CustomStringConvertible {
    public var code: String
    public var message: String
    public var cause: (any Error & Sendable)?

    public init(_ code: String, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        if let cause { return "\(message) (\(code); cause: \(cause))" }
        return "\(message) (\(code))"
    }
}
