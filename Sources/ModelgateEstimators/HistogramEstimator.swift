import ModelgateCore

/// Counts of a numeric variable in bins `[e0, e1), [e1, e2), …, [e(n-1), en]`.
enum HistogramEstimator {
    static func count(_ task: HistogramTask, _ column: ColumnVector, _ selection: RowSelection) -> RawHistogram {
        let edges = task.edges ?? []
        var counts = [Int](repeating: 0, count: max(edges.count - 1, 0))
        var below = 0
        var above = 0
        let first = edges.first ?? 0
        let last = edges.last ?? 0
        selection.forEachUsedRow { row in
            let value = column.double(at: row)
            if value < first {
                below += 1
            } else if value > last {
                above += 1
            } else {
                counts[bin(of: value, edges)] += 1
            }
        }
        // Edges placed from the policy's bounds (bins given) span every possible value: ingest
        // enforces the bounds, so "outside" would be a structural zero, not information.
        let spansBounds = task.bins != nil
        return RawHistogram(
            variable: task.variable, edges: edges, counts: counts, below: spansBounds ? nil : below,
            above: spansBounds ? nil : above)
    }

    /// Index of the bin holding `value`, which lies within the edges.
    static func bin(of value: Double, _ edges: [Double]) -> Int {
        var low = 0
        var high = edges.count - 1
        // Invariant: edges[low] <= value, and value < edges[high] unless it is the last edge.
        while high - low > 1 {
            let middle = (low + high) / 2
            if edges[middle] <= value { low = middle } else { high = middle }
        }
        return low
    }
}
