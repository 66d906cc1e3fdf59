import ModelgateTestSupport
import Testing

@testable import ModelgateCore
@testable import ModelgateGateway

@Suite struct ResultTextTests {
    @Test func twoDimensionalTableShowsSuppressedCellsAndReleasedTotals() {
        let table = ReleasedTable(
            dimensions: [
                TableDimension(name: "district", levels: ["A", "B"]), TableDimension(name: "sex", levels: ["F", "M"]),
            ],
            measure: nil, statistic: .count,
            cells: [
                ReleasedCell(keys: ["district": "A", "sex": "F"], value: nil, suppressed: true),
                ReleasedCell(
                    keys: ["district": "A", "sex": "M"], value: nil, suppressed: true),
                ReleasedCell(keys: ["district": "B", "sex": "F"], value: 40),
                ReleasedCell(keys: ["district": "B", "sex": "M"], value: 35),
            ],
            totals: [
                ReleasedCell(keys: ["district": "A"], value: nil), ReleasedCell(keys: ["district": "B"], value: 75),
                ReleasedCell(keys: ["sex": "F"], value: 40), ReleasedCell(keys: ["sex": "M"], value: 35),
                ReleasedCell(keys: [:], value: 75),
            ])
        let text = ResultText.render(
            JobResult(status: .released, job: "j", model: .crosstab, dataset: nil, result: .table(table)))
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains("A          ·   ·      ·"))
        #expect(lines.contains("B         40  35     75"))
        #expect(lines.contains("total     40  35     75"))
    }

    /// Text from data or from another person (a level name, a label) cannot drive the terminal.
    @Test func controlCharactersInCellsPrintAsReplacementCharacters() {
        let lines = ResultText.aligned([["label"], ["a\u{1B}[2Jb\nfake"]])
        #expect(lines[1] == "a\u{FFFD}[2Jb\u{FFFD}fake")
        #expect(!lines.joined().unicodeScalars.contains { $0.properties.generalCategory == .control })
    }

    @Test func refusalShowsItsCodeAndMessage() {
        let text = ResultText.render(
            JobResult(
                status: .refused, job: "j", model: .summary, dataset: nil,
                reason: Refusal(.belowThreshold, "too few rows")))
        #expect(text.contains("REFUSED [below_threshold]: too few rows"))
    }

    /// A refusal quoting the spec as sent (a column named with an escape sequence, a direction
    /// override) prints it without its hidden characters.
    @Test func aRefusalQuotingTheSpecCannotDriveTheTerminal() {
        let text = ResultText.render(
            JobResult(
                status: .refused, job: "j", model: .crosstab, dataset: nil,
                reason: Refusal(.unknownColumn, "rows: 'x\u{1B}]0;pwned\u{07}\u{202E}y' is not a column")))
        #expect(text.contains("'x\u{FFFD}]0;pwned\u{FFFD}\u{FFFD}y'"), "\(text)")
        #expect(!text.dropLast().unicodeScalars.contains { $0.isHidden && $0 != "\n" })
    }

    /// Labels that never overlap: half-open bins, the last inside the edges closed, the bin above
    /// the edges open at the last edge (it holds what is greater), the one below open at -∞.
    @Test func histogramBinLabelsDoNotOverlap() {
        let histogram = ReleasedHistogram(
            variable: "income",
            bins: [
                .init(lower: nil, upper: 0, count: 12), .init(lower: 0, upper: 100_000, count: 50),
                .init(lower: 100_000, upper: 200_000, count: 30), .init(lower: 200_000, upper: nil, count: 11),
            ])
        let text = ResultText.render(
            JobResult(status: .released, job: "j", model: .histogram, dataset: nil, result: .histogram(histogram)))
        #expect(text.contains("(-∞, 0)") && text.contains("[0, 100000)"), "\(text)")
        #expect(text.contains("[100000, 200000]") && text.contains("(200000, ∞)"), "\(text)")
    }

    /// A p-value too small to tell from 0 is shown as such, not as 0; each coefficient has its
    /// 95 % interval.
    @Test func regressionTablesShowTinyPValuesAndIntervals() {
        var coefficient = ReleasedRegression.Coefficient(
            term: "age", estimate: 0.6, stdError: 0.01, statistic: 60, pValue: 0)
        coefficient.ci95Low = 0.58
        coefficient.ci95High = 0.62
        let regression = ReleasedRegression(coefficients: [coefficient], nObservations: 1000, degreesOfFreedom: 998)
        let text = ResultText.render(
            JobResult(
                status: .released, job: "j", model: .linearRegression, dataset: nil, result: .regression(regression)))
        #expect(text.contains("<1e-16") && text.contains("[0.58, 0.62]") && text.contains("95 % CI"), "\(text)")
    }
}
