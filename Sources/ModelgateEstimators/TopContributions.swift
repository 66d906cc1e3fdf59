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
        var i = Self.k - 1
        while i > 0 && slots[base + i - 1] < v {
            slots[base + i] = slots[base + i - 1]
            i -= 1
        }
        slots[base + i] = v
    }

    mutating func merge(_ other: TopContributions) {
        for cell in 0..<(slots.count / Self.k) {
            for i in 0..<Self.k where other.slots[cell * Self.k + i] >= 0 {
                offer(other.slots[cell * Self.k + i], cell: cell)
            }
        }
    }

    func largest(cell: Int) -> [Double] {
        Array(slots[(cell * Self.k)..<(cell * Self.k + Self.k)].prefix { $0 >= 0 })
    }
}
