/// Which cells of an n-dimensional table are withheld, and why, with secondary suppression.
///
/// Secondary suppression: a line of the table (all cells that differ in one dimension only) that
/// withholds exactly one cell would let anyone who knows the line's total — from this table's
/// margins or from another job — recompute it. So while some line has a single suppressed cell,
/// the released cell with the smallest count in that line is suppressed too.
struct SuppressionGrid {
    let shape: [Int]
    let counts: [Int]
    /// The rule that withheld each cell, nil when released.
    var rules: [String?]

    init(shape: [Int], counts: [Int], rules: [String?]) {
        self.shape = shape
        self.counts = counts
        self.rules = rules
    }

    var suppressedCount: Int { rules.filter { $0 != nil }.count }

    /// Applies secondary suppression until every line withholds zero or at least two cells;
    /// returns how many cells it added.
    mutating func suppressSecondary(rule: String) -> Int {
        var added = 0
        var changed = true
        while changed {
            changed = false
            for line in lines() {
                let withheld = line.filter { rules[$0] != nil }
                guard withheld.count == 1 else { continue }
                let candidates = line.filter { rules[$0] == nil }
                guard let complement = candidates.min(by: { counts[$0] < counts[$1] }) else { continue }
                rules[complement] = rule
                added += 1
                changed = true
            }
        }
        return added
    }

    /// Every line: for each dimension, the cells that share all other coordinates.
    func lines() -> [[Int]] {
        var strides = [Int](repeating: 1, count: shape.count)
        for d in stride(from: shape.count - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * shape[d + 1] }
        let total = shape.reduce(1, *)
        var lines: [[Int]] = []
        for d in shape.indices {
            // Starts of lines along d: cells whose coordinate in d is 0.
            for cell in 0..<total where (cell / strides[d]) % shape[d] == 0 {
                lines.append((0..<shape[d]).map { cell + $0 * strides[d] })
            }
        }
        return lines
    }
}
