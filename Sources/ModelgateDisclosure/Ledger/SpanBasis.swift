/// A sparse vector over ``PrimeField``: strictly increasing column positions, nonzero values.
struct SparseVector: Equatable {
    var columns: [Int32] = []
    var values: [UInt64] = []

    var isZero: Bool { columns.isEmpty }

    /// The indicator of `positions` (sorted, distinct).
    init(indicator positions: [Int32]) {
        columns = positions
        values = [UInt64](repeating: 1, count: positions.count)
    }

    init() {}

    /// `self + factor · other`, merged in one pass.
    func adding(_ other: SparseVector, times factor: UInt64) -> SparseVector {
        var result = SparseVector()
        result.columns.reserveCapacity(columns.count + other.columns.count)
        result.values.reserveCapacity(columns.count + other.columns.count)
        var i = 0
        var j = 0
        while i < columns.count || j < other.columns.count {
            let a = i < columns.count ? columns[i] : Int32.max
            let b = j < other.columns.count ? other.columns[j] : Int32.max
            let value: UInt64
            let column: Int32
            if a < b {
                (column, value) = (a, values[i])
                i += 1
            } else if b < a {
                (column, value) = (b, PrimeField.multiply(factor, other.values[j]))
                j += 1
            } else {
                (column, value) = (a, PrimeField.add(values[i], PrimeField.multiply(factor, other.values[j])))
                i += 1
                j += 1
            }
            if value != 0 {
                result.columns.append(column)
                result.values.append(value)
            }
        }
        return result
    }
}

/// The span of the released row sets, in echelon form: every row starts at its own pivot column,
/// scaled to 1 there. Columns are positions of atoms in an order the caller chooses; the ledger
/// puts large atoms first so that the rows pivoting on small atoms span exactly the released
/// combinations that involve small atoms only (see ``ReleaseLedger``).
struct SpanBasis {
    private(set) var rows: [SparseVector] = []
    private var rowOfPivot: [Int32]

    init(columnCount: Int) {
        rowOfPivot = [Int32](repeating: -1, count: columnCount)
    }

    /// What is left of `vector` once every pivot it meets is eliminated: zero exactly when the
    /// vector lies in the span. Entries at columns that are nobody's pivot stay in place, in order.
    func reduce(_ vector: SparseVector) -> SparseVector {
        var kept = SparseVector()
        var rest = vector
        while !rest.isZero {
            // Columns before the first pivot column met are final: no row reaches back there.
            var first = 0
            while first < rest.columns.count && rowOfPivot[Int(rest.columns[first])] < 0 { first += 1 }
            kept.columns += rest.columns[..<first]
            kept.values += rest.values[..<first]
            guard first < rest.columns.count else { break }
            let row = rows[Int(rowOfPivot[Int(rest.columns[first])])]
            var tail = SparseVector()
            tail.columns = Array(rest.columns[first...])
            tail.values = Array(rest.values[first...])
            rest = tail.adding(row, times: PrimeField.negate(tail.values[0]))
        }
        return kept
    }

    /// Adds `vector` to the span; false when it was already in it.
    @discardableResult
    mutating func insert(_ vector: SparseVector) -> Bool {
        var remainder = reduce(vector)
        guard !remainder.isZero else { return false }
        let scale = PrimeField.inverse(remainder.values[0])
        remainder.values = remainder.values.map { PrimeField.multiply($0, scale) }
        rowOfPivot[Int(remainder.columns[0])] = Int32(rows.count)
        rows.append(remainder)
        return true
    }

    /// The rows whose pivot is at `firstColumn` or later, reduced against one another (each pivot
    /// column zero in every other of these rows): a basis of the span's vectors that are zero
    /// before `firstColumn`, in which a vector's coefficients are its values at the pivots.
    func reducedRows(from firstColumn: Int32) -> [SparseVector] {
        var chosen = rows.filter { $0.columns[0] >= firstColumn }.sorted { $0.columns[0] > $1.columns[0] }
        // From the last pivot back: each row is cleared of the pivots of the rows after it.
        for i in chosen.indices {
            for j in 0..<i {
                let pivot = chosen[j].columns[0]
                guard let at = binarySearch(chosen[i].columns, pivot) else { continue }
                chosen[i] = chosen[i].adding(chosen[j], times: PrimeField.negate(chosen[i].values[at]))
            }
        }
        return chosen
    }

    private func binarySearch(_ columns: [Int32], _ target: Int32) -> Int? {
        var low = 0
        var high = columns.count
        while low < high {
            let middle = (low + high) / 2
            if columns[middle] < target { low = middle + 1 } else { high = middle }
        }
        return low < columns.count && columns[low] == target ? low : nil
    }
}
