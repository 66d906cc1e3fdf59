import ModelgateCore

/// What an ingested dataset version holds: its columns, how each is stored, and its version.
///
/// Written last by ingest, so a version folder without a manifest is never read.
package struct DatasetManifest: Sendable, Equatable, Codable {
    package var id: String
    /// SHA-256 (hex) of the stored content: column names, types, levels and bytes, in order.
    package var version: String
    package var rowCount: Int
    package var columns: [StoredColumn]
    /// SHA-256 (hex) of the policy text the dataset was ingested under.
    package var policySHA256: String
    /// When it was ingested, ISO 8601.
    package var ingestedAt: String
    /// File name of the CSV it came from.
    package var source: String

    package init(
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

    package func column(named name: String) -> StoredColumn? {
        columns.first { $0.name == name }
    }
}

/// One column's file and encoding.
package struct StoredColumn: Sendable, Equatable, Codable {
    package var name: String
    package var type: ColumnType
    package var encoding: Encoding
    /// Bytes per value.
    package var width: Int
    /// Category levels in code order (sorted); empty for other types.
    package var levels: [String]
    /// Rows with no value.
    package var missing: Int
    package var file: String
    /// Validity bitmap file (bit set = value present); nil when nothing is missing.
    package var validityFile: String?

    package init(
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

    package enum Encoding: String, Sendable, Codable {
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
