import ModelgateTestSupport
import Testing

@testable import ModelgateCore

@Suite struct SummaryEstimatorTests {
    @Test func oneToFortyHasTextbookMomentsAndWindowQuartiles() throws {
        let income = ColumnVector(numbers: (1...40).map { Double($0) })
        let raw = try estimate("model: summary\ndataset: survey\nvariables: [income]", ["income": income])
        guard case .summary(let variables) = raw.output else { Issue.record("not a summary"); return }
        let v = variables[0].statistics
        #expect(v.n == 40)
        #expect(approximately(v.mean, 20.5))
        // Sample variance of 1…n is n(n + 1)/12.
        #expect(approximately(v.std, (40.0 * 41 / 12).squareRoot()))
        // Type-7 positions 9.75, 19.5, 29.25; windows of ten centred nearest them start at
        // round(p − 4.5) = 5, 15, 25, so they hold 6…15, 16…25, 26…35.
        #expect(v.q1 == 10.5)
        #expect(v.median == 20.5)
        #expect(v.q3 == 30.5)
        #expect(variables[0].contributions.largest.prefix(2) == [40, 39])
        #expect(variables[0].contributions.absoluteSum == 820)
    }

    @Test func fewerThanFortyValuesGiveNoQuartiles() throws {
        // With eleven values, n·mean − 10·q3 would be the smallest value; with 39, the sum
        // outside the three windows would be nine people's.
        for n in [11, 39] {
            let income = ColumnVector(numbers: (1...n).map { Double($0) })
            let raw = try estimate("model: summary\ndataset: survey\nvariables: [income]", ["income": income])
            guard case .summary(let variables) = raw.output else { Issue.record("not a summary"); return }
            let v = variables[0].statistics
            #expect(v.q1 == nil && v.median == nil && v.q3 == nil)
            #expect(v.n == n)
        }
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
