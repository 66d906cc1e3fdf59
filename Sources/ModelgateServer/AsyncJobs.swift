import Foundation
import ModelgateCore
import ModelgateStore

/// Jobs submitted with `Prefer: respond-async`. They wait in the store's queue (``QueuedJob``),
/// where any gateway on the store claims and runs them (``QueueRunner``), so that a gateway that
/// dies loses none: its claims expire and another takes them. Here, the tasks of the ones this
/// gateway runs, so that a graceful shutdown waits for them, and a signal that wakes the runner
/// when a job is accepted here.
actor AsyncJobs {
    let store: any GatewayStore
    /// Most jobs waiting at once: in the store's queue (all gateways), and for one principal.
    let capacity: Int
    let perPrincipal: Int
    /// Of each principal's queued jobs that ended without a job of their own (failed before
    /// they were recorded, or answered by another), the newest this many are remembered.
    let remembered: Int
    private var tasks: [String: Task<Void, Never>] = [:]
    /// Jobs claimed here (or being claimed) that have not yet asked the slots for one: with the
    /// slots' own count, what this gateway has taken on (``reserve(upTo:)``).
    private var starting = 0
    /// Wakes the runner: at once when a job is accepted here, and every quarter second for the
    /// ones other gateways accepted.
    nonisolated let wakeups: AsyncStream<Void>
    private nonisolated let wake: AsyncStream<Void>.Continuation

    init(store: any GatewayStore, capacity: Int, perPrincipal: Int, remembered: Int = 1000) {
        self.store = store
        self.capacity = capacity
        self.perPrincipal = perPrincipal
        self.remembered = remembered
        (wakeups, wake) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues `job`, or says too many are waiting already.
    func accept(_ job: QueuedJob) async throws {
        let (store, capacity, perPrincipal) = (store, capacity, perPrincipal)
        do {
            try await APIServer.offEventLoop { try store.enqueue(job, capacity: capacity, perPrincipal: perPrincipal) }
        } catch let refusal as QueuedJob.Refusal {
            var error =
                switch refusal {
                case .principalFull(let limit):
                    APIError(
                        .tooManyRequests, "too_many_jobs",
                        "you have \(limit) asynchronous jobs waiting; wait for some to end")
                case .full(let limit):
                    APIError(
                        .tooManyRequests, "too_many_jobs", "\(limit) asynchronous jobs are waiting; try again shortly")
                }
            error.headers[.retryAfter] = "1"
            throw error
        }
        wake.yield()
    }

    /// Wakes the runner (its ticker, and a slot that came free).
    nonisolated func kick() { wake.yield() }

    /// Reserves room for up to `free` claims (the slots free now), less the claims already
    /// taken and not yet at the slots: two claims at once never take the same room, and a job
    /// waiting for a slot here is not claimed (another gateway may run it). Returns how many.
    func reserve(upTo free: Int) -> Int {
        let room = max(0, free - starting)
        starting += room
        return room
    }

    /// Gives back reserved room that no claim used, or that a claimed job now takes up at the
    /// slots themselves.
    func unreserve(_ count: Int) {
        starting = max(0, starting - count)
    }

    /// The task running job `id` here, so that ``drain()`` can wait for it.
    func track(_ id: String, _ task: Task<Void, Never>) {
        tasks[id] = task
    }

    /// Job `id` ended here: answered by job `answer` (itself, or an earlier one), or failed
    /// before the store recorded it.
    func finish(_ id: String, answer: String?, failure: (code: String, message: String)? = nil) async {
        tasks[id] = nil
        wake.yield()
        guard failure != nil || (answer != nil && answer != id) else { return }
        let (store, remembered) = (store, remembered)
        _ = try? await APIServer.offEventLoop {
            try store.endQueued(
                id, answeredBy: answer == id ? nil : answer,
                failure: failure.map { QueuedJob.Failure(code: $0.code, message: $0.message) }, keep: remembered)
        }
    }

    /// A claimed job this gateway will not run after all (it is stopping): its claim lapses.
    func release(_ id: String) {
        tasks[id] = nil
    }

    /// Waits for every job this gateway claimed to end (at shutdown, after the slots close: they
    /// still run, as synchronous ones do). Jobs still queued stay in the store for another
    /// gateway, or this one's next start.
    func drain() async {
        while let (_, task) = tasks.first {
            await task.value
            tasks = tasks.filter { $0.value != task }
        }
    }
}
