/// An asynchronous job accepted (`Prefer: respond-async`) and not yet admitted or refused: kept in
/// the store, so that any gateway on it may run the job and none loses it. A gateway claims it
/// for a lease (renewed while it runs it); one whose gateway died before admitting it is claimed
/// again by another once that lease expires. Admission or a refusal takes it off the queue in
/// the same transaction that records the job, so it is admitted once at most.
package struct QueuedJob: Sendable, Equatable {
    package var id: String
    package var principal: String
    /// The spec as sent.
    package var spec: String
    /// A researcher's job runs under an agreement; an owner's dry run does not.
    package var needsAgreement: Bool
    /// The client's `Idempotency-Key`, if it sent one.
    package var idempotencyKey: String?
    package var queuedAt: String
    /// How it ended without becoming a job of its own: answered by another job (the first request
    /// with its Idempotency-Key), or failed before the store recorded it (the error's code and
    /// message). Nil while it waits or runs.
    package var answeredBy: String?
    package var failure: Failure?

    package struct Failure: Sendable, Equatable {
        package var code: String
        package var message: String
        package init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    package init(
        id: String, principal: String, spec: String, needsAgreement: Bool, idempotencyKey: String?,
        queuedAt: String = "", answeredBy: String? = nil, failure: Failure? = nil
    ) {
        self.id = id
        self.principal = principal
        self.spec = spec
        self.needsAgreement = needsAgreement
        self.idempotencyKey = idempotencyKey
        self.queuedAt = queuedAt
        self.answeredBy = answeredBy
        self.failure = failure
    }

    /// The columns of `job_queue` the stores read one from.
    package static let columns =
        "id, principal, spec, needs_agreement, idempotency_key, queued_at, answered_by, failure_code, failure_message"

    /// Why a job could not be queued: too many wait, in all or of this principal's.
    package enum Refusal: Error, Equatable {
        case full(capacity: Int)
        case principalFull(perPrincipal: Int)
    }
}
