import Foundation
import Logging
import ModelgateStore

/// At start-up: jobs admitted by a process that is gone (killed, crashed, the machine restarted)
/// will never finish. They are marked `interrupted`, with an audit event, never silently dropped.
/// A job with a lease is lost once its lease expired (its process stopped renewing it), or at once
/// when its process is certainly gone (this host, boot and PID namespace, no such process). One
/// without: a job whose process still runs is left alone; one admitted on another host is left
/// to that host, until its deadline (admitted + the policy's wall-clock limit + a minute) has
/// passed: then nothing can still be running it.
struct JobRecovery {
    let store: any GatewayStore
    let logger: Logger
    var now: @Sendable () -> Date = { Date() }

    /// Returns the jobs it marked.
    @discardableResult
    func markLostJobs() throws -> [UnfinishedJob] {
        var marked: [UnfinishedJob] = []
        let time = Timestamp.string(now())
        // A job with a lease is lost when its lease expires, by the store's one clock; or at once
        // when its process is certainly gone: on this host, this boot and this PID namespace.
        marked += try markExpiredLeases()
        for job in try store.unfinishedJobs() {
            let runner = RunnerIdentity(job.runner)
            let note: String
            if job.leased {
                guard runner?.isAlive == false else { continue }
                note = "its process \(job.runner) ended before the job finished"
            } else if job.deadline < time {
                note = "it was still unfinished at its deadline \(job.deadline) (run by \(job.runner))"
            } else {
                switch runner?.isAlive {
                case true?:
                    continue
                case nil where runner != nil:
                    logger.info("unfinished job of another host left to it", metadata: ["job": "\(job.job)"])
                    continue
                default:
                    note = "its process \(job.runner) ended before the job finished"
                }
            }
            if try store.markInterrupted(job, note: note) != nil {
                logger.warning("job interrupted", metadata: ["job": "\(job.job)", "why": "\(note)"])
                marked.append(job)
            }
        }
        return marked
    }

    /// While running, with other gateways on the same database: marks the jobs whose lease
    /// expired (their gateway stopped renewing it: killed, hung, cut off) interrupted, wherever
    /// they ran. Returns them.
    @discardableResult
    func markExpiredLeases() throws -> [UnfinishedJob] {
        var marked: [UnfinishedJob] = []
        while true {
            let batch = try store.interruptExpiredLeases(
                note: "its lease expired: the gateway that ran it stopped renewing it", limit: 100)
            for job in batch {
                logger.warning(
                    "job interrupted: its lease expired", metadata: ["job": "\(job.job)", "runner": "\(job.runner)"])
            }
            marked += batch
            guard batch.count == 100 else { return marked }
        }
    }
}
