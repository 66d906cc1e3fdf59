/// A dataset version as the catalog records it, with the policy text it was ingested under.
package struct DatasetVersionRecord: Sendable, Equatable {
    package var id: String
    package var title: String
    /// The public body that opens the dataset.
    package var owner: String
    /// SHA-256 of the stored content (the manifest's `version`).
    package var version: String
    package var rowCount: Int
    /// SHA-256 (hex) of `policyText`.
    package var policyHash: String
    package var policyText: String
    /// When the version was ingested, as the manifest says.
    package var ingestedAt: String
    /// The file it came from.
    package var source: String

    package init(
        id: String, title: String, owner: String, version: String, rowCount: Int, policyHash: String,
        policyText: String, ingestedAt: String, source: String
    ) {
        self.id = id
        self.title = title
        self.owner = owner
        self.version = version
        self.rowCount = rowCount
        self.policyHash = policyHash
        self.policyText = policyText
        self.ingestedAt = ingestedAt
        self.source = source
    }
}
