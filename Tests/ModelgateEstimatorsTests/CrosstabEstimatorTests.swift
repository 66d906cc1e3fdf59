import ModelgateTestSupport
import Testing

@testable import ModelgateCore

@Suite struct CrosstabEstimatorTests {
    /// Rows 0–2 are A (10, 20, 60); row 3 is filtered out by age; row 4 lacks income and row 5
    /// lacks a district (both dropped); row 6 is C (3). B keeps no rows.
    let columns: [String: ColumnVector] = [
        "district": ColumnVector(categories: ["A", "A", "A", "B", "B", nil, "C"]),
        "income": ColumnVector(numbers: [10, 20, 60, 5, nil, 7, 3]),
        "age": ColumnVector(integers: [30, 40, 50, 20, 25, 35, 70]),
    ]

    func table(_ statistic: String) throws -> (RawTable, RawResult) {
        let raw = try estimate(
            """
            model: crosstab
            dataset: survey
            rows: [district]
            measure: income
            statistic: \(statistic)
            where: [{column: age, op: '>=', value: 25}]
            """, columns)
        guard case .table(let table) = raw.output else { throw Refusal("test", "not a table") }
        return (table, raw)
    }

    @Test func meanPerCellWithDroppedAndFilteredRows() throws {
        let (table, raw) = try table("mean")
        #expect(raw.rowsDropped == 2)
        #expect(raw.rowsUsed == 4)
        #expect(table.dimensions == [TableDimension(name: "district", levels: ["A", "B", "C"])])
        #expect(table.cells.map(\.count) == [3, 0, 1])
        #expect(table.cells[0].value == 30)
        #expect(table.cells[1].value == nil)
        #expect(table.cells[2].value == 3)
        #expect(table.cells[0].contributions?.largest == [60, 20, 10])
        #expect(table.cells[0].contributions?.absoluteSum == 90)
    }

    @Test func sumStdAndMedian() throws {
        #expect(try table("sum").0.cells[0].value == 90)
        // Deviations from 30 are −20, −10, 30: (400 + 100 + 900) / 2 = 700.
        #expect(approximately(try table("std").0.cells[0].value, 700.0.squareRoot()))
        // Three rows are fewer than a quantile's window of ten: no median, never one person's value.
        #expect(try table("median").0.cells[0].value?.isNaN == true)
        #expect(try table("median").0.cells[1].value == nil)
    }

    @Test func twoDimensionsAreRowMajorWithEveryCombination() throws {
        let columns: [String: ColumnVector] = [
            "district": ColumnVector(categories: ["N", "S", "S", "N", "S"]),
            "sector": ColumnVector(categories: ["x", "y", "y", "z", "x"]),
        ]
        let raw = try estimate("model: crosstab\ndataset: survey\nrows: [district]\ncolumns: [sector]", columns)
        guard case .table(let table) = raw.output else { return }
        #expect(table.dimensions.map(\.levels) == [["N", "S"], ["x", "y", "z"]])
        // N: x 1, y 0, z 1; S: x 1, y 2, z 0.
        #expect(table.cells.map(\.count) == [1, 0, 1, 1, 2, 0])
        #expect(table.cells.map(\.value) == [1, 0, 1, 1, 2, 0])
    }

    @Test func integerDimensionHasEveryValueBetweenThePolicyBounds() throws {
        let columns: [String: ColumnVector] = [
            "age": ColumnVector(integers: [40, 20, 40, nil, 20, 30]),
            "district": ColumnVector(categories: ["A", "A", "B", "B", "A", "B"]),
        ]
        let raw = try estimate("model: crosstab\ndataset: survey\nrows: [district]\ncolumns: [age]", columns)
        guard case .table(let table) = raw.output else { return }
        // The policy declares age 0…120: 121 levels whatever the data holds.
        #expect(table.dimensions[1].levels == (0...120).map(String.init))
        let counts = table.cells.map(\.count)
        #expect(counts[20] == 2 && counts[40] == 1 && counts[121 + 30] == 1 && counts[121 + 40] == 1)
        #expect(counts.reduce(0, +) == 5)
        #expect(raw.rowsDropped == 1)
    }

    @Test func tooManyCellsIsRefused() throws {
        var policy = Fixtures.policy
        policy.columns.append(ColumnPolicy(name: "zip", columnClass: .ordinary, type: .integer, min: 0, max: 200_000))
        let columns = ["zip": ColumnVector(integers: Array(0..<100_001))]
        #expect(throws: Refusal.self) {
            _ = try estimate("model: crosstab\ndataset: survey\nrows: [zip]", columns, policy: policy)
        }
    }
}
