import ModelgateCore

/// Everything the gateway records: the catalog of dataset and policy versions, jobs and their
/// usage, daily quotas, and the hash-chained audit log.
///
/// The gateway sees only this protocol and the plain records beside it, never a database type,
/// so that a PostgreSQL store can stand beside ``SQLiteStore`` for multi-node deployments. Every
/// method that writes appends its audit events in the same transaction as the rows they describe:
/// a record without its event, or an event without its record, cannot exist.
package protocol GatewayStore: AccessStore {
    /// What the store is (`sqlite`, `postgresql`), for `/health` and the logs.
    var kind: String { get }

    /// Asks the store for one trivial answer; throws when it cannot give one (`/health`).
    func ping() throws

    /// Records a dataset version and the policy it was ingested under, if not already known;
    /// appends `policy_loaded` for a policy text not seen before and `dataset_ingested` for a new
    /// version. Returns the events appended (none when both were known).
    @discardableResult
    func recordDatasetVersion(_ version: DatasetVersionRecord, by principal: String) throws -> [AuditEvent]

    /// Records a policy text loaded for a dataset version already ingested (a reload of the
    /// policies folder): `policy_loaded`, and the version under that policy. Nil when known.
    /// `weakened` names what the new policy allows that the last did not (confirmed by `principal`).
    func recordPolicyReload(_ version: DatasetVersionRecord, by principal: String, weakened: [String]) throws
        -> AuditEvent?

    /// The policy texts a dataset has had, in the order they were loaded.
    func policyHistory(of dataset: String) throws -> [(loadedAt: String, text: String)]

    /// Records a job refused before it ran (`job_refused`).
    func recordRefusal(_ refusal: JobRefusal) throws -> Receipt

    /// Admits a job if the researcher's daily quota on the dataset allows, in one transaction:
    /// counts it against the quota, records it as admitted (`job_admitted`), and records the
    /// dataset version if it is new. Over quota, records the refusal instead.
    func admit(_ admission: JobAdmission) throws -> AdmissionDecision

    /// Claims `key` (a client's `Idempotency-Key`) for `principal`'s request (its hash) as job
    /// `job`; or says which job an earlier request with that key became, and whether it was the
    /// same request.
    func claimIdempotencyKey(_ key: String, principal: String, job: String, request: String) throws -> IdempotencyClaim

    /// The ε spent on a dataset in privacy mode dp (in total and by agreement) and the
    /// allocations its owners set.
    func privacyAccount(dataset: String) throws -> PrivacyAccount

    /// Records how an admitted job ended (`job_finished`).
    func finish(_ completion: JobCompletion) throws -> Receipt

    /// Records how an admitted job ended, decided with the release ledger of `key` in view, in one
    /// transaction that no other job's ledger decision can interleave with: `decide` gets the
    /// ledger's entries after generation `known` (those the caller has not seen), and returns the
    /// end to record with the entry to add, if any.
    func finish(
        _ job: String, ledger key: LedgerKey, after known: Int, _ decide: ([LedgerEntry]) throws -> LedgerDecision
    ) throws -> Receipt

    /// A dataset version's ledger entries after generation `known`, in order.
    func ledgerEntries(_ key: LedgerKey, after known: Int) throws -> [LedgerEntry]

    /// Jobs admitted and not finished: running now, or lost with the process that ran them.
    func unfinishedJobs() throws -> [UnfinishedJob]

    /// Marks an unfinished job `interrupted` (`job_interrupted`); nil if it finished meanwhile.
    func markInterrupted(_ job: UnfinishedJob, note: String) throws -> Receipt?

    /// Extends the leases of `jobs` that `runner` still holds (admitted, or queued and claimed by
    /// it) to `seconds` from now; how many it held.
    func renewLeases(runner: String, jobs: [String], seconds: Int) throws -> Int

    /// Marks jobs whose lease expired `interrupted` (`job_interrupted`), taking their lease: at
    /// most `limit`, skipping any another gateway is marking at the same moment. Returns them.
    func interruptExpiredLeases(note: String, limit: Int) throws -> [UnfinishedJob]

    /// Queues an asynchronous job, unless `capacity` jobs wait (or run before admission) already,
    /// or `perPrincipal` of its principal's. Throws ``QueuedJob/Refusal``.
    func enqueue(_ job: QueuedJob, capacity: Int, perPrincipal: Int) throws

    /// Claims up to `limit` queued jobs for `runner`, for `seconds` (renewed with its job
    /// leases): jobs no one holds, or whose holder's claim expired; oldest first; skipping any
    /// another gateway is claiming at the same moment.
    func claimQueued(runner: String, seconds: Int, limit: Int) throws -> [QueuedJob]

    /// Ends a queued job that did not become a job of its own (answered by another, or failed
    /// before it was recorded). Of a principal's ended ones, the newest `keep` are kept.
    func endQueued(_ id: String, answeredBy: String?, failure: QueuedJob.Failure?, keep: Int) throws

    /// A queued job, waiting, running before admission or ended; nil once admitted or refused
    /// (the job itself is then in the store), or never queued.
    func queuedJob(_ id: String) throws -> QueuedJob?

    /// The event at `index`, if there is one.
    func event(at index: Int) throws -> AuditEvent?

    /// Calls `body` with every event the filter selects, in index order, without loading the
    /// log into memory.
    func forEachEvent(_ filter: AuditFilter, _ body: (AuditEvent) throws -> Void) throws

    /// Verifies the whole chain from event 1; `progress` gets the count verified so far.
    func verifyChain(progress: ((Int) -> Void)?) throws -> ChainVerification

    /// The newest jobs on any of `datasets`, everyone's (an owner's view of its datasets' use).
    func jobs(datasets: [String], limit: Int) throws -> [StoredJob]

    /// The yearly evaluation view of recorded jobs.
    func usageReport(_ scope: UsageReport.Scope) throws -> UsageReport
}

/// What claiming an idempotency key found.
package enum IdempotencyClaim: Sendable, Equatable {
    /// The key is new: this request is its first.
    case claimed
    /// An earlier request used the key and became `job`.
    case earlier(job: String, sameRequest: Bool)
}
