import Foundation

/// Threads of the store's own, on which postgres-nio's connection pool and every lease run (a
/// task executor preference), instead of Swift concurrency's global pool.
///
/// The store is called by blocking code, and some of it runs on the global pool's threads (an
/// HTTP handler that reads a token's principal, say). Were the pool's work to need those same
/// threads, two such callers on a 2-core machine would wait for a lease that no thread is left to
/// hand over. postgres-nio starts no unstructured tasks: with ``PostgresClient/run()`` and each
/// lease started here, all of its work stays on these threads. Written by hand: no library here
/// offers a plain thread-backed `TaskExecutor`.
final class StoreExecutor: TaskExecutor, @unchecked Sendable {
    /// One for the process: every store's pool and lease share it.
    static let shared = StoreExecutor(threads: 2)

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var next = 0

    private init(threads: Int) {
        for index in 0..<threads {
            let thread = Thread { [self] in serve() }
            thread.name = "modelgate-store-\(index)"
            thread.start()
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.withLock {
            jobs.append(job)
            condition.signal()
        }
    }

    private func serve() {
        while true {
            let job: UnownedJob = condition.withLock {
                while next == jobs.count { condition.wait() }
                let job = jobs[next]
                next += 1
                if next > 1024, next * 2 > jobs.count {
                    jobs.removeFirst(next)
                    next = 0
                }
                return job
            }
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}

/// A task on the store's threads (``StoreExecutor``).
@discardableResult
func storeTask<T: Sendable>(_ operation: @escaping @Sendable () async -> T) -> Task<T, Never> {
    if #available(macOS 15.0, *) {
        return Task(executorPreference: StoreExecutor.shared, operation: operation)
    }
    return Task(operation: operation)
}
