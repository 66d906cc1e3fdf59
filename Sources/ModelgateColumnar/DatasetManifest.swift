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
