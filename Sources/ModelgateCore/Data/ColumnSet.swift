/// The columns a job may read, by name, all of one row count.
public struct ColumnSet: Sendable {
    public let rowCount: Int
    private let columns: [String: ColumnVector]

    public init(rowCount: Int, columns: [String: ColumnVector]) {
        self.rowCount = rowCount
        self.columns = columns
    }

    public subscript(name: String) -> ColumnVector? { columns[name] }
}
