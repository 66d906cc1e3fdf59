import ModelgateCore

/// What a dataset in privacy mode `dp` releases: the worker's exact figures with noise added
/// here, in the gateway, over a shape the policy and the spec fix (never the levels the data
/// holds), so that neither the worker nor the data can choose anything about the noise. What is
/// derived from the noisy figures (totals, means, standard deviations) is computed from them
/// alone, and costs nothing more.
///
/// Each release draws its noise from the operating system's random bits (``SystemRandomBits``):
/// the functions that take a generator are internal, reached by tests alone (`@testable`), so no
/// code outside this module can hand a release a seeded or predictable one.
package enum NoisyRelease {
    package static func table(_ raw: RawTable, over dimensions: [TableDimension], noise: NoisyCounts) -> ReleasedTable {
        var bits = SystemRandomBits()
        return table(raw, over: dimensions, noise: noise, using: &bits)
    }

    package static func table(_ raw: RawSums, task: CrosstabTask, terms: PrivacyTerms) -> ReleasedTable {
        var bits = SystemRandomBits()
        return table(raw, task: task, terms: terms, using: &bits)
    }

    package static func summary(_ raw: RawSums, variables: [String], terms: PrivacyTerms) -> ReleasedSummary {
        var bits = SystemRandomBits()
        return summary(raw, variables: variables, terms: terms, using: &bits)
    }

    package static func histogram(_ raw: RawHistogram, noise: NoisyCounts) -> ReleasedHistogram {
        var bits = SystemRandomBits()
        return histogram(raw, noise: noise, using: &bits)
    }

    /// A count table over the declared `dimensions`: every combination of declared levels is a
    /// cell, empty ones included; rows whose value the policy does not declare are in no cell.
    /// Totals (per level of each dimension, then the grand total) are sums of the noisy cells.
    static func table(
        _ raw: RawTable, over dimensions: [TableDimension], noise: NoisyCounts,
        using bits: inout some RandomNumberGenerator
    ) -> ReleasedTable {
        let cells = Grid(declared: dimensions, found: raw.dimensions).cells.map { at in
            Int64(noise.noisy(at.map { raw.cells[$0].count } ?? 0, using: &bits))
        }
        return released(
            [cells], over: dimensions, measure: nil, statistic: .count, value: { Double($0[0]) })
    }

    /// A table of a measure's sums or means over the declared `dimensions`, from the worker's
    /// sums in whole quanta of clamped values: a sum is the noisy sum; a mean is the noisy sum
    /// over the noisy count, clamped to the measure's bounds, and given only where the noisy count
    /// is at least the count's 95 % half-width (below that it is mostly noise).
    static func table(
        _ raw: RawSums, task: CrosstabTask, terms: PrivacyTerms, using bits: inout some RandomNumberGenerator
    ) -> ReleasedTable {
        let dimensions = terms.dimensions ?? []
        let grid = Grid(declared: dimensions, found: raw.dimensions)
        let figures = terms.figures.indices.map { figure in
            let noise = NoisyCounts(terms, figure: figure)
            return grid.cells.map { at in noise.noisy(at.map { raw.figures[figure][$0] } ?? 0, using: &bits) }
        }
        let unit = terms.figures.last!.unit
        guard task.statistic == .mean, let measure = task.measure, let point = terms.fixedPoints[measure] else {
            return released(
                figures, over: dimensions, measure: task.measure, statistic: task.statistic,
                value: { Double($0[0]) * unit })
        }
        let fewest = Int64(max(1, NoisyCounts(terms, figure: 0).ci95))
        return released(
            figures, over: dimensions, measure: measure, statistic: .mean,
            value: { sums in
                guard sums[0] >= fewest else { return nil }
                return clamp(Double(sums[1]) * unit / Double(sums[0]), point)
            })
    }

    /// A summary's n, mean and standard deviation of each variable, from the noisy count, sums
    /// and sums of squares; each clamped to what the bounds allow. No quantiles.
    static func summary(
        _ raw: RawSums, variables: [String], terms: PrivacyTerms, using bits: inout some RandomNumberGenerator
    ) -> ReleasedSummary {
        let noisy = terms.figures.indices.map { figure in
            NoisyCounts(terms, figure: figure).noisy(raw.figures[figure].first ?? 0, using: &bits)
        }
        let n = Double(max(noisy[0], 1))
        return ReleasedSummary(
            variables: variables.enumerated().map { index, name in
                let (sum, squares) = (1 + index, 1 + variables.count + index)
                let point = terms.fixedPoints[name]!
                let mean = clamp(Double(noisy[sum]) * terms.figures[sum].unit / n, point)
                // The sample variance, within what a variable bounded so can have: (range/2)².
                let spread = Double(point.high - point.low) * point.quantum / 2
                let variance = (Double(noisy[squares]) * terms.figures[squares].unit - n * mean * mean) / max(n - 1, 1)
                return ReleasedSummary.Variable(
                    name: name, n: Int(noisy[0]), mean: mean, std: min(max(variance, 0), spread * spread).squareRoot(),
                    q1: nil, median: nil, q3: nil)
            })
    }

    /// A histogram's bins, and the rows below and above its edges when the spec's edges leave
    /// room there, each with fresh noise: disjoint, so ε once for all.
    static func histogram(
        _ raw: RawHistogram, noise: NoisyCounts, using bits: inout some RandomNumberGenerator
    ) -> ReleasedHistogram {
        var bins: [ReleasedHistogram.Bin] = []
        if let below = raw.below {
            bins.append(.init(lower: nil, upper: raw.edges.first, count: noise.noisy(below, using: &bits)))
        }
        for (index, count) in raw.counts.enumerated() {
            bins.append(
                .init(lower: raw.edges[index], upper: raw.edges[index + 1], count: noise.noisy(count, using: &bits)))
        }
        if let above = raw.above {
            bins.append(.init(lower: raw.edges.last, upper: nil, count: noise.noisy(above, using: &bits)))
        }
        return ReleasedHistogram(variable: raw.variable, bins: bins)
    }

    /// A table whose every cell and total is `value` of its noisy figures; totals (per level of
    /// each dimension, then the grand total) add the cells' noisy figures first.
    private static func released(
        _ figures: [[Int64]], over dimensions: [TableDimension], measure: String?, statistic: TableStatistic,
        value: ([Int64]) -> Double?
    ) -> ReleasedTable {
        let shape = dimensions.map(\.levels.count)
        let count = figures.first?.count ?? 0
        let cells = (0..<count).map { index in
            ReleasedCell(keys: Grid.keys(index, dimensions), value: value(figures.map { $0[index] }))
        }
        var totals: [ReleasedCell] = []
        if dimensions.count > 1 {
            for d in dimensions.indices {
                let inner = shape[(d + 1)...].reduce(1, *)
                var sums = [[Int64]](repeating: [Int64](repeating: 0, count: figures.count), count: shape[d])
                for index in 0..<count {
                    for figure in figures.indices { sums[(index / inner) % shape[d]][figure] += figures[figure][index] }
                }
                for (level, name) in dimensions[d].levels.enumerated() {
                    totals.append(ReleasedCell(keys: [dimensions[d].name: name], value: value(sums[level])))
                }
            }
        }
        totals.append(ReleasedCell(keys: [:], value: value(figures.map { $0.reduce(0, +) })))
        return ReleasedTable(
            dimensions: dimensions, measure: measure, statistic: statistic, cells: cells, totals: totals)
    }

    private static func clamp(_ value: Double, _ point: FixedPoint) -> Double {
        min(max(value, Double(point.low) * point.quantum), Double(point.high) * point.quantum)
    }
}

