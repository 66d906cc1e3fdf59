import Foundation
import Logging
import ModelgateStore

/// Keeps the leases of the jobs this process runs: while any runs, renews them every third of
/// their length, so that another gateway finds a job lost only once this process stopped
/// renewing (killed, hung, cut off from the database) for a whole lease.
///
/// One thread, started with the first job and sleeping while none runs.
final class LeaseKeeper: @unchecked Sendable {
    let store: any GatewayStore
    let runner: String
    let seconds: Int
    let logger: Logger
    private let condition = NSCondition()
    private var running = 0
    private var started = false

    init(store: any GatewayStore, runner: String, seconds: Int, logger: Logger) {
        self.store = store
        self.runner = runner
        self.seconds = max(1, seconds)
        self.logger = logger
    }

    /// A job was admitted with a lease of this runner's: keep it until ``end()``.
    func begin() {
        condition.withLock {
            running += 1
            condition.signal()
            guard !started else { return }
            started = true
            let thread = Thread { [self] in renew() }
            thread.name = "modelgate-leases"
            thread.start()
        }
    }

    func end() {
        condition.withLock { running -= 1 }
    }

    private func renew() {
        let period = Double(seconds) / 3
        while true {
            condition.withLock {
                while running == 0 { condition.wait() }
            }
            Thread.sleep(forTimeInterval: period)
            guard condition.withLock({ running > 0 }) else { continue }
            do {
                _ = try store.renewLeases(runner: runner, seconds: seconds)
            } catch {
                logger.error(
                    "job leases not renewed: another gateway may mark this one's jobs interrupted",
                    metadata: ["error": "\(error)"])
            }
        }
    }
}
