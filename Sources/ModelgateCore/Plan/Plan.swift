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
    /// Privacy mode dp with a unit of several rows: the rows each unit keeps at most.
    package var unit: PrivacyUnit?

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

    /// Whether the worker answers with fixed-point sums (privacy mode dp, beyond counts).
    package var readsFixedPoint: Bool { columns.contains { $0.fixedPoint != nil } }
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
    /// In privacy mode dp, how a measured column's values are read: clamped to the policy's
    /// bounds, in whole quanta; then the worker answers with ``RawSums``.
    package var fixedPoint: FixedPoint?

    package init(
        name: String, type: ColumnType, min: Double? = nil, max: Double? = nil, levels: [String]? = nil,
        fixedPoint: FixedPoint? = nil
    ) {
        self.name = name
        self.type = type
        self.min = min
        self.max = max
        self.levels = levels
        self.fixedPoint = fixedPoint
    }
}

extension Plan {
    /// The plan as privacy mode dp runs it: category dimensions over the declared levels, and
    /// only the rows whose value is declared (an integer dimension's within its bounds), so that what the worker computes depends on the
    /// data's values, never on which levels the data holds; and the measured columns read in
    /// fixed point (see ``PrivacyTerms/fixedPoints``).
    package func reading(_ terms: PrivacyTerms) -> Plan {
        var plan = self
        if let unit = terms.unit {
            plan.unit = unit
            plan.columns.append(PlannedColumn(name: unit.column, type: .category))
        }
        for (name, fixedPoint) in terms.fixedPoints {
            guard let index = plan.columns.firstIndex(where: { $0.name == name }) else { continue }
            plan.columns[index].fixedPoint = fixedPoint
        }
        for dimension in terms.dimensions ?? [] {
            guard let index = plan.columns.firstIndex(where: { $0.name == dimension.name }) else { continue }
            switch plan.columns[index].type {
            case .category:
                plan.columns[index].levels = dimension.levels
                plan.filters.append(
                    PlannedFilter(column: dimension.name, op: .isIn, operand: .levels(dimension.levels)))
            case .integer:
                // Ingest keeps values within the bounds; were one outside, it is in no cell.
                guard let first = dimension.levels.first.flatMap(Double.init),
                    let last = dimension.levels.last.flatMap(Double.init)
                else { continue }
                plan.filters += [
                    PlannedFilter(column: dimension.name, op: .greaterOrEqual, operand: .numbers([first])),
                    PlannedFilter(column: dimension.name, op: .lessOrEqual, operand: .numbers([last])),
                ]
            default: continue
            }
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
