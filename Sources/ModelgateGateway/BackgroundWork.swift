import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Work started on a thread of its own, whose result is taken later by ``wait()``: a job's
/// release-ledger work on its row labels, while its worker still fits (see ``JobPipeline``).
/// Where no thread can be started, ``wait()`` does the work itself.
final class BackgroundWork<Value>: ThreadWork, @unchecked Sendable {
    private let condition = NSCondition()
    private var value: Value?
    /// The work, until a thread or ``wait()`` takes it.
    private var body: (() -> Value)?

    /// Starts `body` on a new thread. It runs there once; the thread that started it only waits
    /// for its value, so what it captures is never used by two threads at once.
    init(_ body: @escaping () -> Value) {
        self.body = body
        super.init()
        startThread()
    }

    /// The value, once the work is done (here, if no thread has taken it).
    func wait() -> Value {
        run()
        return condition.withLock {
            while value == nil { condition.wait() }
            return value!
        }
    }

    /// Does the work unless another thread has taken it.
    override func run() {
        guard let body = condition.withLock({ self.body.take() }) else { return }
        let value = body()
        condition.withLock {
            self.value = value
            condition.broadcast()
        }
    }
}

/// What a thread started by ``startThread()`` runs: ``run()``, once. (Not generic, so that the
/// thread's entry point, a C function, can name it.)
class ThreadWork {
    func run() {}

    /// Runs ``run()`` on a new, detached thread; false when none could be started.
    @discardableResult
    func startThread() -> Bool {
        let context = Unmanaged.passRetained(self)
        var thread = pthread_t()
        let started = pthread_create(
            &thread, nil,
            { context in
                Unmanaged<ThreadWork>.fromOpaque(context!).takeRetainedValue().run()
                return nil
            }, context.toOpaque())
        guard started == 0 else {
            context.release()
            return false
        }
        pthread_detach(thread)
        return true
    }
}
