/// An admitted job: a spec checked against its policy, with every column resolved and typed.
///
/// A plan is all an estimator needs besides the column data. It is `Codable` so that it can cross
/// a pipe to a worker process unchanged.
public struct Plan: Sendable, Equatable, Codable {
    public var dataset: String
    /// The task, with histogram edges always resolved.
    public var task: ModelTask
    public var filters: [PlannedFilter]
    /// Every column the estimator reads (task columns and filter columns), with its type.
    public var columns: [PlannedColumn]
    /// Largest number of output cells or regression terms the estimator may build.
    public var maximumCells: Int

    public init(
        dataset: String, task: ModelTask, filters: [PlannedFilter], columns: [PlannedColumn], maximumCells: Int
    ) {
        self.dataset = dataset
        self.task = task
        self.filters = filters
        self.columns = columns
        self.maximumCells = maximumCells
    }

    public var model: ModelKind { task.kind }

    public func column(named name: String) -> PlannedColumn? {
        columns.first { $0.name == name }
    }
}

public struct PlannedColumn: Sendable, Equatable, Codable {
    public var name: String
    public var type: ColumnType
    /// The policy's declared bounds (integer and number columns).
    public var min: Double?
    public var max: Double?

    public init(name: String, type: ColumnType, min: Double? = nil, max: Double? = nil) {
        self.name = name
        self.type = type
        self.min = min
        self.max = max
    }
}

/// A filter whose value was checked against its column's type.
public struct PlannedFilter: Sendable, Equatable, Codable {
    public var column: String
    public var op: FilterOperator
    public var operand: FilterOperand
    public init(column: String, op: FilterOperator, operand: FilterOperand) {
        self.column = column
        self.op = op
        self.operand = operand
    }
}

public enum FilterOperand: Sendable, Equatable, Codable {
    /// Values of an integer, number or boolean (0 or 1) column.
    case numbers([Double])
    /// Levels of a category column.
    case levels([String])
}
