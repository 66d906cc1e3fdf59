/// The columns a job may read, by name, all of one row count.
package struct ColumnSet: Sendable {
    package let rowCount: Int
    private let columns: [String: ColumnVector]

    package init(rowCount: Int, columns: [String: ColumnVector]) {
        self.rowCount = rowCount
        self.columns = columns
    }

    package subscript(name: String) -> ColumnVector? { columns[name] }
}
