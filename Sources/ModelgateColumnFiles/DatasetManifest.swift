import ModelgateCore

/// What an ingested dataset version holds: its columns, how each is stored, and its version.
///
/// Written last by ingest, so a version folder without a manifest is never read.
public struct DatasetManifest: Sendable, Equatable, Codable {
    public var id: String
    /// SHA-256 (hex) of the stored content: column names, types, levels and bytes, in order.
    public var version: String
    public var rowCount: Int
    public var columns: [StoredColumn]
    /// SHA-256 (hex) of the policy text the dataset was ingested under.
    public var policySHA256: String
    /// When it was ingested, ISO 8601.
    public var ingestedAt: String
    /// File name of the CSV it came from.
    public var source: String

    public init(
        id: String, version: String, rowCount: Int, columns: [StoredColumn], policySHA256: String, ingestedAt: String,
        source: String
    ) {
        self.id = id
        self.version = version
        self.rowCount = rowCount
        self.columns = columns
        self.policySHA256 = policySHA256
        self.ingestedAt = ingestedAt
        self.source = source
    }

    public func column(named name: String) -> StoredColumn? {
        columns.first { $0.name == name }
    }
}

/// One column's file and encoding.
public struct StoredColumn: Sendable, Equatable, Codable {
    public var name: String
    public var type: ColumnType
    public var encoding: Encoding
    /// Bytes per value.
    public var width: Int
    /// Category levels in code order (sorted); empty for other types.
    public var levels: [String]
    /// Rows with no value.
    public var missing: Int
    public var file: String
    /// Validity bitmap file (bit set = value present); nil when nothing is missing.
    public var validityFile: String?

    public init(
        name: String, type: ColumnType, encoding: Encoding, width: Int, levels: [String], missing: Int, file: String,
        validityFile: String?
    ) {
        self.name = name
        self.type = type
        self.encoding = encoding
        self.width = width
        self.levels = levels
        self.missing = missing
        self.file = file
        self.validityFile = validityFile
    }

    public enum Encoding: String, Sendable, Codable {
        /// Unsigned dictionary codes into `levels`.
        case codes
        /// Signed little-endian integers.
        case integers
        /// IEEE 754 doubles.
        case numbers
        /// One byte, 0 or 1.
        case booleans
    }
}
