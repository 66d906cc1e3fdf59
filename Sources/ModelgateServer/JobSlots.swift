import Dispatch
import Hummingbird

/// At most `running` jobs at once, with at most `queued` waiting behind them; beyond that a job
/// is turned away with 429 and `Retry-After`, never piled up. A waiting job whose client went
/// away leaves the queue and never runs. After ``close()`` (shutdown) new jobs get 503; running
/// and queued ones finish.
actor JobSlots {
    let running: Int
    let queued: Int
    private var busy = 0
    private var waiting: [(id: Int, continuation: CheckedContinuation<Void, any Error>)] = []
    /// The waiting jobs that were accepted asynchronously: bounded by ``AsyncJobs``, not by
    /// `queued`, so that one researcher's backlog does not turn others' requests away.
    private var acceptedWaiting: Set<Int> = []
    private var nextID = 0
    private var closed = false

    /// Where the jobs run: a thread per slot.
    private let threads: JobThreads

    init(running: Int, queued: Int) {
        self.running = max(1, running)
        self.queued = max(0, queued)
        threads = JobThreads(count: self.running)
    }

    deinit { threads.stop() }

    /// Runs blocking work (a job's pipeline) on a thread of the slots' own once a slot is free. An
    /// accepted asynchronous job (`beyondQueue`) waits however long the queue is: it was bounded
    /// when it was accepted (``AsyncJobs``).
    func run<T: Sendable>(beyondQueue: Bool = false, _ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await acquire(beyondQueue: beyondQueue)
        defer { release() }
        try Task.checkCancellation()
        return try await threads.run(work)
    }

    func close() { closed = true }

    /// Slots no job holds or waits for.
    var free: Int { max(0, running - busy - waiting.count) }

    private func acquire(beyondQueue: Bool) async throws {
        guard !closed else { throw Self.shuttingDown }
        if busy < running {
            busy += 1
            return
        }
        guard beyondQueue || waiting.count - acceptedWaiting.count < queued else {
            var error = APIError(
                .tooManyRequests, "too_many_jobs",
                "\(running) jobs are running and \(queued) are waiting; try again shortly")
            error.headers[.retryAfter] = "1"
            throw error
        }
        nextID += 1
        let id = nextID
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                } else {
                    waiting.append((id, continuation))
                    if beyondQueue { acceptedWaiting.insert(id) }
                }
            }
        } onCancel: {
            Task { await self.cancel(id) }
        }
    }

    /// A waiter whose request was cancelled leaves the queue without taking a slot.
    private func cancel(_ id: Int) {
        guard let index = waiting.firstIndex(where: { $0.id == id }) else { return }
        acceptedWaiting.remove(id)
        waiting.remove(at: index).continuation.resume(throwing: CancellationError())
    }

    private func release() {
        if waiting.isEmpty {
            busy -= 1
        } else {
            // The slot passes straight to the next waiter.
            let next = waiting.removeFirst()
            acceptedWaiting.remove(next.id)
            next.continuation.resume()
        }
    }

    static let shuttingDown = APIError(.serviceUnavailable, "shutting_down", "the gateway is shutting down")
}
