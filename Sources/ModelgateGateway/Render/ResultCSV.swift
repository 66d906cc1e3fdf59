import ModelgateCore

/// A released result's values as CSV (`--format csv`), one row per cell, bin, variable or term,
/// with the columns the Python client's DataFrames have; a withheld value is an empty field with
/// `suppressed` true. Numbers are written in full (the shortest text that reads back the same).
package enum ResultCSV {
    /// The CSV text, or nil when the job released nothing (refused, failed).
    package static func render(_ result: JobResult) -> String? {
        switch result.result {
        case .table(let table)?: render(table)
        case .histogram(let histogram)?: render(histogram)
        case .summary(let summary)?: render(summary)
        case .regression(let regression)?: render(regression)
        case nil: nil
        }
    }

    static func render(_ table: ReleasedTable) -> String {
        let names = table.dimensions.map(\.name)
        return CSVText.line(names + ["value", "suppressed"])
            + table.cells.map { cell in
                CSVText.line(names.map { cell.keys[$0] ?? "" } + [number(cell.value), String(cell.suppressed)])
            }.joined()
    }

    static func render(_ histogram: ReleasedHistogram) -> String {
        CSVText.line(["bin", "lower", "upper", "count", "suppressed"])
            + histogram.bins.indices.map { index in
                let bin = histogram.bins[index]
                return CSVText.line([
                    ResultText.binLabel(index, of: histogram), bin.lower.map(number) ?? "-inf",
                    bin.upper.map(number) ?? "inf", bin.count.map(String.init) ?? "", String(bin.suppressed),
                ])
            }.joined()
    }

    static func render(_ summary: ReleasedSummary) -> String {
        CSVText.line(["variable", "n", "mean", "std", "q1", "median", "q3"])
            + summary.variables.map {
                CSVText.line([$0.name, String($0.n)] + [$0.mean, $0.std, $0.q1, $0.median, $0.q3].map(number))
            }.joined()
    }

    static func render(_ regression: ReleasedRegression) -> String {
        let noisy = regression.coefficients.contains { $0.noise95 != nil }
        let header =
            noisy ? ["noise95"] : ["std_error", "statistic", "p_value", "ci95_low", "ci95_high"]
        return CSVText.line(["term", "estimate"] + header)
            + regression.coefficients.map {
                let figures =
                    noisy ? [$0.noise95] : [$0.stdError, $0.statistic, $0.pValue, $0.ci95Low, $0.ci95High]
                return CSVText.line([$0.term, number($0.estimate)] + figures.map(number))
            }.joined()
    }

    /// Swift's shortest round-tripping text for a finite number; empty for a withheld one.
    static func number(_ value: Double?) -> String {
        guard let value else { return "" }
        return value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : "\(value)"
    }
}
