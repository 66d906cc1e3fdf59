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
            refusal.reason.code.rawValue, refusal.reason.message, Timestamp.string(now), Timestamp.string(now),
            refusal.resultHash, refusal.document,
        ])
        let receipt = try append(
            db, .jobRefused, at: now, principal: refusal.principal, dataset: refusal.dataset, job: refusal.job,
            detail: JobRefusedDetail(
                model: refusal.model, datasetVersion: refusal.datasetVersion, reason: refusal.reason.code.rawValue,
                message: refusal.reason.message, resultHash: refusal.resultHash)
        ).receipt
        try keep(receipt, of: refusal.job, db)
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
                return .refused(
                    Refusal(
                        .quotaExceeded,
                        "'\(admission.principal)' has run \(used) of \(admission.jobsPerDay) jobs allowed per day on '\(admission.dataset.id)'; the quota resets at \(Timestamp.string(Timestamp.nextMidnight(after: now)))"
                    ))
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
                        runner, deadline, submitted_at, admitted_at, agreement, epsilon_micros)
                    VALUES (?, ?, ?, ?, ?, ?, 'admitted', ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                admission.job, admission.principal, admission.dataset.id, admission.dataset.version,
                admission.dataset.policyHash, admission.model, admission.runner,
                Timestamp.string(now + Double(admission.wallSeconds + 60)), time, time,
                earlier == nil ? admission.debit?.agreement : nil,
                earlier == nil ? admission.debit?.epsilon.micros ?? 0 : 0,
            ])
            if earlier == nil, let key = admission.answerKey {
                try db.cachedStatement(sql: "UPDATE jobs SET answer_key = ? WHERE id = ?").execute(arguments: [
                    key, admission.job,
                ])
            }
            let event = try Self.append(
                db, .jobAdmitted, at: now, principal: admission.principal, dataset: admission.dataset.id,
                job: admission.job,
                detail: JobAdmittedDetail(
                    model: admission.model, datasetVersion: admission.dataset.version,
                    policyHash: admission.dataset.policyHash, quotaUsed: used + 1, quota: admission.jobsPerDay,
                    epsilon: earlier == nil ? admission.debit.map { "\($0.epsilon)" } : nil,
                    agreement: earlier == nil ? admission.debit?.agreement : nil,
                    agreementEpsilonSpent: admission.debit?.agreement == nil ? nil : spent.map { "\($0.agreement)" },
                    datasetEpsilonSpent: spent.map { "\($0.dataset)" }, repeatOf: earlier?["id"]))
            if let earlier {
                return .repeated(event.receipt, of: earlier["id"], document: earlier["document"])
            }
            return .admitted(event.receipt)
        }
    }

    /// Debits `debit` from the dataset's cap and the agreement's allocation, both or neither:
    /// each a conditional update that adds only while the sum stays within its cap. Returns what
    /// each has spent after, or the refusal that names the budget used up.
    static func debit(_ db: Database, _ debit: BudgetDebit, dataset: String) throws -> Result<
        (dataset: MicroEpsilon, agreement: MicroEpsilon), Refusal
    > {
        func spent(_ agreement: String) throws -> MicroEpsilon {
            MicroEpsilon(
                micros: try Int64.fetchOne(
                    db.cachedStatement(sql: "SELECT spent FROM privacy_spending WHERE dataset = ? AND agreement = ?"),
                    arguments: [dataset, agreement]) ?? 0)
        }
        let e = debit.epsilon
        var budgets = [("the dataset's lifetime ε (all agreements together)", "", debit.datasetCap)]
        if let agreement = debit.agreement {
            // An owner's allocation, read in the debiting transaction, takes the policy's place.
            let allocation = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT epsilon FROM privacy_allocations WHERE dataset = ? AND agreement = ?"),
                arguments: [dataset, agreement]
            ).map(MicroEpsilon.init(micros:))
            budgets.append(("agreement \(agreement)'s ε on this dataset", agreement, allocation ?? debit.agreementCap))
        }
        for (scope, agreement, cap) in budgets {
            let before = try spent(agreement)
            guard before + e <= cap else {
                return .failure(
                    Refusal(
                        .privacyBudgetExhausted,
                        "\(scope) is \(cap), of which \(before) is spent; this job asks for \(e). Ask with a smaller "
                            + "epsilon, or ask the data owner about the budget"))
            }
        }
        for (_, agreement, cap) in budgets {
            try db.cachedStatement(
                sql: """
                    INSERT INTO privacy_spending (dataset, agreement, spent) VALUES (?, ?, ?)
                    ON CONFLICT (dataset, agreement) DO UPDATE SET spent = spent + excluded.spent
                    WHERE spent + excluded.spent <= ?
                    """
            ).execute(arguments: [dataset, agreement, e.micros, cap.micros])
            // Checked above in the same transaction; a miss here would be a bug, and rolls all back.
            guard db.changesCount == 1 else {
                throw ModelgateError("budget_debit_failed", "the ε debit of \(dataset) did not apply")
            }
        }
        return .success((try spent(""), try debit.agreement.map(spent) ?? .zero))
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
                    cells_released = ?, cells_suppressed = ?, result_hash = ?, finished_at = ?, document = ?
                WHERE id = ? AND status IN ('admitted', 'interrupted')
                """
        ).execute(arguments: [
            completion.status.rawValue, completion.reason?.code.rawValue, completion.reason?.message,
            completion.verdict, completion.cellsReleased, completion.cellsSuppressed, completion.resultHash,
            Timestamp.string(now), completion.document, completion.job,
        ])
        guard db.changesCount == 1 else {
            throw ModelgateError("job_already_finished", "job \(completion.job) already finished as \(previous)")
        }
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
            detail: JobFinishedDetail(
                status: completion.status.rawValue, reason: completion.reason?.code.rawValue,
                verdict: completion.verdict, cellsReleased: completion.cellsReleased,
                cellsSuppressed: completion.cellsSuppressed, rowsScanned: completion.usage?.rowsScanned,
                cpuSeconds: completion.usage?.cpuSeconds, wallSeconds: completion.usage?.wallSeconds,
                peakMemoryBytes: completion.usage?.peakMemoryBytes, resultHash: completion.resultHash,
                previousStatus: previous == JobStatus.admitted.rawValue ? nil : previous, epsilonRefunded: refunded)
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
                db,
                sql: """
                    SELECT id, principal, dataset, runner, admitted_at, deadline FROM jobs
                    WHERE status = 'admitted' ORDER BY admitted_at
                    """
            ).map {
                UnfinishedJob(
                    job: $0["id"], principal: $0["principal"], dataset: $0["dataset"], runner: $0["runner"],
                    admittedAt: $0["admitted_at"], deadline: $0["deadline"])
            }
        }
    }

    package func markInterrupted(_ job: UnfinishedJob, note: String) throws -> Receipt? {
        try write("the interruption of job \(job.job)") { db, now in
            try db.cachedStatement(
                sql: """
                    UPDATE jobs SET status = 'interrupted', reason_code = 'interrupted', reason_message = ?,
                        finished_at = ?
                    WHERE id = ? AND status = 'admitted'
                    """
            ).execute(arguments: [note, Timestamp.string(now), job.job])
            guard db.changesCount == 1 else { return nil }
            let receipt = try Self.append(
                db, .jobInterrupted, at: now, principal: job.principal, dataset: job.dataset, job: job.job,
                detail: ["runner": job.runner, "admittedAt": job.admittedAt, "deadline": job.deadline, "note": note]
            ).receipt
            try Self.keep(receipt, of: job.job, db)
            return receipt
        }
    }
}

extension AuditEvent {
    var receipt: Receipt { Receipt(index: index, hash: hash) }
}

struct JobRefusedDetail: Encodable {
    var model: String?
    var datasetVersion: String?
    var reason: String
    var message: String
    var resultHash: String?
}

struct JobAdmittedDetail: Encodable {
    var model: String
    var datasetVersion: String
    var policyHash: String
    var quotaUsed: Int
    var quota: Int
    /// On a dp dataset: the ε debited, the agreement it came from, and what its allocation and
    /// the dataset's cap have spent with it (decimal text, exact).
    var epsilon: String?
    var agreement: String?
    var agreementEpsilonSpent: String?
    var datasetEpsilonSpent: String?
    /// The released dp job whose answer this one repeats, at no cost.
    var repeatOf: String?
}

struct JobFinishedDetail: Encodable {
    var status: String
    var reason: String?
    var verdict: String?
    var cellsReleased: Int?
    var cellsSuppressed: Int?
    var rowsScanned: Int?
    var cpuSeconds: Double?
    var wallSeconds: Double?
    var peakMemoryBytes: Int?
    var resultHash: String?
    /// Set only when the job was not `admitted` when it finished (e.g. wrongly marked interrupted).
    var previousStatus: String?
    /// ε given back: the job failed before its worker read any data.
    var epsilonRefunded: String?
}
