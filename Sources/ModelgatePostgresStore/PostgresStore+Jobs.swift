import Foundation
import ModelgateCore
import ModelgateStore
import PostgresNIO

extension PostgresStore {
    package func recordRefusal(_ refusal: JobRefusal) throws -> Receipt {
        try write("the refusal of job \(refusal.job)") { transaction in
            let now = Timestamp.string(try transaction.time)
            try transaction.connection.execute(
                """
                INSERT INTO jobs (id, principal, dataset, dataset_version, model, status, reason_code,
                    reason_message, submitted_at, finished_at, result_hash, document)
                VALUES (\(refusal.job), \(refusal.principal), \(refusal.dataset), \(refusal.datasetVersion),
                    \(refusal.model), 'refused', \(refusal.reason.code.rawValue), \(StoredText.storable(refusal.reason.message)), \(now),
                    \(now), \(refusal.resultHash), \(refusal.document))
                """)
            let receipt = try transaction.append(
                .jobRefused, principal: refusal.principal, dataset: refusal.dataset, job: refusal.job,
                detail: refusal.detail
            ).receipt
            try Self.keep(receipt, of: refusal.job, transaction.connection)
            try Self.dequeue(refusal.job, transaction.connection)
            return receipt
        }
    }

    /// Keeps a job's receipt with it, in the transaction that appended its event.
    static func keep(_ receipt: Receipt, of job: String, _ connection: BlockingConnection) throws {
        try connection.execute(
            "UPDATE jobs SET receipt_index = \(receipt.index), receipt_hash = \(receipt.hash) WHERE id = \(job)")
    }

    package func admit(_ admission: JobAdmission) throws -> AdmissionDecision {
        try write("the admission of job \(admission.job)", synced: false) { transaction in
            let connection = transaction.connection
            let now = try transaction.time
            _ = try Self.recordDatasetVersion(transaction, admission.dataset, by: admission.principal)
            let day = Timestamp.day(now)
            let used =
                try connection.rows(
                    """
                    SELECT jobs FROM quota_usage
                    WHERE principal = \(admission.principal) AND dataset = \(admission.dataset.id) AND day = \(day)
                    """
                ).first?["jobs"].decode(Int.self) ?? 0
            // An owner's dry runs on its own datasets are not researchers' use: no quota.
            let role = try connection.rows("SELECT role FROM principals WHERE name = \(admission.principal)")
                .first?["role"].decode(String.self)
            if role != Role.owner.rawValue, used >= admission.jobsPerDay {
                return .refused(admission.quotaRefusal(used: used, at: now))
            }
            var spent: (dataset: MicroEpsilon, agreement: MicroEpsilon)?
            var earlier: (id: String, document: String)?
            if let key = admission.answerKey,
                let row = try connection.rows(
                    """
                    SELECT id, document FROM jobs WHERE answer_key = \(key) AND status = 'released'
                    AND epsilon_micros > 0 AND document IS NOT NULL ORDER BY finished_at LIMIT 1
                    """
                ).first
            {
                earlier = (try row["id"].decode(String.self), try row["document"].decode(String.self))
            }
            if let debit = admission.debit, earlier == nil {
                switch try Self.debit(connection, debit, dataset: admission.dataset.id) {
                case .success(let after): spent = after
                case .failure(let refusal): return .refused(refusal)
                }
            }
            try connection.execute(
                """
                INSERT INTO quota_usage (principal, dataset, day, jobs)
                VALUES (\(admission.principal), \(admission.dataset.id), \(day), 1)
                ON CONFLICT (principal, dataset, day) DO UPDATE SET jobs = quota_usage.jobs + 1
                """)
            let time = Timestamp.string(now)
            let deadline = Timestamp.string(now + Double(admission.wallSeconds + 60))
            let debited = earlier == nil ? admission.debit : nil
            try connection.execute(
                """
                INSERT INTO jobs (id, principal, dataset, dataset_version, policy_hash, model, status,
                    runner, deadline, submitted_at, admitted_at, agreement, epsilon_micros, answer_key, lease_token,
                    lease_expires)
                VALUES (\(admission.job), \(admission.principal), \(admission.dataset.id),
                    \(admission.dataset.version), \(admission.dataset.policyHash), \(admission.model), 'admitted',
                    \(admission.runner), \(deadline), \(time), \(time), \(debited?.agreement),
                    \(debited?.epsilon.micros ?? 0), \(earlier == nil ? admission.answerKey : nil),
                    \(admission.leaseSeconds == nil ? nil : admission.runner),
                    \(admission.leaseSeconds.map { Timestamp.string(now + Double($0)) }))
                """)
            try Self.dequeue(admission.job, connection)
            let event = try transaction.append(
                .jobAdmitted, principal: admission.principal, dataset: admission.dataset.id, job: admission.job,
                detail: admission.detail(quotaUsed: used + 1, spent: spent, repeatOf: earlier?.id))
            if let earlier {
                return .repeated(event.receipt, of: earlier.id, document: earlier.document)
            }
            return .admitted(event.receipt)
        }
    }

