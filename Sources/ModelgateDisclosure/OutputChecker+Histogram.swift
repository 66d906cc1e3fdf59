import ModelgateCore

extension OutputChecker {
    func check(_ histogram: RawHistogram) -> CheckedOutput {
        let edges = histogram.edges
        var bins = histogram.counts.indices.map {
            ReleasedHistogram.Bin(lower: edges[$0], upper: edges[$0 + 1], count: histogram.counts[$0])
        }
        if let below = histogram.below { bins.insert(.init(lower: nil, upper: edges.first, count: below), at: 0) }
        if let above = histogram.above { bins.append(.init(lower: edges.last, upper: nil, count: above)) }
        let counts = bins.map { $0.count ?? 0 }
        let suppression = suppress(
            shape: [bins.count], counts: counts, contributions: [Contributions?](repeating: nil, count: counts.count),
            values: [Double?](repeating: nil, count: counts.count), countsRows: true,
            names: bins.map { [$0.lower.map { "\($0)" } ?? "below", $0.upper.map { "\($0)" } ?? "above"] })
        guard let (grid, hits) = suppression else { return unprotectable(measured: false) }
        for index in bins.indices where grid.rules[index] != nil {
            bins[index].count = nil
            bins[index].suppressed = true
        }
        let suppressed = grid.suppressedCount
        let report = DisclosureReport(
            verdict: suppressed == 0 ? .pass : .suppressed, rules: outcomes(hits, measured: false, secondary: true),
            suppressedCells: suppressed)
        return .released(.histogram(ReleasedHistogram(variable: histogram.variable, bins: bins)), report)
    }
}
