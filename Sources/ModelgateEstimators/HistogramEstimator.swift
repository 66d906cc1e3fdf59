import ModelgateCore

/// Counts of a numeric variable in bins `[e0, e1), [e1, e2), …, [e(n-1), en]`.
enum HistogramEstimator {
    /// With `labels`, each used row's key is 0 below the first edge, 1 + its bin, or bins + 1 above.
    static func count(
        _ task: HistogramTask, _ column: ColumnVector, _ selection: RowSelection, planned: PlannedColumn? = nil,
        labels: UnsafeMutablePointer<UInt32>? = nil
    ) -> RawHistogram {
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
        if let labels {
            selection.writeLabels(into: labels) { row in
                let value = column.double(at: row)
                return value < first ? 0 : value > last ? counts.count + 1 : 1 + bin(of: value, edges)
            }
        }
        // No bin where no row can be: a structural zero, which the checker would withhold and, to
        // protect it, drag a real bin into secondary suppression.
        let outer = task.outerBins(planned: planned)
        return RawHistogram(
            variable: task.variable, edges: edges, counts: counts, below: outer.below ? below : nil,
            above: outer.above ? above : nil)
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
