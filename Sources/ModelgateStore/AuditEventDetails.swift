import Foundation
import ModelgateCore

// The details of the events both stores append, made in one place so that the same job gives the
// same event (and hash) whichever store records it; and the refusals admission words.

extension AuditEvent {
    package var receipt: Receipt { Receipt(index: index, hash: hash) }

    /// Refuses a field with a NUL: SQLite text ends there as GRDB writes it (the event would be
    /// stored cut short and never verify again), and PostgreSQL text cannot hold one.
    package static func checkFields(_ fields: String?...) throws {
        for case let field? in fields where field.utf8.contains(0) {
            throw ModelgateError(
                "invalid_event", "an audit event field holds a NUL character: \(field.debugDescription)")
        }
    }
}

extension JobRefusal {
    package var detail: some Encodable {
        JobRefusedDetail(
            model: model, datasetVersion: datasetVersion, reason: reason.code.rawValue, message: reason.message,
            resultHash: resultHash)
    }
}

extension JobAdmission {
    /// `spent`: what the dataset's cap and the agreement's allocation have spent with this job's
    /// debit; `repeatOf`: the released job whose answer it repeats at no cost.
    package func detail(
        quotaUsed: Int, spent: (dataset: MicroEpsilon, agreement: MicroEpsilon)?, repeatOf: String?
    ) -> some Encodable {
        JobAdmittedDetail(
            model: model, datasetVersion: dataset.version, policyHash: dataset.policyHash, quotaUsed: quotaUsed,
            quota: jobsPerDay, epsilon: repeatOf == nil ? debit.map { "\($0.epsilon)" } : nil,
            agreement: repeatOf == nil ? debit?.agreement : nil,
            agreementEpsilonSpent: debit?.agreement == nil ? nil : spent.map { "\($0.agreement)" },
            datasetEpsilonSpent: spent.map { "\($0.dataset)" }, repeatOf: repeatOf)
    }

    /// The refusal of a researcher who has run `used` jobs today on the dataset.
    package func quotaRefusal(used: Int, at now: Date) -> Refusal {
        Refusal(
            .quotaExceeded,
            "'\(principal)' has run \(used) of \(jobsPerDay) jobs allowed per day on '\(dataset.id)'; the quota resets at \(Timestamp.string(Timestamp.nextMidnight(after: now)))"
        )
    }
}

extension BudgetDebit {
    /// Debits the dataset's cap and the agreement's allocation, both or neither, inside a store's
    /// write transaction, with its statements: `spent` reads what a budget (agreement `""`: the
    /// dataset's total) has spent, `allocation` an owner's allocation for the agreement (which
    /// takes the policy's place), `add` adds ε to a budget in one conditional statement that
    /// applies only while the sum stays within the cap given, and says whether it applied.
    /// Returns what each has spent after, or the refusal that names the budget used up.
    package func apply(
        spent: (String) throws -> MicroEpsilon, allocation: (String) throws -> MicroEpsilon?,
        add: (String, MicroEpsilon) throws -> Bool
    ) throws -> Result<(dataset: MicroEpsilon, agreement: MicroEpsilon), Refusal> {
        var budgets = [("the dataset's lifetime ε (all agreements together)", "", datasetCap)]
        if let agreement {
            budgets.append(
                ("agreement \(agreement)'s ε on this dataset", agreement, try allocation(agreement) ?? agreementCap))
        }
        for (scope, agreement, cap) in budgets {
            let before = try spent(agreement)
            guard before + epsilon <= cap else {
                return .failure(
                    Refusal(
                        .privacyBudgetExhausted,
                        "\(scope) is \(cap), of which \(before) is spent; this job asks for \(epsilon). Ask with a "
                            + "smaller epsilon, or ask the data owner about the budget"))
            }
        }
        for (_, agreement, cap) in budgets {
            // Checked above in the same transaction; a miss here would be a bug, and rolls all back.
            guard try add(agreement, cap) else {
                throw ModelgateError("budget_debit_failed", "the ε debit of budget '\(agreement)' did not apply")
            }
        }
        return .success((try spent(""), try agreement.map(spent) ?? .zero))
    }
}

extension JobCompletion {
    /// `previousStatus`: the job's status before (only `interrupted` is shown).
    package func detail(previousStatus: String, epsilonRefunded: String?) -> some Encodable {
        JobFinishedDetail(
            status: status.rawValue, reason: reason?.code.rawValue, verdict: verdict, cellsReleased: cellsReleased,
            cellsSuppressed: cellsSuppressed, rowsScanned: usage?.rowsScanned, cpuSeconds: usage?.cpuSeconds,
            wallSeconds: usage?.wallSeconds, peakMemoryBytes: usage?.peakMemoryBytes, resultHash: resultHash,
            previousStatus: previousStatus == JobStatus.admitted.rawValue ? nil : previousStatus,
            epsilonRefunded: epsilonRefunded)
    }
}

extension JobCompletion {
    /// Why the end of a job could not be recorded: it ended already, or (with a lease) another
    /// gateway found it lost and marked it interrupted.
    package static func notRecordable(_ completion: JobCompletion, previous: String) -> ModelgateError {
        if completion.lease != nil, previous == JobStatus.interrupted.rawValue {
            return ModelgateError(
                "job_lease_lost",
                "job \(completion.job) was marked interrupted after its lease expired (its gateway did not renew it in time); its end is not recorded and its result not released"
            )
        }
        return ModelgateError("job_already_finished", "job \(completion.job) already finished as \(previous)")
    }
}

extension UnfinishedJob {
    package func interruptionDetail(note: String) -> some Encodable {
        ["runner": runner, "admittedAt": admittedAt, "deadline": deadline, "note": note]
    }
}

extension DatasetVersionRecord {
    package var ingestedDetail: some Encodable {
        DatasetIngestedDetail(
            version: version, rows: rowCount, policyHash: policyHash, source: source, ingestedAt: ingestedAt)
    }

    /// `policy_loaded`'s detail; a reload names what the new policy allows that the last did not.
    package func policyLoadedDetail(reloadWeakening weakened: [String]? = nil) -> some Encodable {
        var detail = ["policyHash": policyHash, "owner": owner]
        if let weakened {
            detail["datasetVersion"] = version
            detail["reloaded"] = "true"
            if !weakened.isEmpty { detail["weakened"] = weakened.joined(separator: "; ") }
        }
        return detail
    }
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

struct DatasetIngestedDetail: Encodable {
    var version: String
    var rows: Int
    var policyHash: String
    var source: String
    var ingestedAt: String
}
