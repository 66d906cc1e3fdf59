import ModelgateCore

/// What a dataset in privacy mode `dp` releases: the worker's exact counts with noise added
/// here, in the gateway, over a shape the policy and the spec fix (never the levels the data
/// holds), so that neither the worker nor the data can choose anything about the noise.
package enum NoisyRelease {
    /// A count table over the declared `dimensions`: every combination of declared levels is a
    /// cell, empty ones included; rows whose value the policy does not declare are in no cell.
    /// Totals (per level of each dimension, then the grand total) are sums of the noisy cells,
    /// which costs nothing more.
    package static func table(
        _ raw: RawTable, over dimensions: [TableDimension], noise: NoisyCounts,
        using bits: inout some RandomNumberGenerator
    ) -> ReleasedTable {
        // Where each declared level sits among the worker's levels, dimension by dimension.
        let positions = dimensions.map { declared in
            let found = raw.dimensions.first { $0.name == declared.name }?.levels ?? []
            let index = Dictionary(found.enumerated().map { ($0.element, $0.offset) }) { first, _ in first }
            return declared.levels.map { index[$0] }
        }
        let strides = raw.dimensions.indices.map { d in
            raw.dimensions[(d + 1)...].reduce(1) { $0 * $1.levels.count }
        }
        let shape = dimensions.map(\.levels.count)
        let total = shape.reduce(1, *)
        var cells: [ReleasedCell] = []
        var values: [Int] = []
        cells.reserveCapacity(total)
        for index in 0..<total {
            var rest = index
            var coordinate = [Int](repeating: 0, count: shape.count)
            for d in shape.indices.reversed() {
                coordinate[d] = rest % shape[d]
                rest /= shape[d]
            }
            var rawIndex: Int? = 0
            for d in shape.indices {
                guard let at = positions[d][coordinate[d]], let sum = rawIndex else {
                    rawIndex = nil
                    break
                }
                rawIndex = sum + at * strides[d]
            }
            let count = rawIndex.map { raw.cells[$0].count } ?? 0
            let value = noise.noisy(count, using: &bits)
            values.append(value)
            var keys: [String: String] = [:]
            for d in shape.indices { keys[dimensions[d].name] = dimensions[d].levels[coordinate[d]] }
            cells.append(ReleasedCell(keys: keys, value: Double(value)))
        }
        var totals: [ReleasedCell] = []
        if dimensions.count > 1 {
            for d in dimensions.indices {
                var sums = [Int](repeating: 0, count: shape[d])
                let inner = shape[(d + 1)...].reduce(1, *)
                for (index, value) in values.enumerated() { sums[(index / inner) % shape[d]] += value }
                for (level, name) in dimensions[d].levels.enumerated() {
                    totals.append(ReleasedCell(keys: [dimensions[d].name: name], value: Double(sums[level])))
                }
            }
        }
        totals.append(ReleasedCell(keys: [:], value: Double(values.reduce(0, +))))
        return ReleasedTable(
            dimensions: dimensions, measure: nil, statistic: .count, cells: cells, totals: totals)
    }

    /// A histogram's bins, and the rows below and above its edges when the spec's edges leave
    /// room there, each with fresh noise: disjoint, so ε once for all.
    package static func histogram(
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
}
