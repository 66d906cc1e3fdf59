import Foundation
import ModelgateCore

/// Jobs submitted with `Prefer: respond-async` that the store does not know yet: accepted and
/// waiting for a slot (`queued`), or answered by another job (a retried Idempotency-Key). The
/// store takes over from admission on (`running`, then the result document). Kept in memory: a
/// queued job lost in a restart was never admitted, so it neither ran nor spent anything, and
/// its GET answers `unknown_job`.
actor AsyncJobs {
    /// Accepted but not yet finished here, by job id: whose it is.
    private var queued: [String: String] = [:]
    /// Jobs whose request was answered by an earlier job (same Idempotency-Key).
    private var answeredBy: [String: String] = [:]
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Takes job `id` of `principal`, or says the server holds too many already.
    func accept(_ id: String, principal: String) throws {
        guard queued.count < capacity else {
            var error = APIError(
                .tooManyRequests, "too_many_jobs", "\(capacity) asynchronous jobs are waiting; try again shortly")
            error.headers[.retryAfter] = "1"
            throw error
        }
        queued[id] = principal
    }

    /// Job `id` ended here: answered by job `answer` (itself, or an earlier one).
    func finish(_ id: String, answer: String?) {
        queued[id] = nil
        if let answer, answer != id { answeredBy[id] = answer }
    }

    /// Whether `principal`'s job `id` is still waiting for admission.
    func isQueued(_ id: String, principal: String) -> Bool { queued[id] == principal }

    /// The job that answered job `id`, when another did.
    func answer(of id: String) -> String? { answeredBy[id] }
}
