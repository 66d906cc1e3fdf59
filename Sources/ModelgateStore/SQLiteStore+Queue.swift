import Foundation
import GRDB
import ModelgateCore

extension SQLiteStore {
    package func enqueue(_ job: QueuedJob, capacity: Int, perPrincipal: Int) throws {
        try write("queued job \(job.id)") { db, now in
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT COUNT(*) AS waiting, COUNT(CASE WHEN principal = ? THEN 1 END) AS own
                        FROM job_queue WHERE ended_at IS NULL
                        """), arguments: [job.principal])
            let (waiting, own): (Int, Int) = (row?["waiting"] ?? 0, row?["own"] ?? 0)
            if own >= perPrincipal { throw QueuedJob.Refusal.principalFull(perPrincipal: perPrincipal) }
            if waiting >= capacity { throw QueuedJob.Refusal.full(capacity: capacity) }
            try db.cachedStatement(
                sql: """
                    INSERT INTO job_queue (id, principal, spec, needs_agreement, idempotency_key, queued_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                job.id, job.principal, job.spec, job.needsAgreement, job.idempotencyKey, Timestamp.string(now),
            ])
        }
    }

    package func claimQueued(runner: String, seconds: Int, limit: Int) throws -> [QueuedJob] {
        guard limit > 0 else { return [] }
        return try write("claims on queued jobs", synced: false) { db, now in
            // The write lock is held: no other process claims the same jobs.
            let jobs = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT \(QueuedJob.columns) FROM job_queue
                        WHERE ended_at IS NULL AND (claimed_by IS NULL OR claim_expires < ?)
                        ORDER BY queued_at LIMIT ?
                        """), arguments: [Timestamp.string(now), limit]
            ).map(Self.queuedJob)
            for job in jobs {
                try db.cachedStatement(sql: "UPDATE job_queue SET claimed_by = ?, claim_expires = ? WHERE id = ?")
                    .execute(arguments: [runner, Timestamp.string(now + Double(seconds)), job.id])
            }
            return jobs
        }
    }

    package func endQueued(_ id: String, answeredBy: String?, failure: QueuedJob.Failure?, keep: Int) throws {
        try write("the end of queued job \(id)") { db, now in
            guard
                let principal = try String.fetchOne(
                    db.cachedStatement(sql: "SELECT principal FROM job_queue WHERE id = ? AND ended_at IS NULL"),
                    arguments: [id])
            else { return }
            try db.cachedStatement(
                sql: """
                    UPDATE job_queue SET answered_by = ?, failure_code = ?, failure_message = ?, ended_at = ?,
                        claimed_by = NULL
                    WHERE id = ?
                    """
            ).execute(arguments: [
                answeredBy, failure?.code, StoredText.storable(failure?.message), Timestamp.string(now), id,
            ])
            try db.cachedStatement(
                sql: """
                    DELETE FROM job_queue WHERE principal = ? AND ended_at IS NOT NULL AND id NOT IN (
                        SELECT id FROM job_queue WHERE principal = ? AND ended_at IS NOT NULL
                        ORDER BY ended_at DESC, id DESC LIMIT ?)
                    """
            ).execute(arguments: [principal, principal, max(1, keep)])
        }
    }

    package func queuedJob(_ id: String) throws -> QueuedJob? {
        try read("queued job \(id)") { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT \(QueuedJob.columns) FROM job_queue WHERE id = ?"), arguments: [id]
            ).map(Self.queuedJob)
        }
    }

    /// Takes a job off the queue: it is admitted or refused, in the same transaction.
    static func dequeue(_ job: String, _ db: Database) throws {
        try db.cachedStatement(sql: "DELETE FROM job_queue WHERE id = ?").execute(arguments: [job])
    }

    static func queuedJob(_ row: Row) -> QueuedJob {
        QueuedJob(
            id: row["id"], principal: row["principal"], spec: row["spec"], needsAgreement: row["needs_agreement"],
            idempotencyKey: row["idempotency_key"], queuedAt: row["queued_at"], answeredBy: row["answered_by"],
            failure: (row["failure_code"] as String?).map {
                QueuedJob.Failure(code: $0, message: row["failure_message"] ?? "")
            })
    }
}
