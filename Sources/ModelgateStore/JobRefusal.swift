import ModelgateCore

/// A job refused before it ran: its spec did not parse, its dataset is unknown, or the policy
/// said no. Recorded because refusals are exactly what an auditor looks for.
package struct JobRefusal: Sendable {
    package var job: String
    package var principal: String
    /// The dataset the spec named, as written (it may not exist).
    package var dataset: String?
    package var datasetVersion: String?
    package var model: String?
    package var reason: Refusal
    /// SHA-256 (hex) of the refusal document as the researcher receives it, without its receipt.
    package var resultHash: String?

    /// The document itself (JSON, without its receipt), for the researcher to fetch again.
    package var document: String?

    package init(
        job: String, principal: String, dataset: String?, datasetVersion: String?, model: String?, reason: Refusal,
        resultHash: String? = nil, document: String? = nil
    ) {
        self.job = job
        self.principal = principal
        self.dataset = dataset
        self.datasetVersion = datasetVersion
        self.model = model
        self.reason = reason
        self.resultHash = resultHash
        self.document = document
    }
}
