/// An operational failure: something went wrong that is not a decision about a job.
///
/// `code` is stable and machine-readable; `message` says what to fix; `cause` keeps the underlying
/// error for logs. A *refusal* of a job is not one of these: see ``Refusal``.
public struct ModelgateError: Error, Sendable, CustomStringConvertible {
    public var code: Code
    public var message: String
    public var cause: (any Error & Sendable)?

    /// A stable, machine-readable code; the ones a caller acts on are named below (the API maps
    /// them to HTTP statuses in one table), the rest are written where they are thrown.
    public struct Code: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(stringLiteral value: String) { rawValue = value }
        public var description: String { rawValue }

        public static let unknownApplication: Self = "unknown_application"
        public static let unknownAgreement: Self = "unknown_agreement"
        public static let unknownDataset: Self = "unknown_dataset"
        public static let unknownPrincipal: Self = "unknown_principal"
        public static let unknownJob: Self = "unknown_job"
        public static let suspendedByAnotherBody: Self = "suspended_by_another_body"
        public static let applicationDecided: Self = "application_decided"
        public static let notInApplication: Self = "not_in_application"
        public static let agreementTerminated: Self = "agreement_terminated"
        public static let datasetWithdrawn: Self = "dataset_withdrawn"
        public static let principalExists: Self = "principal_exists"
        /// The change asked for is the state the thing is already in.
        public static let unchanged: Self = "unchanged"
        /// The principal's role, or its body, does not allow what it asked.
        public static let forbidden: Self = "forbidden"
        /// A refusal, a suspension, a resumption or a withdrawal must say why.
        public static let reasonRequired: Self = "reason_required"
        /// A request (an application) does not hold what the procedure needs; the message names the key.
        public static let invalidBody: Self = "invalid_body"
        /// An owner reads the usage report of one dataset of its body, named.
        public static let datasetRequired: Self = "dataset_required"
    }

    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        if let cause { return "\(message) (\(code); cause: \(cause))" }
        return "\(message) (\(code))"
    }
}
