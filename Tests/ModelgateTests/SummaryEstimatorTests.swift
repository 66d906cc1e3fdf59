import Testing

@testable import ModelgateCore

@Suite struct SummaryEstimatorTests {
    @Test func oneToTenHasTextbookMomentsAndWindowQuartiles() throws {
        let income = ColumnVector(numbers: (1...10).map { Double($0) })
        let raw = try estimate("model: summary\ndataset: survey\nvariables: [income]", ["income": income])
        guard case .summary(let variables) = raw.output else { Issue.record("not a summary"); return }
        let v = variables[0].statistics
        #expect(v.n == 10)
        #expect(approximately(v.mean, 5.5))
        // Sample variance of 1…10 is 55/6.
        #expect(approximately(v.std, (55.0 / 6).squareRoot()))
        // Ten values: every quartile is the mean of the one window of ten, 55 / 10.
        #expect(approximately(v.q1, 5.5))
        #expect(approximately(v.median, 5.5))
        #expect(approximately(v.q3, 5.5))
        #expect(variables[0].contributions.largest.prefix(2) == [10, 9])
        #expect(variables[0].contributions.absoluteSum == 55)
    }

    @Test func filtersAndMissingValuesDecideTheRows() throws {
        let columns = [
            "income": ColumnVector(numbers: [10, nil, 30, 40, 50]),
            "age": ColumnVector(integers: [20, 30, 40, 50, 60]),
        ]
        let raw = try estimate(
            "model: summary\ndataset: survey\nvariables: [income]\nwhere: [{column: age, op: '>', value: 25}]", columns)
        #expect(raw.rowsScanned == 5)
        #expect(raw.rowsDropped == 1)
        #expect(raw.rowsUsed == 3)
        guard case .summary(let variables) = raw.output else { return }
        #expect(approximately(variables[0].statistics.mean, 40))
    }

    @Test func aMissingFilterValueFailsTheFilterAndIsNotCountedAsDropped() throws {
        let columns = [
            "income": ColumnVector(numbers: [10, nil, 30, 40, 50]),
            "age": ColumnVector(integers: [20, 30, nil, 50, 60]),
        ]
        let raw = try estimate(
            "model: summary\ndataset: survey\nvariables: [income]\nwhere: [{column: age, op: '>', value: 25}]", columns)
        // Row 2 has no age: it fails the filter. Row 1 passes but has no income: dropped.
        #expect(raw.rowsDropped == 1)
        #expect(raw.rowsUsed == 2)
    }
}
