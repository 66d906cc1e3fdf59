/// How one column may be used, and what its values look like.
public struct ColumnPolicy: Sendable, Equatable, Codable {
    public var name: String
    public var columnClass: ColumnClass
    public var type: ColumnType
    /// Declared bounds of an integer or number column; public knowledge, used for histogram bins
    /// and checked at ingest.
    public var min: Double?
    public var max: Double?
    public var description: String?

    public init(
        name: String, columnClass: ColumnClass, type: ColumnType, min: Double? = nil, max: Double? = nil,
        description: String? = nil
    ) {
        self.name = name
        self.columnClass = columnClass
        self.type = type
        self.min = min
        self.max = max
        self.description = description
    }
}

/// The statistical-disclosure class of a column ("safe data").
public enum ColumnClass: String, Sendable, Codable, CaseIterable {
    /// Directly identifies a person; never usable, and never stored by ingest.
    case identifier
    /// Could identify a person in combination; usable anywhere, outputs are checked.
    case quasiIdentifier = "quasi-identifier"
    /// Confidential attribute; may be measured, never used to group or filter.
    case sensitive
    case ordinary

    /// Whether the column may define groups (table dimensions) or filters.
    public var mayGroupOrFilter: Bool { self == .quasiIdentifier || self == .ordinary }
    /// Whether the column may be measured or used in a model at all.
    public var mayBeMeasured: Bool { self != .identifier }
}

/// The type of a column's values.
public enum ColumnType: String, Sendable, Codable, CaseIterable {
    case string, category, integer, number, boolean

    /// Integer, number and boolean columns have numeric values (boolean as 0 or 1).
    public var isNumeric: Bool { self == .integer || self == .number || self == .boolean }
    /// Category, integer and boolean columns have discrete levels that can form groups.
    public var isDiscrete: Bool { self == .category || self == .integer || self == .boolean }
}
