/// How one column may be used, and what its values look like.
package struct ColumnPolicy: Sendable, Equatable, Codable {
    package var name: String
    package var columnClass: ColumnClass
    package var type: ColumnType
    /// Declared bounds of an integer or number column; public knowledge, used for histogram bins
    /// and checked at ingest.
    package var min: Double?
    package var max: Double?
    package var description: String?
    /// The unit its values are in (`yuan per year`, `years`), for the codebook.
    package var unit: String?
    /// A category column's levels as the owner declares them: public, so a table over them shows
    /// every level (a rare value does not show that it exists by appearing) and noise can be added
    /// to every cell. Nil when undeclared.
    package var levels: [String]?

    package init(
        name: String, columnClass: ColumnClass, type: ColumnType, min: Double? = nil, max: Double? = nil,
        description: String? = nil, unit: String? = nil, levels: [String]? = nil
    ) {
        self.unit = unit
        self.name = name
        self.columnClass = columnClass
        self.type = type
        self.min = min
        self.max = max
        self.description = description
        self.levels = levels
    }
}

/// The statistical-disclosure class of a column ("safe data").
package enum ColumnClass: String, Sendable, Codable, CaseIterable {
    /// Directly identifies a person; never usable, and never stored by ingest.
    case identifier
    /// Could identify a person in combination; usable anywhere, outputs are checked.
    case quasiIdentifier = "quasi-identifier"
    /// Confidential attribute; may be measured, never used to group or filter.
    case sensitive
    case ordinary

    /// Whether the column may define groups (table dimensions) or filters.
    package var mayGroupOrFilter: Bool { self == .quasiIdentifier || self == .ordinary }
    /// Whether the column may be measured or used in a model at all.
    package var mayBeMeasured: Bool { self != .identifier }
}

/// The type of a column's values.
package enum ColumnType: String, Sendable, Codable, CaseIterable {
    case string, category, integer, number, boolean

    /// Integer, number and boolean columns have numeric values (boolean as 0 or 1).
    package var isNumeric: Bool { self == .integer || self == .number || self == .boolean }
    /// Category, integer and boolean columns have discrete levels that can form groups.
    package var isDiscrete: Bool { self == .category || self == .integer || self == .boolean }
}
