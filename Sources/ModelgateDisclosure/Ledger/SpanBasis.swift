/// A sparse vector over ``PrimeField``: distinct columns, in no particular order, with nonzero values.
struct SparseVector: Equatable, Sendable {
    var columns: [Int32] = []
    var values: [UInt64] = []

    var isZero: Bool { columns.isEmpty }

    /// The indicator of `columns` (distinct).
    init(indicator columns: [Int32]) {
        self.columns = columns
        values = [UInt64](repeating: 1, count: columns.count)
    }

    init() {}
}

/// The span of the released row sets, in echelon form: every row is 1 at its own pivot column and
/// reaches no column ranked before it. Each column has a rank the caller chooses; the ledger ranks
/// large atoms before small ones, so that the rows pivoting on small atoms span exactly the
/// released combinations that involve small atoms only (see ``ReleaseLedger``).
///
/// Kept across jobs, it grows with them: a new set is reduced and added; an atom that splits gives
/// its value in every row to its new siblings (``split(_:ranks:)``), ranked after every column a
/// row reaching it could pivot on; a column whose rank must move later (a large atom split into
/// small ones) sends the row pivoting on it back through reduction.
///
/// Elimination runs in a dense accumulator as wide as the columns: a row only reaches columns
/// ranked at or after its pivot, so one sweep over the pivots in rank order reduces a vector
/// completely, in time proportional to the entries of the rows it meets. ``work`` counts those
/// entries, for the ledger's limit.
struct SpanBasis: Sendable {
    private(set) var rows: [SparseVector] = []
    /// Each row's pivot column.
    private(set) var pivotOf: [Int32] = []
    /// Each column's rank.
    private(set) var rank: [UInt32]
    private var rowOfPivot: [Int32]
    /// Pivot columns in increasing rank.
    private var pivots: [Int32] = []
    /// Zero everywhere between calls.
    private var dense: [UInt64]
    /// Row entries added into the accumulator so far.
    private(set) var work = 0

    /// Columns ranked in their order.
    init(columnCount: Int) {
        self.init(ranks: (0..<columnCount).map { UInt32($0) })
    }

    init(ranks: [UInt32]) {
        rank = ranks
        rowOfPivot = [Int32](repeating: -1, count: ranks.count)
        dense = [UInt64](repeating: 0, count: ranks.count)
    }

    /// Entries held by the rows.
    var entries: Int { rows.reduce(0) { $0 + $1.columns.count } }

    /// What is left of `vector` once every pivot it meets is eliminated: zero exactly when the
    /// vector lies in the span.
    mutating func reduce(_ vector: SparseVector) -> SparseVector {
        guard !vector.isZero else { return vector }
        var touched = vector.columns
        var used = 0
        let (rows, pivots, rowOfPivot, rank) = (rows, pivots, rowOfPivot, rank)
        let lowest = vector.columns.lazy.map { rank[Int($0)] }.min()!
        var k = lowerBound(lowest)
        dense.withUnsafeMutableBufferPointer { dense in
            for (column, value) in zip(vector.columns, vector.values) { dense[Int(column)] = value }
            while k < pivots.count {
                let pivot = Int(pivots[k])
                k += 1
                let factor = dense[pivot]
                guard factor != 0 else { continue }
                let row = rows[Int(rowOfPivot[pivot])]
                used += row.columns.count
                Self.subtract(row, times: factor, from: dense, touched: &touched)
            }
        }
        work += used
        return gather(touched)
    }

    /// Adds `vector` to the span; false when it was already in it.
    @discardableResult
    mutating func insert(_ vector: SparseVector) -> Bool {
        let remainder = reduce(vector)
        guard !remainder.isZero else { return false }
        place(remainder, at: rows.count)
        return true
    }

    /// The rows whose pivot is ranked at `boundary` or later, latest pivot first.
    func rows(from boundary: UInt32) -> [Int] {
        pivots[lowerBound(boundary)...].reversed().map { Int(rowOfPivot[Int($0)]) }
    }

    /// The rows whose pivot is ranked at `boundary` or later, reduced against one another (each
    /// pivot column zero in every other of these rows): a basis of the span's vectors that are zero
    /// on every column ranked before `boundary`, in which a vector's coefficients are its values at
    /// the pivots. nil when that would add more than `budget` entries.
    mutating func reducedRows(from boundary: UInt32, budget: Int = .max) -> [SparseVector]? {
        reducedRows(rows(from: boundary), budget: budget)
    }