    /// Debits `debit` from the dataset's cap and the agreement's allocation, both or neither
    /// (``BudgetDebit/apply(spent:allocation:add:)``): each one statement that adds only while
    /// the sum stays within its cap (`WHERE` on the conflicting row), so that no interleaving of
    /// gateways can overspend.
    static func debit(_ connection: BlockingConnection, _ debit: BudgetDebit, dataset: String) throws -> Result<
        (dataset: MicroEpsilon, agreement: MicroEpsilon), Refusal
    > {
        try debit.apply(
            spent: { agreement in
                MicroEpsilon(
                    micros: try connection.rows(
                        "SELECT spent FROM privacy_spending WHERE dataset = \(dataset) AND agreement = \(agreement)"
                    ).first?["spent"].decode(Int64.self) ?? 0)
            },
            allocation: { agreement in
                try connection.rows(
                    "SELECT epsilon FROM privacy_allocations WHERE dataset = \(dataset) AND agreement = \(agreement)"
                ).first.map { MicroEpsilon(micros: try $0["epsilon"].decode(Int64.self)) }
            },
            add: { agreement, cap in
                try connection.execute(
                    """
                    INSERT INTO privacy_spending (dataset, agreement, spent)
                    VALUES (\(dataset), \(agreement), \(debit.epsilon.micros))
                    ON CONFLICT (dataset, agreement) DO UPDATE SET spent = privacy_spending.spent + excluded.spent
                    WHERE privacy_spending.spent + excluded.spent <= \(cap.micros)
                    """) == 1
            })
    }

    package func claimIdempotencyKey(_ key: String, principal: String, job: String, request: String) throws
        -> IdempotencyClaim
    {
        try write("idempotency key '\(key)'", synced: false) { transaction in
            let connection = transaction.connection
            if let row = try connection.rows(
                "SELECT job, request FROM idempotency_keys WHERE principal = \(principal) AND key = \(key)"
            ).first {
                return .earlier(
                    job: try row["job"].decode(String.self),
                    sameRequest: try row["request"].decode(String.self) == request)
            }
            try connection.execute(
                """
                INSERT INTO idempotency_keys (principal, key, job, request, created_at)
                VALUES (\(principal), \(key), \(job), \(request), \(Timestamp.string(try transaction.time)))
                """)
            return .claimed
        }
    }

    package func privacyAccount(dataset: String) throws -> PrivacyAccount {
        try read("the ε spent on '\(dataset)'") { try Self.privacyAccount($0, dataset: dataset) }
    }

