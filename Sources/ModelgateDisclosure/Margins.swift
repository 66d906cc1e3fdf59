import ModelgateCore

/// Row, column and grand totals recomputed from the released cells only, so that a total never
/// carries a suppressed cell's value.
struct Margins {
    let table: RawTable
    let keys: CellKeys

    /// One total per level of each dimension (when there are two or more dimensions), then the
    /// grand total with empty keys; withheld (`suppressed`) where no cell of it was released.
    /// One bucketing pass per dimension over the released cells.
    func totals(over released: [Int]) -> [ReleasedCell] {
        var result: [ReleasedCell] = []
        if table.dimensions.count > 1 {
            let coordinates = released.map { keys.coordinates($0) }
            for (d, dimension) in table.dimensions.enumerated() {
                var members = [[Int]](repeating: [], count: dimension.levels.count)
                for (cell, coordinate) in zip(released, coordinates) { members[coordinate[d]].append(cell) }
                for (level, name) in dimension.levels.enumerated() {
                    // A level none of whose cells was released has its total withheld too.
                    result.append(
                        ReleasedCell(
                            keys: [dimension.name: name], value: value(of: members[level]),
                            suppressed: members[level].isEmpty))
                }
            }
        }
        result.append(ReleasedCell(keys: [:], value: value(of: released), suppressed: released.isEmpty))
        return result
    }

    /// The statistic over the union of the given cells' rows; nil when there are none, or for a
    /// median, which cannot be recomputed from cell aggregates.
    private func value(of members: [Int]) -> Double? {
        guard !members.isEmpty else { return nil }
        let cells = members.map { table.cells[$0] }
        let count = cells.reduce(0) { $0 + $1.count }
        let sum = cells.reduce(0) { $0 + $1.sum }
        switch table.statistic {
        case .count: return Double(count)
        case .sum: return sum
        case .mean: return count > 0 ? sum / Double(count) : nil
        case .median: return nil
        case .std:
            guard count > 1 else { return nil }
            // Pooled sum of squares (Chan et al.): within-cell plus between-cell deviations.
            let mean = sum / Double(count)
            let m2 = cells.reduce(0.0) { total, cell in
                guard cell.count > 0 else { return total }
                let deviation = cell.sum / Double(cell.count) - mean
                return total + cell.sumOfSquares + Double(cell.count) * deviation * deviation
            }
            return (m2 / Double(count - 1)).squareRoot()
        }
    }
}
