import Foundation
import ModelgateCore
import ModelgateStore
import PostgresNIO

extension PostgresStore {
    package func enqueue(_ job: QueuedJob, capacity: Int, perPrincipal: Int) throws {
        // Behind the chain's head like every writer: the counts and the insert are one step.
        try write("queued job \(job.id)") { transaction in
            let connection = transaction.connection
            let row = try connection.rows(
                """
                SELECT COUNT(*) AS waiting, COUNT(CASE WHEN principal = \(job.principal) THEN 1 END) AS own
                FROM job_queue WHERE ended_at IS NULL
                """
            ).first
            let waiting = try row?["waiting"].decode(Int.self) ?? 0
            let own = try row?["own"].decode(Int.self) ?? 0
            if own >= perPrincipal { throw QueuedJob.Refusal.principalFull(perPrincipal: perPrincipal) }
            if waiting >= capacity { throw QueuedJob.Refusal.full(capacity: capacity) }
            try connection.execute(
                """
                INSERT INTO job_queue (id, principal, spec, needs_agreement, idempotency_key, queued_at)
                VALUES (\(job.id), \(job.principal), \(job.spec), \(job.needsAgreement), \(job.idempotencyKey),
                    \(Timestamp.string(try transaction.time)))
                """)
        }
    }

    package func claimQueued(runner: String, seconds: Int, limit: Int) throws -> [QueuedJob] {
        guard limit > 0 else { return [] }
        // Not behind the chain's head (it appends nothing): rows another gateway is claiming
        // this moment are skipped, not waited for.
        return try write("claims on queued jobs", synced: false, ordered: false) { transaction in
            let connection = transaction.connection
            let now = Timestamp.string(try transaction.time)
            let jobs = try connection.rows(
                """
                SELECT \(unescaped: QueuedJob.columns) FROM job_queue
                WHERE ended_at IS NULL AND (claimed_by IS NULL OR claim_expires < \(now))
                ORDER BY queued_at LIMIT \(limit) FOR UPDATE SKIP LOCKED
                """
            ).map(Self.queuedJob)
            let until = Timestamp.string((try transaction.time) + Double(seconds))
            for job in jobs {
                try connection.execute(
                    "UPDATE job_queue SET claimed_by = \(runner), claim_expires = \(until) WHERE id = \(job.id)")
            }
            return jobs
        }
    }

    package func endQueued(_ id: String, answeredBy: String?, failure: QueuedJob.Failure?, keep: Int) throws {
        try write("the end of queued job \(id)") { transaction in
            let connection = transaction.connection
            guard
                let principal = try connection.rows(
                    "SELECT principal FROM job_queue WHERE id = \(id) AND ended_at IS NULL FOR UPDATE"
                ).first?["principal"].decode(String.self)
            else { return }
            try connection.execute(
                """
                UPDATE job_queue SET answered_by = \(answeredBy), failure_code = \(failure?.code),
                    failure_message = \(StoredText.storable(failure?.message)), ended_at = \(Timestamp.string(try transaction.time)),
                    claimed_by = NULL
                WHERE id = \(id)
                """)
            try connection.execute(
                """
                DELETE FROM job_queue WHERE principal = \(principal) AND ended_at IS NOT NULL AND id NOT IN (
                    SELECT id FROM job_queue WHERE principal = \(principal) AND ended_at IS NOT NULL
                    ORDER BY ended_at DESC, id DESC LIMIT \(max(1, keep)))
                """)
        }
    }

    package func queuedJob(_ id: String) throws -> QueuedJob? {
        try read("queued job \(id)") { connection in
            try connection.rows("SELECT \(unescaped: QueuedJob.columns) FROM job_queue WHERE id = \(id)").first.map(
                Self.queuedJob)
        }
    }

    /// Takes a job off the queue: it is admitted or refused, in the same transaction.
    static func dequeue(_ job: String, _ connection: BlockingConnection) throws {
        try connection.execute("DELETE FROM job_queue WHERE id = \(job)")
    }

    static func queuedJob(_ row: PostgresRandomAccessRow) throws -> QueuedJob {
        QueuedJob(
            id: try row["id"].decode(String.self), principal: try row["principal"].decode(String.self),
            spec: try row["spec"].decode(String.self), needsAgreement: try row["needs_agreement"].decode(Bool.self),
            idempotencyKey: try row["idempotency_key"].decode(String?.self),
            queuedAt: try row["queued_at"].decode(String.self), answeredBy: try row["answered_by"].decode(String?.self),
            failure: try row["failure_code"].decode(String?.self).map {
                QueuedJob.Failure(code: $0, message: try row["failure_message"].decode(String?.self) ?? "")
            })
    }
}
