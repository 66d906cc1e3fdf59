import Foundation
import ModelgateCore

/// Jobs submitted with `Prefer: respond-async` while the store does not know them: accepted and
/// waiting for a slot (`queued`), ended before admission with an error (`failed`), or answered
/// by another job (a retried Idempotency-Key). The store takes over from admission on
/// (`running`, then the result document). Kept in memory, with the tasks that run them, so that
/// a graceful shutdown waits for every accepted job (``drain()``).
actor AsyncJobs {
    enum State: Sendable {
        case queued(principal: String)
        /// Ended without a job in the store: the error's code and message.
        case failed(principal: String, code: String, message: String)
    }

    private var states: [String: State] = [:]
    private var tasks: [String: Task<Void, Never>] = [:]
    /// Jobs whose request was answered by an earlier job (same Idempotency-Key).
    private var answeredBy: [String: String] = [:]
    /// Each principal's jobs that ended here (failed, or answered by another), oldest first:
    /// beyond `remembered` of one principal's, its oldest are forgotten (GET then answers 404 for
    /// them), so memory stays bounded and no one's requests push out another's.
    private var ended: [String: [String]] = [:]
    /// Most jobs waiting at once: on this server, and for one principal.
    let capacity: Int
    let perPrincipal: Int
    let remembered: Int

    init(capacity: Int, perPrincipal: Int, remembered: Int = 1000) {
        self.capacity = capacity
        self.perPrincipal = perPrincipal
        self.remembered = remembered
    }

    /// Takes job `id` of `principal`, or says too many are waiting already.
    func accept(_ id: String, principal: String) throws {
        let waiting = states.values.filter { if case .queued = $0 { true } else { false } }
        let own = waiting.filter { if case .queued(principal) = $0 { true } else { false } }.count
        guard waiting.count < capacity, own < perPrincipal else {
            var error = APIError(
                .tooManyRequests, "too_many_jobs",
                own >= perPrincipal
                    ? "you have \(perPrincipal) asynchronous jobs waiting; wait for some to end"
                    : "\(capacity) asynchronous jobs are waiting; try again shortly")
            error.headers[.retryAfter] = "1"
            throw error
        }
        states[id] = .queued(principal: principal)
    }

    /// The task running job `id`, so that ``drain()`` can wait for it.
    func track(_ id: String, _ task: Task<Void, Never>) {
        if case .queued = states[id] { tasks[id] = task }
    }

    /// Job `id` ended here: answered by job `answer` (itself, or an earlier one), or failed
    /// before the store recorded it.
    func finish(_ id: String, answer: String?, failure: (code: String, message: String)? = nil) {
        guard case .queued(let principal) = states[id] else { return }
        states[id] = failure.map { .failed(principal: principal, code: $0.code, message: $0.message) }
        tasks[id] = nil
        if let answer, answer != id { answeredBy[id] = answer }
        guard failure != nil || answeredBy[id] != nil else { return }
        ended[principal, default: []].append(id)
        if let own = ended[principal], own.count > remembered, let forgotten = own.first {
            ended[principal]?.removeFirst()
            states[forgotten] = nil
            answeredBy[forgotten] = nil
        }
    }

    /// What this server knows of `principal`'s job `id` beyond the store; nil for another's.
    func state(of id: String, principal: String) -> State? {
        switch states[id] {
        case .queued(principal)?, .failed(principal, _, _)?: return states[id]
        default: return nil
        }
    }

    /// The job that answered job `id`, when another did.
    func answer(of id: String) -> String? { answeredBy[id] }

    /// Waits for every accepted job to end (at shutdown, after the slots close: the waiting ones
    /// still run, as synchronous ones do).
    func drain() async {
        while let (_, task) = tasks.first {
            await task.value
            tasks = tasks.filter { $0.value != task }
        }
    }
}
