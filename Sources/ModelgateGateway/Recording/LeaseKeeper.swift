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
    /// The jobs whose leases it keeps, and how many holds each has (a queued job claimed, then
    /// admitted under the same id, is held twice).
    private var running: [String: Int] = [:]
    private var started = false

    init(store: any GatewayStore, runner: String, seconds: Int, logger: Logger) {
        self.store = store
        self.runner = runner
        self.seconds = max(1, seconds)
        self.logger = logger
    }

    /// Job `job` holds a lease (or a queued job's claim) of this runner's: keep it until ``end(_:)``.
    func begin(_ job: String) {
        condition.withLock {
            running[job, default: 0] += 1
            condition.signal()
            guard !started else { return }
            started = true
            let thread = Thread { [self] in renew() }
            thread.name = "modelgate-leases"
            thread.start()
        }
    }

    func end(_ job: String) {
        condition.withLock {
            running[job, default: 1] -= 1
            if running[job] == 0 { running[job] = nil }
        }
    }

    private func renew() {
        let period = Double(seconds) / 3
        while true {
            condition.withLock {
                while running.isEmpty { condition.wait() }
            }
            Thread.sleep(forTimeInterval: period)
            let jobs = condition.withLock { Array(running.keys) }
            guard !jobs.isEmpty else { continue }
            do {
                _ = try store.renewLeases(runner: runner, jobs: jobs, seconds: seconds)
            } catch {
                logger.error(
                    "job leases not renewed: another gateway may mark this one's jobs interrupted",
                    metadata: ["error": "\(error)"])
            }
        }
    }
}