/// The cells of a table over declared dimensions, each with the index of the worker's cell that
/// holds it (nil when the worker's table has no such level).
private struct Grid {
    let cells: [Int?]

    init(declared: [TableDimension], found: [TableDimension]) {
        // Where each declared level sits among the worker's levels, dimension by dimension.
        // and the worker's stride for that dimension (nil when it has no such dimension).
        let strides = found.indices.map { d in found[(d + 1)...].reduce(1) { $0 * $1.levels.count } }
        let positions = declared.map { dimension in
            let at = found.firstIndex { $0.name == dimension.name }
            let levels = at.map { found[$0].levels } ?? []
            let index = Dictionary(levels.enumerated().map { ($0.element, $0.offset) }) { first, _ in first }
            return dimension.levels.map { level in index[level].flatMap { offset in at.map { offset * strides[$0] } } }
        }
        let shape = declared.map(\.levels.count)
        cells = (0..<shape.reduce(1, *)).map { index in
            var rest = index
            var at = 0
            for d in shape.indices.reversed() {
                guard let offset = positions[d][rest % shape[d]] else { return nil }
                at += offset
                rest /= shape[d]
            }
            return at
        }
    }

    /// The keys of cell `index` (row-major, the last dimension fastest).
    static func keys(_ index: Int, _ dimensions: [TableDimension]) -> [String: String] {
        var keys: [String: String] = [:]
        var rest = index
        for dimension in dimensions.reversed() {
            keys[dimension.name] = dimension.levels[rest % dimension.levels.count]
            rest /= dimension.levels.count
        }
        return keys
    }
}
