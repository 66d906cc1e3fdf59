import ModelgateCore

/// Per-cell accumulators of a table: counts, sums, absolute sums and largest contributions.
struct CellTotals {
    var counts: [Int]
    var sums: [Double]
    var absoluteSums: [Double]
    var top: TopContributions
    let keepsContributions: Bool

    init(cells: Int, keepsContributions: Bool) {
        counts = [Int](repeating: 0, count: cells)
        sums = [Double](repeating: 0, count: cells)
        absoluteSums = [Double](repeating: 0, count: cells)
        top = TopContributions(cells: keepsContributions ? cells : 0)
        self.keepsContributions = keepsContributions
    }

    /// One pass over the rows: the hot loop of every table.
    mutating func accumulate(index: CellIndex, measure: MeasureValues?, selection: RowSelection) {
        // Dispatch once on the kind of index, so each loop is specialised (no per-row dynamic call).
        switch index {
        case .bytes(let codes): accumulate(ByteCells(codes: codes), measure, selection)
        case .bytePair(let first, let second, let width):
            accumulate(BytePairCells(first: first, second: second, width: width), measure, selection)
        case .computed(let cells):
            cells.withUnsafeBufferPointer { accumulate(ComputedCells(index: $0.baseAddress!), measure, selection) }
        }
    }

    private mutating func accumulate<L: CellLookup>(_ lookup: L, _ measure: MeasureValues?, _ selection: RowSelection) {
        if let measure {
            accumulate(lookup, measure.pointer, selection)
        } else {
            count(lookup, selection)
        }
    }

    private mutating func count<L: CellLookup>(_ lookup: L, _ selection: RowSelection) {
        let n = selection.rowCount
        counts.withUnsafeMutableBufferPointer { counts in
            if let mask = selection.mask {
                for row in 0..<n where mask[row] == 1 { counts[lookup.cell(row)] += 1 }
            } else {
                for row in 0..<n { counts[lookup.cell(row)] += 1 }
            }
        }
    }

    private mutating func accumulate<L: CellLookup>(
        _ lookup: L, _ values: UnsafePointer<Double>, _ selection: RowSelection
    ) {
        let n = selection.rowCount
        let k = TopContributions.k
        var top = self.top.slots
        let mask = selection.mask
        counts.withUnsafeMutableBufferPointer { counts in
            sums.withUnsafeMutableBufferPointer { sums in
                absoluteSums.withUnsafeMutableBufferPointer { absoluteSums in
                    top.withUnsafeMutableBufferPointer { top in
                        var row = 0
                        while row < n {
                            defer { row &+= 1 }
                            if let mask, mask[row] != 1 { continue }
                            let cell = lookup.cell(row)
                            let value = values[row]
                            let magnitude = abs(value)
                            counts[cell] &+= 1
                            sums[cell] += value
                            absoluteSums[cell] += magnitude
                            let base = cell &* k
                            if magnitude > top[base &+ k &- 1] {
                                TopContributions.insert(magnitude, into: top.baseAddress! + base)
                            }
                        }
                    }
                }
            }
        }
        self.top.slots = top
    }

    /// Sum of squared deviations from each cell's mean (a second pass, numerically stable).
    func centredSquares(index: CellIndex, measure: MeasureValues, selection: RowSelection) -> [Double] {
        let means = zip(sums, counts).map { $1 > 0 ? $0 / Double($1) : 0 }
        var squares = [Double](repeating: 0, count: counts.count)
        index.withLookup { lookup in
            selection.forEachUsedRow { row in
                let cell = lookup.cell(row)
                let deviation = measure.pointer[row] - means[cell]
                squares[cell] += deviation * deviation
            }
        }
        return squares
    }

    /// The released median of each cell (`Quantiles`, as the summary's), nil for an empty cell
    /// and NaN for one with fewer than `Quantiles.medianMinimum` rows (never released: the checker
    /// withholds non-finite values): rows are bucketed by cell, then each bucket is sorted.
    func medians(index: CellIndex, measure: MeasureValues, selection: RowSelection) -> [Double?] {
        var starts = [Int](repeating: 0, count: counts.count + 1)
        for cell in counts.indices { starts[cell + 1] = starts[cell] + counts[cell] }
        var next = starts
        var values = [Double](repeating: 0, count: starts[counts.count])
        index.withLookup { lookup in
            selection.forEachUsedRow { row in
                let cell = lookup.cell(row)
                values[next[cell]] = measure.pointer[row]
                next[cell] += 1
            }
        }
        return counts.indices.map { cell in
            guard counts[cell] > 0 else { return nil }
            guard counts[cell] >= Quantiles.medianMinimum else { return .nan }
            values[starts[cell]..<starts[cell + 1]].sort()
            return Quantiles.of(sorted: values[starts[cell]..<starts[cell + 1]], 0.5)
        }
    }
}
