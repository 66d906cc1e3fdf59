import Foundation

/// Threads of their own for job pipelines. A pipeline blocks for most of a job (on its worker, on
/// the disk); on Dispatch's global pool it held the threads that Swift concurrency's tasks (the
/// HTTP handlers, the slots, the answers) also run on, which then waited while cores stood idle.
/// One thread per slot (``JobSlots`` lets no more jobs run at once), started with the server and
/// ended when the slots are released.
final class JobThreads: @unchecked Sendable {
    private let condition = NSCondition()
    private var work: [@Sendable () -> Void] = []
    private var stopping = false

    init(count: Int) {
        for index in 0..<max(1, count) {
            let thread = Thread { [self] in serve() }
            thread.name = "modelgate-job-\(index)"
            thread.start()
        }
    }

    /// Runs `body` on one of the threads and answers with what it returned or threw.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            condition.withLock {
                work.append { continuation.resume(with: Result { try body() }) }
                condition.signal()
            }
        }
    }

    /// The threads end once the work given them is done.
    func stop() {
        condition.withLock {
            stopping = true
            condition.broadcast()
        }
    }

    private func serve() {
        while true {
            let next: (@Sendable () -> Void)? = condition.withLock {
                while work.isEmpty && !stopping { condition.wait() }
                return work.isEmpty ? nil : work.removeFirst()
            }
            guard let next else { return }
            next()
        }
    }
}
