import ModelgateCore

/// A table of counts, or of a statistic of a measure, over every combination of up to three
/// grouping columns' levels (zeros included: the checker decides what they disclose).
enum CrosstabEstimator {
    static func tabulate(
        _ task: CrosstabTask, plan: Plan, columns: ColumnSet, selection: RowSelection,
        labels: UnsafeMutablePointer<UInt32>? = nil
    ) throws(Refusal) -> RawTable {
        let groups = task.dimensions.map {
            GroupColumn(name: $0, column: columns[$0]!, planned: plan.column(named: $0), selection: selection)
        }
        let cellCount = groups.reduce(1) { $0 * $1.levels.count }
        guard cellCount > 0 else {
            throw Refusal(.invalidSpec, "a dimension has no levels: the dataset holds no value for it")
        }
        guard cellCount <= plan.maximumCells else {
            throw Refusal(
                .tooManyCells, "the table would have \(cellCount) cells; at most \(plan.maximumCells) are allowed")
        }
        // A count table needs no measure, even when one is named.
        let measure = task.statistic == .count ? nil : task.measure.flatMap { columns[$0] }.map(MeasureValues.init)
        var totals = CellTotals(cells: cellCount, keepsContributions: measure != nil)
        let index = cellIndex(groups, selection)
        totals.accumulate(index: index, measure: measure, selection: selection)
        if let labels {
            // A row's key is its cell, whatever the measure (see ReleaseLedger on why a boolean
            // measure's values split nothing).
            index.withLookup { lookup in selection.writeLabels(into: labels) { lookup.cell($0) } }
        }

        var spread: [Double]? = nil
        var medians: [Double?]? = nil
        if let measure, task.statistic == .std {
            spread = totals.centredSquares(index: index, measure: measure, selection: selection)
        }
        if let measure, task.statistic == .median {
            medians = totals.medians(index: index, measure: measure, selection: selection)
        }
        let cells = (0..<cellCount).map { cell -> RawCell in
            let count = totals.counts[cell]
            let sum = totals.sums[cell]
            let m2 = spread?[cell] ?? 0
            let value: Double?
            switch task.statistic {
            case .count: value = Double(count)
            case .sum: value = sum
            case .mean: value = count > 0 ? sum / Double(count) : nil
            case .std: value = count > 1 ? (m2 / Double(count - 1)).squareRoot() : nil
            case .median: value = medians?[cell] ?? nil
            }
            let contributions =
                measure == nil
                ? nil
                : Contributions(
                    count: count, absoluteSum: totals.absoluteSums[cell], largest: totals.top.largest(cell: cell),
                    isBinary: measure?.isBoolean ?? false)
            return RawCell(count: count, sum: sum, sumOfSquares: m2, value: value, contributions: contributions)
        }
        return RawTable(
            dimensions: groups.map { TableDimension(name: $0.name, levels: $0.levels) }, measure: task.measure,
            statistic: task.statistic, cells: cells)
    }

    /// Each row's cell, or a plain single-dimension byte column when that suffices.
    static func cellIndex(_ groups: [GroupColumn], _ selection: RowSelection) -> CellIndex {
        if groups.count == 1, case .bytes(let bytes) = groups[0].codes { return .bytes(bytes) }
        if groups.count == 2, case .bytes(let first) = groups[0].codes, case .bytes(let second) = groups[1].codes {
            return .bytePair(first, second, Int(groups[1].levels.count))
        }
        var index = [Int32](repeating: 0, count: selection.rowCount)
        for group in groups { group.fold(into: &index) }
        return .computed(index)
    }
}

/// Where each row falls, without materialising an index for the common one- and two-byte cases.
enum CellIndex {
    case bytes(UnsafePointer<UInt8>)
    case bytePair(UnsafePointer<UInt8>, UnsafePointer<UInt8>, Int)
    case computed([Int32])

    /// Calls `body` with a lookup specialised for this kind of index.
    func withLookup<R>(_ body: (any CellLookup) -> R) -> R {
        switch self {
        case .bytes(let codes): return body(ByteCells(codes: codes))
        case .bytePair(let first, let second, let width):
            return body(BytePairCells(first: first, second: second, width: width))
        case .computed(let index):
            return index.withUnsafeBufferPointer { body(ComputedCells(index: $0.baseAddress!)) }
        }
    }
}

protocol CellLookup {
    func cell(_ row: Int) -> Int
}

struct ByteCells: CellLookup {
    let codes: UnsafePointer<UInt8>
    @inline(__always) func cell(_ row: Int) -> Int { Int(codes[row]) }
}

struct BytePairCells: CellLookup {
    let first: UnsafePointer<UInt8>
    let second: UnsafePointer<UInt8>
    let width: Int
    @inline(__always) func cell(_ row: Int) -> Int { Int(first[row]) &* width &+ Int(second[row]) }
}

struct ComputedCells: CellLookup {
    let index: UnsafePointer<Int32>
    @inline(__always) func cell(_ row: Int) -> Int { Int(index[row]) }
}

/// A measure's values as Doubles: mapped directly for number columns, converted otherwise.
final class MeasureValues {
    let pointer: UnsafePointer<Double>
    var isBoolean: Bool { column.isBoolean }
    private let converted: UnsafeMutablePointer<Double>?
    private let column: ColumnVector

    init(_ column: ColumnVector) {
        self.column = column
        if case .numbers(let values) = column.storage {
            pointer = values
            converted = nil
        } else {
            let buffer = UnsafeMutablePointer<Double>.allocate(capacity: max(column.count, 1))
            column.copyDoubles(into: buffer)
            converted = buffer
            pointer = UnsafePointer(buffer)
        }
    }

    deinit { converted?.deallocate() }
}
