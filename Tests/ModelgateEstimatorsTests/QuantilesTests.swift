import ModelgateCore
import ModelgateTestSupport
import Testing

@testable import ModelgateEstimators

/// Expected values are worked by hand: for n sorted values x[0..<n], position p = q·(n − 1),
/// lo = clamp(round(p − 4.5), 0, n − 10) with a tie rounding up, and the mean of x[lo..<lo + 10].
@Suite struct QuantilesTests {
    /// 1…21, so x[i] = i + 1.
    let oneToTwentyOne = (1...21).map(Double.init)

    @Test func theWindowIsTheDefaultThreshold() {
        #expect(Quantiles.window == 10)
        #expect(Quantiles.window == DisclosureRules().threshold)
    }

    @Test func medianOfOneToTwentyOneIsTheMeanOfTheMiddleTen() {
        // p = 0.5 · 20 = 10; lo = round(10 − 4.5) = round(5.5) = 6 (tie up); x[6..<16] = 7…16,
        // mean (7 + 16) / 2 = 11.5. Type 7 would have released x[10] = 11, one person's value.
        #expect(Quantiles.of(sorted: oneToTwentyOne, 0.5) == 11.5)
    }

    @Test func quartilesOfOneToTwentyOne() {
        // q1: p = 0.25 · 20 = 5; lo = round(0.5) = 1 (tie up); x[1..<11] = 2…11, mean 6.5.
        #expect(Quantiles.of(sorted: oneToTwentyOne, 0.25) == 6.5)
        // q3: p = 0.75 · 20 = 15; lo = round(10.5) = 11 = n − 10; x[11..<21] = 12…21, mean 16.5.
        #expect(Quantiles.of(sorted: oneToTwentyOne, 0.75) == 16.5)
    }

    @Test func extremesAreMeansOfTheOuterTen() {
        // q = 0: p = 0; round(−4.5) = −5, clamped to 0; x[0..<10] = 1…10, mean 5.5.
        #expect(Quantiles.of(sorted: oneToTwentyOne, 0) == 5.5)
        // q = 1: p = 20; round(15.5) = 16, clamped to 11; x[11..<21] = 12…21, mean 16.5.
        #expect(Quantiles.of(sorted: oneToTwentyOne, 1) == 16.5)
    }

    @Test func aSliceIsIndexedFromItsOwnStart() {
        // The slice holds 11…21 plus 100…109 (21 values); its median window is its x[6..<16]:
        // 17…21 and 100…104, sum 95 + 510 = 605, mean 60.5.
        let values = (1...21).map(Double.init) + (100...109).map(Double.init)
        #expect(Quantiles.of(sorted: values[10...], 0.5) == 60.5)
    }

    @Test func theMedianOfWidelySpreadValuesIsNoneOfThem() {
        // 10^0…10^10, n = 11. Median: p = 5, lo = round(0.5) = 1; 10^1…10^10 sum to
        // 11_111_111_110, mean 1_111_111_111. Type 7 would have released x[5] = 10^5.
        let values = (0...10).map { pow10($0) }
        let median = Quantiles.of(sorted: values, 0.5)
        #expect(median == 1_111_111_111)
        #expect(!values.contains(median))
        // q1: p = 2.5, round(−2) = −2, clamped to 0; 10^0…10^9 sum to 1_111_111_111, mean
        // 111_111_111.1. q3: p = 7.5, round(3) = 3, clamped to 1: the median's window.
        let q1 = Quantiles.of(sorted: values, 0.25)
        let q3 = Quantiles.of(sorted: values, 0.75)
        #expect(abs(q1 - 111_111_111.1) < 1e-6)
        #expect(q3 == 1_111_111_111)
        #expect(!values.contains(q1) && !values.contains(q3))
    }

    @Test func tenValuesGiveTheirMeanForEveryQuantile() {
        // n = 10: lo is clamped to 0 = n − 10 whatever q; 1…10 has mean 5.5.
        let values = (1...10).map(Double.init)
        for q in [0, 0.25, 0.5, 0.75, 1] {
            #expect(Quantiles.of(sorted: values, q) == 5.5)
        }
    }

    @Test(arguments: [0, 1, 9])
    func fewerThanTheWindowGivesNaN(n: Int) {
        let values = (0..<n).map(Double.init)
        #expect(Quantiles.of(sorted: values, 0.5).isNaN)
        #expect(Quantiles.of(sorted: values, 0.25).isNaN)
    }

    @Test func mediansNeedTwiceTheWindowAndQuartilesFourTimes() throws {
        // District A holds 1…21 (shuffled), B holds 19 rows: a median of B's window of ten
        // would leave nine people as the rest of B's sum.
        let incomes = [14, 3, 21, 7, 1, 18, 10, 5, 16, 12, 2, 20, 8, 11, 4, 19, 6, 15, 9, 17, 13].map(Double.init)
        let columns: [String: ColumnVector] = [
            "district": ColumnVector(categories: Array(repeating: "A", count: 21) + Array(repeating: "B", count: 19)),
            "income": ColumnVector(numbers: incomes + (1...19).map(Double.init)),
        ]
        let crosstab = try estimate(
            "model: crosstab\ndataset: survey\nrows: [district]\nmeasure: income\nstatistic: median", columns)
        guard case .table(let table) = crosstab.output else { Issue.record("not a table"); return }
        #expect(table.cells[0].value == 11.5)
        #expect(table.cells[1].value?.isNaN == true)

        let summary = try estimate(
            "model: summary\ndataset: survey\nvariables: [income]\nwhere: [{column: district, op: '=', value: A}]",
            columns)
        guard case .summary(let variables) = summary.output else { Issue.record("not a summary"); return }
        // 21 values are too few for three windows of ten and a rest of ten.
        let statistics = variables[0].statistics
        #expect(statistics.n == 21 && statistics.q1 == nil && statistics.median == nil && statistics.q3 == nil)
    }

    private func pow10(_ exponent: Int) -> Double {
        (0..<exponent).reduce(1.0) { product, _ in product * 10 }
    }
}