    static func privacyAccount(_ connection: BlockingConnection, dataset: String) throws -> PrivacyAccount {
        func amounts(_ query: PostgresQuery) throws -> [String: MicroEpsilon] {
            Dictionary(
                uniqueKeysWithValues: try connection.rows(query).map {
                    (try $0["agreement"].decode(String.self), MicroEpsilon(micros: try $0["amount"].decode(Int64.self)))
                })
        }
        return PrivacyAccount(
            spent: try amounts("SELECT agreement, spent AS amount FROM privacy_spending WHERE dataset = \(dataset)"),
            allocations: try amounts(
                "SELECT agreement, epsilon AS amount FROM privacy_allocations WHERE dataset = \(dataset)"))
    }

    package func finish(_ completion: JobCompletion) throws -> Receipt {
        try write("the end of job \(completion.job)") { try Self.recordEnd($0, completion) }
    }

    /// The end of a job, inside a write transaction.
    static func recordEnd(_ transaction: PostgresTransaction, _ completion: JobCompletion) throws -> Receipt {
        let connection = transaction.connection
        guard
            let row = try connection.rows(
                "SELECT status, principal, dataset FROM jobs WHERE id = \(completion.job) FOR UPDATE"
            ).first
        else {
            throw ModelgateError(.unknownJob, "job \(completion.job) was never admitted, so it cannot finish")
        }
        let previous = try row["status"].decode(String.self)
        var update: PostgresQuery = """
            UPDATE jobs SET status = \(completion.status.rawValue), reason_code = \(completion.reason?.code.rawValue),
                reason_message = \(StoredText.storable(completion.reason?.message)), verdict = \(completion.verdict),
                cells_released = \(completion.cellsReleased), cells_suppressed = \(completion.cellsSuppressed),
                result_hash = \(completion.resultHash), finished_at = \(Timestamp.string(try transaction.time)),
                document = \(completion.document), lease_token = NULL
            WHERE id = \(completion.job) AND status IN ('admitted', 'interrupted')
            """
        if let lease = completion.lease {
            // Only the lease's holder, while it holds it.
            update.sql += " AND status = 'admitted' AND lease_token = $\(update.binds.count + 1)"
            update.binds.append(lease)
        }
        guard try connection.execute(update) == 1 else {
            throw JobCompletion.notRecordable(completion, previous: previous)
        }
        var refunded: String?
        if completion.refund, completion.status == .failed {
            refunded = try refund(connection, job: completion.job)
        }
        if let usage = completion.usage {
            try connection.execute(
                """
                INSERT INTO usage (job, rows_scanned, rows_dropped, cpu_seconds, wall_seconds, peak_memory_bytes)
                VALUES (\(completion.job), \(usage.rowsScanned), \(usage.rowsDropped), \(usage.cpuSeconds),
                    \(usage.wallSeconds), \(usage.peakMemoryBytes))
                """)
        }
        let receipt = try transaction.append(
            .jobFinished, principal: try row["principal"].decode(String.self),
            dataset: try row["dataset"].decode(String?.self), job: completion.job,
            detail: completion.detail(previousStatus: previous, epsilonRefunded: refunded)
        ).receipt
        try keep(receipt, of: completion.job, connection)
        return receipt
    }

    /// Gives a job's ε back to its dataset and agreement; the ε refunded (decimal text), or nil
    /// when it was debited nothing.
    static func refund(_ connection: BlockingConnection, job: String) throws -> String? {
        guard
            let row = try connection.rows("SELECT dataset, agreement, epsilon_micros FROM jobs WHERE id = \(job)")
                .first,
            case let micros = try row["epsilon_micros"].decode(Int64.self), micros > 0
        else { return nil }
        let dataset = try row["dataset"].decode(String?.self)
        let agreement = try row["agreement"].decode(String?.self) ?? ""
        try connection.execute(
            """
            UPDATE privacy_spending SET spent = spent - \(micros)
            WHERE dataset = \(dataset) AND agreement IN ('', \(agreement))
            """)
        try connection.execute("UPDATE jobs SET epsilon_micros = 0 WHERE id = \(job)")
        return "\(MicroEpsilon(micros: micros))"
    }

