import Foundation

/// Work started on a thread of its own, whose result is taken later by ``wait()``: a job's
/// release-ledger work on its row labels, while its worker still fits (see ``JobPipeline``).
final class BackgroundWork<Value>: @unchecked Sendable {
    private let condition = NSCondition()
    private var value: Value?

    /// Starts `body` on a new thread. It runs there once; the thread that started it only waits
    /// for its value, so what it captures is never used by two threads at once.
    init(_ body: @escaping () -> Value) {
        let work = UncheckedWork(body)
        Thread { [self] in
            let value = work.body()
            condition.withLock {
                self.value = value
                condition.broadcast()
            }
        }.start()
    }

    /// The value, once `body` has returned.
    func wait() -> Value {
        condition.withLock {
            while value == nil { condition.wait() }
            return value!
        }
    }
}

/// A closure handed to the one thread that runs it.
private struct UncheckedWork<Value>: @unchecked Sendable {
    let body: () -> Value
    init(_ body: @escaping () -> Value) { self.body = body }
}
