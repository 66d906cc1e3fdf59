/// A structured row filter: `{ column: age, op: ">=", value: 18 }`. Never free-form code.
package struct Filter: Sendable, Equatable, Codable {
    package var column: String
    package var op: FilterOperator
    /// The value as written: one scalar, or a list for `in`. Typed against the column at admission.
    package var value: FilterValue

    package init(column: String, op: FilterOperator, value: FilterValue) {
        self.column = column
        self.op = op
        self.value = value
    }
}

package enum FilterOperator: String, Sendable, Codable, CaseIterable {
    case equal = "="
    case notEqual = "!="
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
    case isIn = "in"

    /// Whether the operator compares order, which a category does not have.
    package var isOrdering: Bool {
        switch self {
        case .less, .lessOrEqual, .greater, .greaterOrEqual: return true
        case .equal, .notEqual, .isIn: return false
        }
    }
}

package enum FilterValue: Sendable, Equatable, Codable {
    case one(String)
    case list([String])

    package var items: [String] {
        switch self {
        case .one(let value): return [value]
        case .list(let values): return values
        }
    }
}
