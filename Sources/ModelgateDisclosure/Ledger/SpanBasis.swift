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
}

/// The span of the released row sets, in echelon form: every row starts at its own pivot column,
/// scaled to 1 there. Columns are positions of atoms in an order the caller chooses; the ledger
/// puts large atoms first so that the rows pivoting on small atoms span exactly the released
/// combinations that involve small atoms only (see ``ReleaseLedger``).
///
/// Elimination runs in a dense accumulator as wide as the columns: a row only reaches columns at
/// or after its pivot, so one sweep over the pivots in order reduces a vector completely, in time
/// proportional to the entries of the rows it meets. ``work`` counts those entries, for the
/// ledger's limit.
struct SpanBasis {
    private(set) var rows: [SparseVector] = []
    private var rowOfPivot: [Int32]
    /// Pivot columns in increasing order.
    private var pivots: [Int32] = []
    /// Zero everywhere between calls.
    private var dense: [UInt64]
    /// Row entries added into the accumulator so far.
    private(set) var work = 0

    init(columnCount: Int) {
        rowOfPivot = [Int32](repeating: -1, count: columnCount)
        dense = [UInt64](repeating: 0, count: columnCount)
    }

    /// What is left of `vector` once every pivot it meets is eliminated: zero exactly when the
    /// vector lies in the span.
    mutating func reduce(_ vector: SparseVector) -> SparseVector {
        guard let first = vector.columns.first else { return vector }
        var touched = vector.columns
        var used = 0
        let (rows, pivots, rowOfPivot) = (rows, pivots, rowOfPivot)
        var k = lowerBound(pivots, first)
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
        var remainder = reduce(vector)
        guard let pivot = remainder.columns.first else { return false }
        let scale = PrimeField.inverse(remainder.values[0])
        remainder.values = remainder.values.map { PrimeField.multiply($0, scale) }
        rowOfPivot[Int(pivot)] = Int32(rows.count)
        pivots.insert(pivot, at: lowerBound(pivots, pivot))
        rows.append(remainder)
        return true
    }

    /// The rows whose pivot is at `firstColumn` or later, reduced against one another (each pivot
    /// column zero in every other of these rows): a basis of the span's vectors that are zero
    /// before `firstColumn`, in which a vector's coefficients are its values at the pivots.
    mutating func reducedRows(from firstColumn: Int32) -> [SparseVector] {
        var chosen = rows.filter { $0.columns[0] >= firstColumn }.sorted { $0.columns[0] > $1.columns[0] }
        // From the last pivot back: each row is cleared of the pivots of the rows after it, which
        // hold no other pivot of these, so the order of clearing does not matter.
        for i in chosen.indices {
            var touched = chosen[i].columns
            var used = 0
            let earlier = chosen
            dense.withUnsafeMutableBufferPointer { dense in
                for (column, value) in zip(earlier[i].columns, earlier[i].values) { dense[Int(column)] = value }
                for j in 0..<i {
                    let factor = dense[Int(earlier[j].columns[0])]
                    guard factor != 0 else { continue }
                    used += earlier[j].columns.count
                    Self.subtract(earlier[j], times: factor, from: dense, touched: &touched)
                }
            }
            work += used
            chosen[i] = gather(touched)
        }
        return chosen
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

    /// The accumulator's nonzero entries among `touched`, in order; the accumulator left zero.
    private mutating func gather(_ touched: [Int32]) -> SparseVector {
        var result = SparseVector()
        dense.withUnsafeMutableBufferPointer { dense in
            for column in touched.sorted() where dense[Int(column)] != 0 {
                result.columns.append(column)
                result.values.append(dense[Int(column)])
                dense[Int(column)] = 0
            }
        }
        return result
    }

    private func lowerBound(_ sorted: [Int32], _ target: Int32) -> Int {
        var low = 0
        var high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] < target { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