    /// The rows `late`, latest pivot first, reduced against one another.
    mutating func reducedRows(_ late: [Int], budget: Int = .max) -> [SparseVector]? {
        let pivotColumns = late.map { Int(pivotOf[$0]) }
        var done: [SparseVector] = []
        done.reserveCapacity(late.count)
        var spent = 0
        // From the last pivot back: each row is cleared of the pivots of the rows after it, which
        // hold no other pivot of these, so the order of clearing does not matter.
        for (i, index) in late.enumerated() {
            let row = rows[index]
            var touched = row.columns
            var used = 0
            dense.withUnsafeMutableBufferPointer { dense in
                for (column, value) in zip(row.columns, row.values) { dense[Int(column)] = value }
                for j in 0..<i {
                    let factor = dense[pivotColumns[j]]
                    guard factor != 0 else { continue }
                    used += done[j].columns.count
                    Self.subtract(done[j], times: factor, from: dense, touched: &touched)
                }
            }
            work += used
            spent += used
            done.append(gather(touched))
            if spent > budget { return nil }
        }
        return done
    }

    /// New columns, each a copy of an existing one (an atom split from its parent): every row
    /// holds its parent's value there, and so does each of `others`. `ranks` gives every column's
    /// rank after the split; a column may only move later, and a new column must be ranked after
    /// every pivot of a row that reaches its parent. A row pivoting on a column that moved is
    /// reduced again. Returns whether one was.
    mutating func split(
        _ splits: [(atom: UInt32, parent: UInt32)], ranks: [UInt32], alongWith others: inout [SparseVector]
    ) -> Bool {
        precondition(ranks.count >= rank.count, "columns are only added")
        let added = ranks.count - rank.count
        rowOfPivot += [Int32](repeating: -1, count: added)
        dense += [UInt64](repeating: 0, count: added)
        var children = [[Int32]](repeating: [], count: ranks.count)
        for split in splits { children[Int(split.parent)].append(Int32(split.atom)) }
        func expand(_ vector: inout SparseVector) {
            for e in vector.columns.indices {
                let value = vector.values[e]
                for child in children[Int(vector.columns[e])] {
                    vector.columns.append(child)
                    vector.values.append(value)
                }
            }
        }
        if !splits.isEmpty {
            for i in rows.indices { expand(&rows[i]) }
            for i in others.indices { expand(&others[i]) }
        }
        var moved: [Int] = []
        for (column, old) in rank.enumerated() where ranks[column] != old {
            precondition(ranks[column] > old, "a column's rank only moves later")
            let row = rowOfPivot[column]
            if row >= 0 {
                moved.append(Int(row))
                rowOfPivot[column] = -1
            }
        }
        let movedPivots = Set(moved.map { pivotOf[$0] })
        pivots.removeAll { movedPivots.contains($0) }
        rank = ranks
        for row in moved {
            let remainder = reduce(rows[row])
            precondition(!remainder.isZero, "the rows of a basis are independent")
            place(remainder, at: row)
        }
        return !moved.isEmpty
    }

    /// Stores `vector`, scaled to 1 at its lowest-ranked column, as the row at `index`.
    private mutating func place(_ vector: SparseVector, at index: Int) {
        var vector = vector
        let at = vector.columns.indices.min { rank[Int(vector.columns[$0])] < rank[Int(vector.columns[$1])] }!
        let pivot = vector.columns[at]
        let scale = PrimeField.inverse(vector.values[at])
        vector.values = vector.values.map { PrimeField.multiply($0, scale) }
        if index == rows.count {
            rows.append(vector)
            pivotOf.append(pivot)
        } else {
            rows[index] = vector
            pivotOf[index] = pivot
        }
        rowOfPivot[Int(pivot)] = Int32(index)
        pivots.insert(pivot, at: lowerBound(rank[Int(pivot)]))
    }

    /// `dense −= factor · row`, noting the columns it reaches.
    private static func subtract(
        _ row: SparseVector, times factor: UInt64, from dense: UnsafeMutableBufferPointer<UInt64>,
        touched: inout [Int32]
    ) {
        let negated = PrimeField.negate(factor)
        row.columns.withUnsafeBufferPointer { columns in
            row.values.withUnsafeBufferPointer { values in
                for e in 0..<columns.count {
                    let column = Int(columns[e])
                    let old = dense[column]
                    if old == 0 { touched.append(columns[e]) }
                    dense[column] = PrimeField.add(old, PrimeField.multiply(negated, values[e]))
                }
            }
        }
    }

    /// The accumulator's nonzero entries among `touched` (each once: the accumulator is left zero).
    private mutating func gather(_ touched: [Int32]) -> SparseVector {
        var result = SparseVector()
        dense.withUnsafeMutableBufferPointer { dense in
            for column in touched where dense[Int(column)] != 0 {
                result.columns.append(column)
                result.values.append(dense[Int(column)])
                dense[Int(column)] = 0
            }
        }
        return result
    }

    /// The first pivot ranked at `target` or later.
    private func lowerBound(_ target: UInt32) -> Int {
        var low = 0
        var high = pivots.count
        while low < high {
            let middle = (low + high) / 2
            if rank[Int(pivots[middle])] < target { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
