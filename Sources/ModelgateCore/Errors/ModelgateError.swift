/// An operational failure: something went wrong that is not a decision about a job.
///
/// `code` is stable and machine-readable; `message` says what to fix; `cause` keeps the underlying
/// error for logs. A *refusal* of a job is not one of these: see ``Refusal``.
package struct ModelgateError: Error, Sendable, CustomStringConvertible {
    package var code: Code
    package var message: String
    package var cause: (any Error & Sendable)?

    /// A stable, machine-readable code; the ones a caller acts on are named below (the API maps
    /// them to HTTP statuses in one table), the rest are written where they are thrown.
    package struct Code: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
        package var rawValue: String
        package init(rawValue: String) { self.rawValue = rawValue }
        package init(stringLiteral value: String) { rawValue = value }
        package var description: String { rawValue }

        package static let unknownApplication: Self = "unknown_application"
        package static let unknownAgreement: Self = "unknown_agreement"
        package static let unknownDataset: Self = "unknown_dataset"
        package static let unknownPrincipal: Self = "unknown_principal"
        package static let unknownJob: Self = "unknown_job"
        package static let unknownDoubt: Self = "unknown_doubt"
        package static let suspendedByAnotherBody: Self = "suspended_by_another_body"
        package static let applicationDecided: Self = "application_decided"
        package static let notInApplication: Self = "not_in_application"
        package static let agreementTerminated: Self = "agreement_terminated"
        package static let datasetWithdrawn: Self = "dataset_withdrawn"
        package static let principalExists: Self = "principal_exists"
        /// A principal's name, role and body do not fit together.
        package static let invalidPrincipal: Self = "invalid_principal"
        /// An `Idempotency-Key` sent again with a different request.
        package static let idempotencyKeyReused: Self = "idempotency_key_reused"
        /// The first request with this `Idempotency-Key` has not finished yet.
        package static let jobInProgress: Self = "job_in_progress"
        /// The change asked for is the state the thing is already in.
        package static let unchanged: Self = "unchanged"
        /// The principal's role, or its body, does not allow what it asked.
        package static let forbidden: Self = "forbidden"
        /// A refusal, a suspension, a resumption or a withdrawal must say why.
        package static let reasonRequired: Self = "reason_required"
        /// A request (an application) does not hold what the procedure needs; the message names the key.
        package static let invalidBody: Self = "invalid_body"
        /// An owner reads the usage report of one dataset of its body, named.
        package static let datasetRequired: Self = "dataset_required"
        /// An ε allocation outside what the dataset's cap and the agreement's spending allow.
        package static let invalidAllocation: Self = "invalid_allocation"
    }

    package init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    package var description: String {
        if let cause { return "\(message) (\(code); cause: \(cause))" }
        return "\(message) (\(code))"
    }
}
