import ModelgateCore

/// How an admitted job ended.
package struct JobCompletion: Sendable {
    package var job: String
    /// `released`, `refused` (at output checking) or `failed` (in the worker).
    package var status: JobStatus
    package var reason: Refusal?
    /// The disclosure verdict: `pass`, `suppressed` or `refused`; nil when the worker failed.
    package var verdict: String?
    /// Values in the released output and how many of them were suppressed.
    package var cellsReleased: Int?
    package var cellsSuppressed: Int?
    /// The worker's figures; nil fields where it did not get that far.
    package var usage: Usage?
    /// SHA-256 (hex) of the result document as released, without its receipt.
    package var resultHash: String?

    /// The document itself (JSON, without its receipt), for the researcher to fetch again.
    package var document: String?
    /// The job failed before its worker read any data: the ε debited at admission goes back to
    /// the dataset's cap and the agreement's allocation.
    package var refund = false
    /// The lease the job was admitted with (its runner): presented, the end is recorded only if
    /// the job still holds that lease, so that a job another gateway found lost and marked
    /// interrupted never ends twice. Nil: the job may also end after it was marked interrupted.
    package var lease: String?

    package init(
        job: String, status: JobStatus, reason: Refusal? = nil, verdict: String? = nil, cellsReleased: Int? = nil,
        cellsSuppressed: Int? = nil, usage: Usage? = nil, resultHash: String? = nil, document: String? = nil
    ) {
        self.job = job
        self.status = status
        self.reason = reason
        self.verdict = verdict
        self.cellsReleased = cellsReleased
        self.cellsSuppressed = cellsSuppressed
        self.usage = usage
        self.resultHash = resultHash
        self.document = document
    }
}

/// Where a recorded job stands.
package enum JobStatus: String, Sendable, Codable, CaseIterable {
    /// Admitted, worker running (or its process lost: see ``UnfinishedJob``).
    case admitted
    case released, refused, failed
    /// Found admitted at start-up with its process gone; it will never finish.
    case interrupted
}
