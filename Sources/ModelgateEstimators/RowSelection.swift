import ModelgateCore

/// Which rows a job uses: those that pass every filter and have a value in every used column.
/// A row whose filter column is missing fails that filter; a row that passes the filters but
/// misses a value the model uses is dropped, and counted.
///
/// `mask` is nil when every row is used, so the common unfiltered case costs nothing.
struct RowSelection {
    let rowCount: Int
    /// One byte per row: 1 when the row is used, ``droppedMark`` when it passed the filters but
    /// misses a value, 0 when it failed a filter.
    let mask: [UInt8]?
    let rowsUsed: Int
    /// Rows that passed the filters but miss a value the model uses.
    let rowsDropped: Int

    /// A selection by its mask alone (nil: every row used).
    init(rowCount: Int, mask: [UInt8]?) {
        self.rowCount = rowCount
        self.mask = mask
        rowsUsed = mask?.reduce(0) { $0 + ($1 == 1 ? 1 : 0) } ?? rowCount
        rowsDropped = mask?.reduce(0) { $0 + ($1 == Self.droppedMark ? 1 : 0) } ?? 0
    }

    init(plan: Plan, columns: ColumnSet) {
        rowCount = columns.rowCount
        let withMissing = plan.task.columns.compactMap { columns[$0] }.filter { $0.validity != nil }
        let filters = plan.filters.filter { filter in
            columns[filter.column].map { !Self.keepsEveryRow(filter, $0) } ?? true
        }
        if filters.isEmpty && withMissing.isEmpty && plan.unit == nil {
            mask = nil
            rowsUsed = rowCount
            rowsDropped = 0
            return
        }
        var mask = [UInt8](repeating: 1, count: rowCount)
        for filter in filters {
            guard let column = columns[filter.column] else { continue }
            Self.apply(filter, column, &mask)
            for row in 0..<rowCount where mask[row] == 1 && !column.isValid(row) { mask[row] = 0 }
        }
        var dropped = 0
        for column in withMissing {
            for row in 0..<rowCount where mask[row] == 1 && !column.isValid(row) {
                mask[row] = Self.droppedMark
                dropped += 1
            }
        }
        if let unit = plan.unit { Self.bound(unit, columns[unit.column], &mask) }
        self.mask = mask
        rowsDropped = dropped
        rowsUsed = mask.reduce(0) { $0 + ($1 == 1 ? 1 : 0) }
    }

    /// Privacy mode dp with a unit of several rows: each unit keeps its first `maxRows` used rows
    /// in file order, which depends on that unit's rows alone; a row without a unit is not used.
    /// Rows left out so are outside the selection (not counted as dropped).
    private static func bound(_ unit: PrivacyUnit, _ column: ColumnVector?, _ mask: inout [UInt8]) {
        guard let column else {
            for row in mask.indices { mask[row] = 0 }
            return
        }
        // Sized by every row's code, not the used rows': the memory a job takes does not depend
        // on which units its filters keep.
        var largest = 0
        for row in mask.indices { largest = max(largest, column.code(at: row)) }
        var kept = [UInt16](repeating: 0, count: largest + 1)
        for row in mask.indices where mask[row] == 1 {
            guard column.isValid(row) else {
                mask[row] = 0
                continue
            }
            let code = column.code(at: row)
            if Int(kept[code]) >= unit.maxRows {
                mask[row] = 0
            } else {
                kept[code] += 1
            }
        }
    }

    static let droppedMark: UInt8 = 2

    /// Writes each row's label: outside, dropped, or ``RowLabels/first`` plus `key(row)` for a
    /// used row (see ``RowLabels``).
    func writeLabels(into labels: UnsafeMutablePointer<UInt32>, key: (Int) -> Int) {
        guard let mask else {
            for row in 0..<rowCount { labels[row] = RowLabels.first &+ UInt32(truncatingIfNeeded: key(row)) }
            return
        }
        mask.withUnsafeBufferPointer { mask in
            for row in 0..<rowCount {
                switch mask[row] {
                case 1: labels[row] = RowLabels.first &+ UInt32(truncatingIfNeeded: key(row))
                case Self.droppedMark: labels[row] = RowLabels.dropped
                default: labels[row] = RowLabels.outside
                }
            }
        }
    }

    /// Calls `body` with each used row in order (of every `sampling`-th block of rows, for a
    /// sample; see ``sampledBlocks(_:)``); the mask is looked up once, not per row.
    @inline(__always)
    func forEachUsedRow(sampling: Int = 1, _ body: (Int) -> Void) {
        guard let mask else {
            for block in sampledBlocks(sampling) {
                for row in block { body(row) }
            }
            return
        }
        mask.withUnsafeBufferPointer { mask in
            for block in sampledBlocks(sampling) {
                for row in block where mask[row] == 1 { body(row) }
            }
        }
    }

    /// Rows are sampled a block of this many at a time.
    static let sampleBlock = 256

    /// Every `sampling`-th block of ``sampleBlock`` rows, from the first (every row for 1): a
    /// sample spread over the whole file, whose rows are read side by side. (Every `sampling`-th
    /// row would read a cache line of each column for each row.)
    func sampledBlocks(_ sampling: Int) -> some Sequence<Range<Int>> {
        let block = sampling == 1 ? max(rowCount, 1) : Self.sampleBlock
        return Swift.stride(from: 0, to: rowCount, by: block * sampling).lazy.map { $0..<min($0 + block, rowCount) }
    }

    /// Calls `body` with every row in order, and whether it is used, until it returns false.
    @inline(__always)
    func forEachRow(_ body: (_ row: Int, _ used: Bool) -> Bool) {
        guard let mask else {
            for row in 0..<rowCount where !body(row, true) { return }
            return
        }
        mask.withUnsafeBufferPointer { mask in
            for row in 0..<rowCount where !body(row, mask[row] == 1) { return }
        }
    }

    /// Whether a filter on levels keeps every row of `column` whatever its code: every level it
    /// holds is wanted and no value is missing (as privacy mode dp's filter to the declared levels
    /// is, when the data holds no other), so it need not be applied.
    static func keepsEveryRow(_ filter: PlannedFilter, _ column: ColumnVector) -> Bool {
        guard case .levels(let wanted) = filter.operand, filter.op == .isIn || filter.op == .equal,
            column.validity == nil, case .codes = column.storage
        else { return false }
        let set = Set(wanted)
        return column.levels.allSatisfy(set.contains)
    }

    private static func apply(_ filter: PlannedFilter, _ column: ColumnVector, _ mask: inout [UInt8]) {
        switch filter.operand {
        case .levels(let wanted):
            let hits = column.levels.map { wanted.contains($0) }
            let keep: (Bool) -> Bool = filter.op == .notEqual ? { !$0 } : { $0 }
            for row in mask.indices where mask[row] == 1 {
                let code = column.code(at: row)
                if !keep(code < hits.count && hits[code]) { mask[row] = 0 }
            }
        case .numbers(let values):
            let first = values[0]
            let test: (Double) -> Bool
            switch filter.op {
            case .equal: test = { $0 == first }
            case .notEqual: test = { $0 != first }
            case .less: test = { $0 < first }
            case .lessOrEqual: test = { $0 <= first }
            case .greater: test = { $0 > first }
            case .greaterOrEqual: test = { $0 >= first }
            case .isIn:
                let set = Set(values)
                test = { set.contains($0) }
            }
            for row in mask.indices where mask[row] == 1 && !test(column.double(at: row)) { mask[row] = 0 }
        }
    }
}
