import ModelgateCore

/// n, mean, standard deviation and quartiles of a numeric variable. No minimum or maximum:
/// those are single people's values; each quartile is a mean of `Quantiles.window` of them, and
/// none is given from fewer than `Quantiles.quartilesMinimum` values.
enum SummaryEstimator {
    static func summarize(_ name: String, _ column: ColumnVector, _ selection: RowSelection) -> RawVariableSummary {
        var values: [Double] = []
        values.reserveCapacity(selection.rowsUsed)
        selection.forEachUsedRow { values.append(column.double(at: $0)) }
        let n = values.count
        let mean = n > 0 ? values.reduce(0, +) / Double(n) : .nan
        // Two passes: the centred sum of squares does not cancel the way Σx² − n·mean² does.
        let m2 = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        let std = n > 1 ? (m2 / Double(n - 1)).squareRoot() : .nan
        var top = TopContributions(cells: 1)
        var absoluteSum = 0.0
        for value in values {
            top.offer(value, cell: 0)
            absoluteSum += abs(value)
        }
        values.sort()
        let quartiles =
            n >= Quantiles.quartilesMinimum ? [0.25, 0.5, 0.75].map { Quantiles.of(sorted: values, $0) } : nil
        let statistics = ReleasedSummary.Variable(
            name: name, n: n, mean: mean, std: std, q1: quartiles?[0], median: quartiles?[1], q3: quartiles?[2])
        return RawVariableSummary(
            statistics: statistics,
            contributions: Contributions(
                count: n, absoluteSum: absoluteSum, largest: top.largest(cell: 0), isBinary: column.isBoolean))
    }
}
