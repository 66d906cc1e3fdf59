/// The answer to one job, as the researcher receives it (the public result contract).
public struct JobResult: Sendable, Equatable, Codable {
    public var status: Status
    public var job: String
    public var model: ModelKind?
    public var dataset: DatasetReference?
    public var result: ReleasedOutput?
    public var disclosure: DisclosureReport?
    public var usage: Usage?
    /// Why the job was refused or failed.
    public var reason: Refusal?
    /// The job's event in the audit log; nil only when no store recorded the job.
    public var receipt: Receipt?

    /// `released`: results passed the output checks; `refused`: admission or the output checks
    /// said no; `failed`: the worker did not finish (a limit, a sandbox violation, a crash).
    public enum Status: String, Sendable, Codable { case released, refused, failed }

    public init(
        status: Status, job: String, model: ModelKind?, dataset: DatasetReference?, result: ReleasedOutput? = nil,
        disclosure: DisclosureReport? = nil, usage: Usage? = nil, reason: Refusal? = nil, receipt: Receipt? = nil
    ) {
        self.status = status
        self.job = job
        self.model = model
        self.dataset = dataset
        self.result = result
        self.disclosure = disclosure
        self.usage = usage
        self.reason = reason
        self.receipt = receipt
    }
}

/// Which data a result came from, and how to cite it.
public struct DatasetReference: Sendable, Equatable, Codable {
    public var id: String
    /// Hash of the dataset's content, so a result can be tied to exactly the data it came from.
    public var version: String
    public var citation: String

    public init(id: String, version: String, citation: String) {
        self.id = id
        self.version = version
        self.citation = citation
    }
}

/// What a job consumed. Row counts of the selected population are not here: with the released
/// cells they would give away the total of the suppressed ones.
public struct Usage: Sendable, Equatable, Codable {
    /// Rows of the dataset read (its size, which is public); nil when the worker did not finish.
    public var rowsScanned: Int?
    /// Selected rows dropped for a missing value in a used column; nil when withheld because it
    /// is below the disclosure threshold (or the job was refused).
    public var rowsDropped: Int?
    /// CPU time (user and system) of the worker that ran the job.
    public var cpuSeconds: Double
    /// Wall-clock time of the worker, from spawn to exit.
    public var wallSeconds: Double
    /// Peak resident memory of the worker, mapped column pages included.
    public var peakMemoryBytes: Int

    public init(rowsScanned: Int?, rowsDropped: Int?, cpuSeconds: Double, wallSeconds: Double, peakMemoryBytes: Int) {
        self.rowsScanned = rowsScanned
        self.rowsDropped = rowsDropped
        self.cpuSeconds = cpuSeconds
        self.wallSeconds = wallSeconds
        self.peakMemoryBytes = peakMemoryBytes
    }
}
