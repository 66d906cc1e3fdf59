import ModelgateCore

/// How an admitted job ended.
public struct JobCompletion: Sendable {
    public var job: String
    /// `released`, `refused` (at output checking) or `failed` (in the worker).
    public var status: JobStatus
    public var reason: Refusal?
    /// The disclosure verdict: `pass`, `suppressed` or `refused`; nil when the worker failed.
    public var verdict: String?
    /// Values in the released output and how many of them were suppressed.
    public var cellsReleased: Int?
    public var cellsSuppressed: Int?
    /// The worker's figures; nil fields where it did not get that far.
    public var usage: Usage?
    /// SHA-256 (hex) of the result document as released, without its receipt.
    public var resultHash: String?

    /// The document itself (JSON, without its receipt), for the researcher to fetch again.
    public var document: String?

    public init(
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
public enum JobStatus: String, Sendable, Codable, CaseIterable {
    /// Admitted, worker running (or its process lost: see ``UnfinishedJob``).
    case admitted
    case released, refused, failed
    /// Found admitted at start-up with its process gone; it will never finish.
    case interrupted
}
