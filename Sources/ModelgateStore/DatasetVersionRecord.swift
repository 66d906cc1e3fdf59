/// A dataset version as the catalog records it, with the policy text it was ingested under.
public struct DatasetVersionRecord: Sendable, Equatable {
    public var id: String
    public var title: String
    /// The public body that opens the dataset.
    public var owner: String
    /// SHA-256 of the stored content (the manifest's `version`).
    public var version: String
    public var rowCount: Int
    /// SHA-256 (hex) of `policyText`.
    public var policyHash: String
    public var policyText: String
    /// When the version was ingested, as the manifest says.
    public var ingestedAt: String
    /// The file it came from.
    public var source: String

    public init(
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
