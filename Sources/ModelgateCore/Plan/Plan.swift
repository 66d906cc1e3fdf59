/// An admitted job: a spec checked against its policy, with every column resolved and typed.
///
/// A plan is all an estimator needs besides the column data. It is `Codable` so that it can cross
/// a pipe to a worker process unchanged.
package struct Plan: Sendable, Equatable, Codable {
    package var dataset: String
    /// The task, with histogram edges always resolved.
    package var task: ModelTask
    package var filters: [PlannedFilter]
    /// Every column the estimator reads (task columns and filter columns), with its type.
    package var columns: [PlannedColumn]
    /// Largest number of output cells or regression terms the estimator may build.
    package var maximumCells: Int

    package init(
        dataset: String, task: ModelTask, filters: [PlannedFilter], columns: [PlannedColumn], maximumCells: Int
    ) {
        self.dataset = dataset
        self.task = task
        self.filters = filters
        self.columns = columns
        self.maximumCells = maximumCells
    }

    package var model: ModelKind { task.kind }

    package func column(named name: String) -> PlannedColumn? {
        columns.first { $0.name == name }
    }
}

package struct PlannedColumn: Sendable, Equatable, Codable {
    package var name: String
    package var type: ColumnType
    /// The policy's declared bounds (integer and number columns).
    package var min: Double?
    package var max: Double?
    /// In privacy mode dp, a category dimension's levels as the policy declares them: the worker
    /// tabulates over these, never over the levels the data holds.
    package var levels: [String]?

    package init(name: String, type: ColumnType, min: Double? = nil, max: Double? = nil, levels: [String]? = nil) {
        self.name = name
        self.type = type
        self.min = min
        self.max = max
        self.levels = levels
    }
}

extension Plan {
    /// The plan with its category dimensions over `dimensions`' declared levels, and only the
    /// rows whose value is declared: what the worker computes then depends on the data's values,
    /// never on which levels the data holds (privacy mode dp).
    package func declaring(_ dimensions: [TableDimension]) -> Plan {
        var plan = self
        for dimension in dimensions {
            guard let index = plan.columns.firstIndex(where: { $0.name == dimension.name }),
                plan.columns[index].type == .category
            else { continue }
            plan.columns[index].levels = dimension.levels
            plan.filters.append(
                PlannedFilter(column: dimension.name, op: .isIn, operand: .levels(dimension.levels)))
        }
        return plan
    }
}

/// A filter whose value was checked against its column's type.
package struct PlannedFilter: Sendable, Equatable, Codable {
    package var column: String
    package var op: FilterOperator
    package var operand: FilterOperand
    package init(column: String, op: FilterOperator, operand: FilterOperand) {
        self.column = column
        self.op = op
        self.operand = operand
    }
}

package enum FilterOperand: Sendable, Equatable, Codable {
    /// Values of an integer, number or boolean (0 or 1) column.
    case numbers([Double])
    /// Levels of a category column.
    case levels([String])
}
