/// The answer to one job, as the researcher receives it (the public result contract).
package struct JobResult: Sendable, Equatable, Codable {
    package var status: Status
    package var job: String
    package var model: ModelKind?
    package var dataset: DatasetReference?
    package var result: ReleasedOutput?
    package var disclosure: DisclosureReport?
    package var usage: Usage?
    /// Why the job was refused or failed.
    package var reason: Refusal?
    /// The job's event in the audit log; nil only when no store recorded the job.
    package var receipt: Receipt?
    /// On a dataset in privacy mode `dp`: how the figures were protected and how far off they may be.
    package var privacy: PrivacyReport?
    /// On a dp dataset: the earlier job whose noisy answer this repeats, exactly, at no cost
    /// (the same spec on the same dataset version).
    package var repeatOf: String?
    /// The spec that produced this result, with the defaults applied written out; nil when the
    /// spec could not be read.
    package var spec: SpecRecord?

    /// `released`: results passed the output checks; `refused`: admission or the output checks
    /// said no; `failed`: the worker did not finish (a limit, a sandbox violation, a crash).
    package enum Status: String, Sendable, Codable { case released, refused, failed }

    package init(
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
package struct DatasetReference: Sendable, Equatable, Codable {
    package var id: String
    /// Hash of the dataset's content, so a result can be tied to exactly the data it came from.
    package var version: String
    package var citation: String

    package init(id: String, version: String, citation: String) {
        self.id = id
        self.version = version
        self.citation = citation
    }
}

/// What a job consumed. Row counts of the selected population are not here: with the released
/// cells they would give away the total of the suppressed ones.
package struct Usage: Sendable, Equatable, Codable {
    /// Rows of the dataset read (its size, which is public); nil when the worker did not finish.
    package var rowsScanned: Int?
    /// Selected rows dropped for a missing value in a used column; nil when withheld because it
    /// is below the disclosure threshold (or the job was refused).
    package var rowsDropped: Int?
    /// CPU time (user and system) of the worker that ran the job.
    package var cpuSeconds: Double
    /// Wall-clock time of the worker, from spawn to exit.
    package var wallSeconds: Double
    /// Peak resident memory of the worker, mapped column pages included.
    package var peakMemoryBytes: Int

    package init(rowsScanned: Int?, rowsDropped: Int?, cpuSeconds: Double, wallSeconds: Double, peakMemoryBytes: Int) {
        self.rowsScanned = rowsScanned
        self.rowsDropped = rowsDropped
        self.cpuSeconds = cpuSeconds
        self.wallSeconds = wallSeconds
        self.peakMemoryBytes = peakMemoryBytes
    }
}
