import Foundation
import GRDB
import ModelgateCore

extension SQLiteStore {
    package func recordRefusal(_ refusal: JobRefusal) throws -> Receipt {
        try write("the refusal of job \(refusal.job)") { db, now in
            try Self.insertRefusal(db, refusal, at: now)
        }
    }

    static func insertRefusal(_ db: Database, _ refusal: JobRefusal, at now: Date) throws -> Receipt {
        try db.cachedStatement(
            sql: """
                INSERT INTO jobs (id, principal, dataset, dataset_version, model, status, reason_code,
                    reason_message, submitted_at, finished_at, result_hash, document)
                VALUES (?, ?, ?, ?, ?, 'refused', ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            refusal.job, refusal.principal, refusal.dataset, refusal.datasetVersion, refusal.model,
            refusal.reason.code.rawValue, StoredText.storable(refusal.reason.message), Timestamp.string(now),
            Timestamp.string(now),
            refusal.resultHash, refusal.document,
        ])
        let receipt = try append(
            db, .jobRefused, at: now, principal: refusal.principal, dataset: refusal.dataset, job: refusal.job,
            detail: refusal.detail
        ).receipt
        try keep(receipt, of: refusal.job, db)
        try dequeue(refusal.job, db)
        return receipt
    }

    /// Keeps a job's receipt with it, in the transaction that appended its event.
    static func keep(_ receipt: Receipt, of job: String, _ db: Database) throws {
        try db.cachedStatement(sql: "UPDATE jobs SET receipt_index = ?, receipt_hash = ? WHERE id = ?")
            .execute(arguments: [receipt.index, receipt.hash, job])
    }

    package func admit(_ admission: JobAdmission) throws -> AdmissionDecision {
        try write("the admission of job \(admission.job)", synced: false) { db, now in
            _ = try Self.recordDatasetVersion(db, admission.dataset, by: admission.principal, at: now)
            let day = Timestamp.day(now)
            let used =
                try Int.fetchOne(
                    db.cachedStatement(
                        sql: "SELECT jobs FROM quota_usage WHERE principal = ? AND dataset = ? AND day = ?"),
                    arguments: [admission.principal, admission.dataset.id, day]) ?? 0
            // The daily quota limits researchers' use; an owner's dry runs on its own datasets
            // are not that, and do not wait on it.
            let role = try String.fetchOne(
                db.cachedStatement(sql: "SELECT role FROM principals WHERE name = ?"), arguments: [admission.principal])
            if role != Role.owner.rawValue, used >= admission.jobsPerDay {
                return .refused(admission.quotaRefusal(used: used, at: now))
            }
            var spent: (dataset: MicroEpsilon, agreement: MicroEpsilon)?
            let earlier = try admission.answerKey.flatMap { key in
                try Row.fetchOne(
                    db.cachedStatement(
                        sql: """
                            SELECT id, document FROM jobs WHERE answer_key = ? AND status = 'released'
                            AND epsilon_micros > 0 AND document IS NOT NULL ORDER BY finished_at LIMIT 1
                            """), arguments: [key])
            }
            if let debit = admission.debit, earlier == nil {
                switch try Self.debit(db, debit, dataset: admission.dataset.id) {
                case .success(let after): spent = after
                case .failure(let refusal): return .refused(refusal)
                }
            }
            try db.cachedStatement(
                sql: """
                    INSERT INTO quota_usage (principal, dataset, day, jobs) VALUES (?, ?, ?, 1)
                    ON CONFLICT (principal, dataset, day) DO UPDATE SET jobs = jobs + 1
                    """
            ).execute(arguments: [admission.principal, admission.dataset.id, day])
            let time = Timestamp.string(now)
            try db.cachedStatement(
                sql: """
                    INSERT INTO jobs (id, principal, dataset, dataset_version, policy_hash, model, status,
                        runner, deadline, submitted_at, admitted_at, agreement, epsilon_micros, lease_token,
                        lease_expires)
                    VALUES (?, ?, ?, ?, ?, ?, 'admitted', ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                admission.job, admission.principal, admission.dataset.id, admission.dataset.version,
                admission.dataset.policyHash, admission.model, admission.runner,
                Timestamp.string(now + Double(admission.wallSeconds + 60)), time, time,
                earlier == nil ? admission.debit?.agreement : nil,
                earlier == nil ? admission.debit?.epsilon.micros ?? 0 : 0,
                admission.leaseSeconds == nil ? nil : admission.runner,
                admission.leaseSeconds.map { Timestamp.string(now + Double($0)) },
            ])
            try Self.dequeue(admission.job, db)
            if earlier == nil, let key = admission.answerKey {
                try db.cachedStatement(sql: "UPDATE jobs SET answer_key = ? WHERE id = ?").execute(arguments: [
                    key, admission.job,
                ])
            }
            let event = try Self.append(
                db, .jobAdmitted, at: now, principal: admission.principal, dataset: admission.dataset.id,
                job: admission.job,
                detail: admission.detail(quotaUsed: used + 1, spent: spent, repeatOf: earlier?["id"]))
            if let earlier {
                return .repeated(event.receipt, of: earlier["id"], document: earlier["document"])
            }
            return .admitted(event.receipt)
        }
    }

    /// Debits `debit` from the dataset's cap and the agreement's allocation, both or neither
    /// (``BudgetDebit/apply(spent:allocation:add:)``): each a conditional update that adds only
    /// while the sum stays within its cap.
    static func debit(_ db: Database, _ debit: BudgetDebit, dataset: String) throws -> Result<
        (dataset: MicroEpsilon, agreement: MicroEpsilon), Refusal
    > {
        try debit.apply(
            spent: { agreement in
                MicroEpsilon(
                    micros: try Int64.fetchOne(
                        db.cachedStatement(
                            sql: "SELECT spent FROM privacy_spending WHERE dataset = ? AND agreement = ?"),
                        arguments: [dataset, agreement]) ?? 0)
            },
            allocation: { agreement in
                try Int64.fetchOne(
                    db.cachedStatement(
                        sql: "SELECT epsilon FROM privacy_allocations WHERE dataset = ? AND agreement = ?"),
                    arguments: [dataset, agreement]
                ).map(MicroEpsilon.init(micros:))
            },
            add: { agreement, cap in
                try db.cachedStatement(
                    sql: """
                        INSERT INTO privacy_spending (dataset, agreement, spent) VALUES (?, ?, ?)
                        ON CONFLICT (dataset, agreement) DO UPDATE SET spent = spent + excluded.spent
                        WHERE spent + excluded.spent <= ?
                        """
                ).execute(arguments: [dataset, agreement, debit.epsilon.micros, cap.micros])
                return db.changesCount == 1
            })
    }

    package func claimIdempotencyKey(_ key: String, principal: String, job: String, request: String) throws
        -> IdempotencyClaim
    {
        try write("idempotency key '\(key)'", synced: false) { db, now in
            if let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT job, request FROM idempotency_keys WHERE principal = ? AND key = ?"),
                arguments: [principal, key])
            {
                return .earlier(job: row["job"], sameRequest: row["request"] == request)
            }
            try db.cachedStatement(
                sql: "INSERT INTO idempotency_keys (principal, key, job, request, created_at) VALUES (?, ?, ?, ?, ?)"
            ).execute(arguments: [principal, key, job, request, Timestamp.string(now)])
            return .claimed
        }
    }

    package func privacyAccount(dataset: String) throws -> PrivacyAccount {
        try read("the ε spent on '\(dataset)'") { db in try Self.privacyAccount(db, dataset: dataset) }
    }

    static func privacyAccount(_ db: Database, dataset: String) throws -> PrivacyAccount {
        func amounts(_ sql: String) throws -> [String: MicroEpsilon] {
            Dictionary(
                uniqueKeysWithValues: try Row.fetchAll(db, sql: sql, arguments: [dataset]).map {
                    ($0["agreement"], MicroEpsilon(micros: $0["amount"]))
                })
        }
        return PrivacyAccount(
            spent: try amounts("SELECT agreement, spent AS amount FROM privacy_spending WHERE dataset = ?"),
            allocations: try amounts("SELECT agreement, epsilon AS amount FROM privacy_allocations WHERE dataset = ?"))
    }

    package func finish(_ completion: JobCompletion) throws -> Receipt {
        try write("the end of job \(completion.job)") { db, now in try Self.recordEnd(db, completion, at: now) }
    }

    /// The end of a job, inside a write transaction.
    static func recordEnd(_ db: Database, _ completion: JobCompletion, at now: Date) throws -> Receipt {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT status, principal, dataset FROM jobs WHERE id = ?"),
                arguments: [completion.job])
        else {
            throw ModelgateError(.unknownJob, "job \(completion.job) was never admitted, so it cannot finish")
        }
        let previous: String = row["status"]
        try db.cachedStatement(
            sql: """
                UPDATE jobs SET status = ?, reason_code = ?, reason_message = ?, verdict = ?,
                    cells_released = ?, cells_suppressed = ?, result_hash = ?, finished_at = ?, document = ?,
                    lease_token = NULL
                WHERE id = ? AND CASE WHEN ? IS NULL THEN status IN ('admitted', 'interrupted')
                    ELSE status = 'admitted' AND lease_token = ? END
                """
        ).execute(arguments: [
            completion.status.rawValue, completion.reason?.code.rawValue,
            StoredText.storable(completion.reason?.message),
            completion.verdict, completion.cellsReleased, completion.cellsSuppressed, completion.resultHash,
            Timestamp.string(now), completion.document, completion.job, completion.lease, completion.lease,
        ])
        guard db.changesCount == 1 else { throw JobCompletion.notRecordable(completion, previous: previous) }
        var refunded: String?
        if completion.refund, completion.status == .failed {
            refunded = try Self.refund(db, job: completion.job)
        }
        if let usage = completion.usage {
            try db.cachedStatement(
                sql: """
                    INSERT INTO usage (job, rows_scanned, rows_dropped, cpu_seconds, wall_seconds, peak_memory_bytes)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                completion.job, usage.rowsScanned, usage.rowsDropped, usage.cpuSeconds, usage.wallSeconds,
                usage.peakMemoryBytes,
            ])
        }
        let receipt = try Self.append(
            db, .jobFinished, at: now, principal: row["principal"], dataset: row["dataset"], job: completion.job,
            detail: completion.detail(previousStatus: previous, epsilonRefunded: refunded)
        ).receipt
        try keep(receipt, of: completion.job, db)
        return receipt
    }

    /// Gives a job's ε back to its dataset and agreement; the ε refunded (decimal text), or nil
    /// when it was debited nothing.
    static func refund(_ db: Database, job: String) throws -> String? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT dataset, agreement, epsilon_micros FROM jobs WHERE id = ?"),
                arguments: [job]),
            let micros = row["epsilon_micros"] as Int64?, micros > 0
        else { return nil }
        try db.cachedStatement(
            sql: "UPDATE privacy_spending SET spent = spent - ? WHERE dataset = ? AND agreement IN ('', ?)"
        ).execute(arguments: [micros, row["dataset"] as String?, (row["agreement"] as String?) ?? ""])
        try db.cachedStatement(sql: "UPDATE jobs SET epsilon_micros = 0 WHERE id = ?").execute(arguments: [job])
        return "\(MicroEpsilon(micros: micros))"
    }

    package func unfinishedJobs() throws -> [UnfinishedJob] {
        try read("unfinished jobs") { db in
            try Row.fetchAll(
                db, sql: "SELECT \(UnfinishedJob.columns) FROM jobs WHERE status = 'admitted' ORDER BY admitted_at"
            ).map(Self.unfinishedJob)
        }
    }

    package func markInterrupted(_ job: UnfinishedJob, note: String) throws -> Receipt? {
        try write("the interruption of job \(job.job)") { db, now in
            try db.cachedStatement(
                sql: """
                    UPDATE jobs SET status = 'interrupted', reason_code = 'interrupted', reason_message = ?,
                        finished_at = ?, lease_token = NULL
                    WHERE id = ? AND status = 'admitted'
                    """
            ).execute(arguments: [StoredText.storable(note), Timestamp.string(now), job.job])
            guard db.changesCount == 1 else { return nil }
            return try Self.recordInterruption(db, job, note: note, at: now)
        }
    }

    static func recordInterruption(_ db: Database, _ job: UnfinishedJob, note: String, at now: Date) throws -> Receipt {
        let receipt = try append(
            db, .jobInterrupted, at: now, principal: job.principal, dataset: job.dataset, job: job.job,
            detail: job.interruptionDetail(note: note)
        ).receipt
        try keep(receipt, of: job.job, db)
        return receipt
    }

    package func renewLeases(runner: String, jobs: [String], seconds: Int) throws -> Int {
        try write("the leases of \(runner)", synced: false) { db, now in
            let until = Timestamp.string(now + Double(seconds))
            var held = 0
            for job in jobs {
                try db.cachedStatement(
                    sql: "UPDATE jobs SET lease_expires = ? WHERE id = ? AND lease_token = ? AND status = 'admitted'"
                ).execute(arguments: [until, job, runner])
                held += db.changesCount
                try db.cachedStatement(
                    sql: "UPDATE job_queue SET claim_expires = ? WHERE id = ? AND claimed_by = ? AND ended_at IS NULL"
                ).execute(arguments: [until, job, runner])
                held += db.changesCount
            }
            return held
        }
    }

    package func interruptExpiredLeases(note: String, limit: Int) throws -> [UnfinishedJob] {
        try write("jobs whose lease expired") { db, now in
            // The write lock is held: no other process marks these at the same time.
            let expired = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT \(UnfinishedJob.columns) FROM jobs
                        WHERE status = 'admitted' AND lease_expires < ? ORDER BY admitted_at LIMIT ?
                        """), arguments: [Timestamp.string(now), limit]
            ).map(Self.unfinishedJob)
            for job in expired {
                try db.cachedStatement(
                    sql: """
                        UPDATE jobs SET status = 'interrupted', reason_code = 'interrupted', reason_message = ?,
                            finished_at = ?, lease_token = NULL
                        WHERE id = ?
                        """
                ).execute(arguments: [StoredText.storable(note), Timestamp.string(now), job.job])
                _ = try Self.recordInterruption(db, job, note: note, at: now)
            }
            return expired
        }
    }

    static func unfinishedJob(_ row: Row) -> UnfinishedJob {
        UnfinishedJob(
            job: row["id"], principal: row["principal"], dataset: row["dataset"], runner: row["runner"],
            admittedAt: row["admitted_at"], deadline: row["deadline"], leased: row["leased"])
    }
}
