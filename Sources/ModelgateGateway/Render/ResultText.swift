import Foundation
import ModelgateCore

/// Renders a job result for a person reading a terminal (`--format table`): the tables and
/// coefficients, what the output checks did, and the citation.
package enum ResultText {
    package static func render(_ result: JobResult) -> String {
        var lines: [String] = []
        let model = result.model?.rawValue ?? "?"
        if let dataset = result.dataset {
            lines.append("\(model) on \(dataset.id) (version \(dataset.version.prefix(12)))")
        } else {
            lines.append(model)
        }
        if result.status != .released, let reason = result.reason {
            lines.append("\(result.status.rawValue.uppercased()) [\(reason.code.rawValue)]: \(reason.message)")
        }
        switch result.result {
        case .table(let table)? where result.privacy != nil:
            // Noisy cells: nothing suppressed, totals are sums of the noisy cells.
            lines += render(table).enumerated().map {
                $0.offset == 0
                    ? "\(table.measure ?? "count") by "
                        + table.dimensions.map(\.name).joined(separator: " × ")
                        + "  (with noise; totals are of the noisy cells)"
                    : $0.element
            }
        case .table(let table)?: lines += render(table)
        case .histogram(let histogram)?: lines += render(histogram)
        case .summary(let summary)?: lines += render(summary)
        case .regression(let regression)?: lines += render(regression)
        case nil: break
        }
        if let disclosure = result.disclosure {
            let failed = disclosure.rules.filter { $0.outcome == .fail }
            var verdict = "disclosure: \(disclosure.verdict.rawValue)"
            if disclosure.suppressedCells > 0 { verdict += ", \(disclosure.suppressedCells) cell(s) suppressed" }
            lines.append(verdict)
            for rule in failed { lines.append("  \(rule.rule): \(rule.detail)") }
        }
        if let privacy = result.privacy {
            lines.append(
                "privacy: \(privacy.mechanism) noise, ε \(privacy.epsilon); the unit is "
                    + (privacy.unit == "row" ? "a row" : privacy.unit))
            lines += render(privacy.figures)
        }
        if let usage = result.usage {
            var rows = ""
            if let scanned = usage.rowsScanned {
                let withheld =
                    result.privacy == nil
                    ? "rows dropped for missing values withheld (below the threshold, perhaps none), "
                    : "rows dropped for missing values not shown (privacy mode dp), "
                rows =
                    "\(scanned) rows scanned, "
                    + (usage.rowsDropped.map { "\($0) dropped for missing values, " } ?? withheld)
            }
            lines.append(
                "usage: " + rows
                    + String(
                        format: "worker %.3f s wall, %.3f s CPU, %.0f MiB peak", usage.wallSeconds, usage.cpuSeconds,
                        Double(usage.peakMemoryBytes) / 1_048_576))
        }
        if let dataset = result.dataset, result.status == .released { lines.append("cite: \(dataset.citation)") }
        if let receipt = result.receipt { lines.append("receipt: audit event \(receipt.index), \(receipt.hash)") }
        // Every line, not only table cells: a refusal's message may quote the spec as sent.
        return lines.map(printable).joined(separator: "\n") + "\n"
    }

    /// One line per kind of noisy figure: its share of ε, scale and 95 % half-width.
    package static func render(_ figures: [PrivacyReport.Figure]) -> [String] {
        figures.map { figure in
            "  \(figure.name) (ε \(figure.epsilon), scale \(number(figure.scale))): within "
                + "±\(number(figure.ci95)) of the exact one 95 times in 100"
        }
    }

    static func number(_ value: Double?) -> String {
        guard let value else { return "·" }
        // Whole numbers as such, also when computed in floating point (97,200.000000001).
        if abs(value - value.rounded()) <= 1e-9 * max(1, abs(value)) && abs(value) < 1e15 {
            return String(Int(value.rounded()))
        }
        return String(format: abs(value) >= 1000 ? "%.1f" : "%.4g", value)
    }

    static func render(_ table: ReleasedTable) -> [String] {
        let title = table.measure.map { "\(table.statistic.rawValue) of \($0)" } ?? "count"
        var lines = [
            "\(title) by \(table.dimensions.map(\.name).joined(separator: " × "))  (· = suppressed; totals are of released cells)"
        ]
        if table.dimensions.count == 2 {
            let rowDimension = table.dimensions[0]
            let columnDimension = table.dimensions[1]
            var grid: [[String]] = [[rowDimension.name] + columnDimension.levels + ["total"]]
            for (r, level) in rowDimension.levels.enumerated() {
                let cells = table.cells[(r * columnDimension.levels.count)..<((r + 1) * columnDimension.levels.count)]
                let total = table.totals.first { $0.keys == [rowDimension.name: level] }?.value
                grid.append([level] + cells.map { number($0.value) } + [number(total)])
            }
            let columnTotals = columnDimension.levels.map { level in
                number(table.totals.first { $0.keys == [columnDimension.name: level] }?.value)
            }
            let grand = table.totals.first { $0.keys.isEmpty }?.value
            grid.append(["total"] + columnTotals + [number(grand)])
            lines += aligned(grid)
        } else {
            var grid: [[String]] = [table.dimensions.map(\.name) + ["value"]]
            for cell in table.cells {
                grid.append(table.dimensions.map { cell.keys[$0.name] ?? "" } + [number(cell.value)])
            }
            grid.append(
                ["total"] + Array(repeating: "", count: table.dimensions.count - 1)
                    + [number(table.totals.first { $0.keys.isEmpty }?.value)])
            lines += aligned(grid)
        }
        return lines
    }

    static func render(_ histogram: ReleasedHistogram) -> [String] {
        let largest = histogram.bins.compactMap(\.count).max() ?? 1
        var grid: [[String]] = [[histogram.variable, "count", ""]]
        for (index, bin) in histogram.bins.enumerated() {
            let bar = bin.count.map {
                String(repeating: "#", count: Int((Double($0) / Double(max(largest, 1)) * 40).rounded()))
            }
            grid.append([binLabel(index, of: histogram), number(bin.count.map(Double.init)), bar ?? "(suppressed)"])
        }
        return ["histogram of \(histogram.variable)"] + aligned(grid, leftAligned: [0, 2])
    }

    /// A bin's range as a label. Bins are half-open except the last one inside the edges, which
    /// holds its upper edge; the bins outside the edges are open, the one above holding what is
    /// greater than the last edge, so no two labels overlap.
    package static func binLabel(_ index: Int, of histogram: ReleasedHistogram) -> String {
        let bin = histogram.bins[index]
        let isLastInside = bin.upper != nil && !histogram.bins.dropFirst(index + 1).contains { $0.upper != nil }
        return (bin.upper == nil || bin.lower == nil ? "(" : "[")
            + "\(bin.lower.map { number($0) } ?? "-∞"), \(bin.upper.map { number($0) } ?? "∞")\(isLastInside ? "]" : ")")"
    }

    static func render(_ summary: ReleasedSummary) -> [String] {
        var grid: [[String]] = [["variable", "n", "mean", "std", "q1", "median", "q3"]]
        for v in summary.variables {
            grid.append([v.name, String(v.n)] + [v.mean, v.std, v.q1, v.median, v.q3].map { number($0) })
        }
        return aligned(grid)
    }

    static func render(_ regression: ReleasedRegression) -> [String] {
        let noisy = regression.coefficients.contains { $0.noise95 != nil }
        var grid: [[String]] = [
            ["term", "estimate"] + (noisy ? ["± noise (95 %)"] : ["std error", "statistic", "p", "95 % CI"])
        ]
        func text(_ value: Double?, _ format: String) -> String { value.map { String(format: format, $0) } ?? "-" }
        // A p-value below what a Double tells from 0 next to 1 is not shown as 0.
        func p(_ value: Double?) -> String {
            guard let value else { return "-" }
            return value < 1e-16 ? "<1e-16" : String(format: "%.3g", value)
        }
        for c in regression.coefficients {
            let interval =
                c.ci95Low.flatMap { low in
                    c.ci95High.map { "[\(String(format: "%.4g", low)), \(String(format: "%.4g", $0))]" }
                }
                ?? "-"
            grid.append(
                [c.term, String(format: "%.6g", c.estimate)]
                    + (noisy
                        ? [text(c.noise95, "%.4g")]
                        : [text(c.stdError, "%.4g"), text(c.statistic, "%.3f"), p(c.pValue), interval]))
        }
        var fit = "n = \(regression.nObservations), residual df = \(regression.degreesOfFreedom)"
        if let r2 = regression.rSquared { fit += String(format: ", R² = %.4f", r2) }
        if let ll = regression.logLikelihood { fit += String(format: ", log-likelihood = %.3f", ll) }
        return aligned(grid) + [fit]
    }

    /// Columns padded to their widest entry: the `leftAligned` ones (text) on the right, the
    /// others (numbers) on the left.
    /// Rows of cells padded into columns. A control character in a cell (a level name, a label:
    /// text from data or from another person) prints as U+FFFD (see ``printable(_:)``), so that
    /// it cannot move the cursor, rewrite a terminal or start a row of its own.
    package static func aligned(_ grid: [[String]], leftAligned: Set<Int> = [0]) -> [String] {
        let grid = grid.map { $0.map(printable) }
        let widths = (0..<(grid.map(\.count).max() ?? 0)).map { column in
            grid.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0
        }
        return grid.map { row in
            row.enumerated().map { column, text in
                let pad = String(repeating: " ", count: widths[column] - text.count)
                return leftAligned.contains(column) ? text + pad : pad + text
            }.joined(separator: "  ").replacingOccurrences(of: " +$", with: "", options: .regularExpression)
        }
    }

    /// `text` with each character that is not shown as itself (controls, line and paragraph
    /// separators, format characters such as a right-to-left override) replaced by U+FFFD.
    package static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: \.isHidden) else { return text }
        return String(String.UnicodeScalarView(text.unicodeScalars.map { $0.isHidden ? "\u{FFFD}" : $0 }))
    }
}
