import ModelgateCore

/// Keeps the largest absolute contributions of many cells at once, in one flat buffer, so that
/// the hot loop rejects the common case (a value smaller than the cell's smallest kept one) with
/// one comparison.
struct TopContributions {
    static let k = Contributions.kept
    /// `k` slots per cell, descending; empty slots hold -1 (contributions are absolute, ≥ 0).
    var slots: [Double]

    init(cells: Int) {
        slots = [Double](repeating: -1, count: cells * Self.k)
    }

    @inline(__always)
    mutating func offer(_ value: Double, cell: Int) {
        let v = abs(value)
        let base = cell &* Self.k
        if v <= slots[base &+ Self.k &- 1] { return }
        slots.withUnsafeMutableBufferPointer { Self.insert(v, into: $0.baseAddress! + base) }
    }

    /// Inserts `value`, larger than the smallest kept, into one cell's `k` descending slots.
    /// Out of line: the caller's hot loop only compares with the last slot.
    @inline(never)
    static func insert(_ value: Double, into slots: UnsafeMutablePointer<Double>) {
        var i = k - 1
        while i > 0 && slots[i - 1] < value {
            slots[i] = slots[i - 1]
            i -= 1
        }
        slots[i] = value
    }

    func largest(cell: Int) -> [Double] {
        Array(slots[(cell * Self.k)..<(cell * Self.k + Self.k)].prefix { $0 >= 0 })
    }
}