    package func unfinishedJobs() throws -> [UnfinishedJob] {
        try read("unfinished jobs") { connection in
            try connection.rows(
                """
                SELECT \(unescaped: UnfinishedJob.columns) FROM jobs WHERE status = 'admitted' ORDER BY admitted_at
                """
            ).map(Self.unfinishedJob)
        }
    }

    package func markInterrupted(_ job: UnfinishedJob, note: String) throws -> Receipt? {
        try write("the interruption of job \(job.job)") { transaction in
            let changed = try transaction.connection.execute(
                """
                UPDATE jobs SET status = 'interrupted', reason_code = 'interrupted',
                    reason_message = \(StoredText.storable(note)), finished_at = \(Timestamp.string(try transaction.time)), lease_token = NULL
                WHERE id = \(job.job) AND status = 'admitted'
                """)
            guard changed == 1 else { return nil }
            return try Self.recordInterruption(transaction, job, note: note)
        }
    }

    static func recordInterruption(_ transaction: PostgresTransaction, _ job: UnfinishedJob, note: String) throws
        -> Receipt
    {
        let receipt = try transaction.append(
            .jobInterrupted, principal: job.principal, dataset: job.dataset, job: job.job,
            detail: job.interruptionDetail(note: note)
        ).receipt
        try keep(receipt, of: job.job, transaction.connection)
        return receipt
    }

    package func renewLeases(runner: String, jobs: [String], seconds: Int) throws -> Int {
        // Not ordered behind the chain's head: it appends nothing, and touches only the
        // runner's own rows.
        try write("the leases of \(runner)", synced: false, ordered: false) { transaction in
            let until = Timestamp.string((try transaction.time) + Double(seconds))
            let connection = transaction.connection
            return try connection.execute(
                """
                UPDATE jobs SET lease_expires = \(until)
                WHERE id = ANY(\(jobs)) AND lease_token = \(runner) AND status = 'admitted'
                """)
                + connection.execute(
                    """
                    UPDATE job_queue SET claim_expires = \(until)
                    WHERE id = ANY(\(jobs)) AND claimed_by = \(runner) AND ended_at IS NULL
                    """)
        }
    }

    package func interruptExpiredLeases(note: String, limit: Int) throws -> [UnfinishedJob] {
        try write("jobs whose lease expired") { transaction in
            let connection = transaction.connection
            // Behind the chain's head like every writer that appends (the head first, then job
            // rows, in every transaction: no two can wait for each other), then claimed row by
            // row: a job whose holder is renewing its lease this moment is skipped, not waited for.
            let expired = try connection.rows(
                """
                SELECT \(unescaped: UnfinishedJob.columns) FROM jobs
                WHERE status = 'admitted' AND lease_expires < \(Timestamp.string(try transaction.time))
                ORDER BY admitted_at LIMIT \(limit) FOR UPDATE SKIP LOCKED
                """
            ).map(Self.unfinishedJob)
            for job in expired {
                try connection.execute(
                    """
                    UPDATE jobs SET status = 'interrupted', reason_code = 'interrupted', reason_message = \(note),
                        finished_at = \(Timestamp.string(try transaction.time)), lease_token = NULL
                    WHERE id = \(job.job)
                    """)
                _ = try Self.recordInterruption(transaction, job, note: note)
            }
            return expired
        }
    }

    static func unfinishedJob(_ row: PostgresRandomAccessRow) throws -> UnfinishedJob {
        UnfinishedJob(
            job: try row["id"].decode(String.self), principal: try row["principal"].decode(String.self),
            dataset: try row["dataset"].decode(String.self), runner: try row["runner"].decode(String.self),
            admittedAt: try row["admitted_at"].decode(String.self), deadline: try row["deadline"].decode(String.self),
            leased: try row["leased"].decode(Bool.self))
    }
}
