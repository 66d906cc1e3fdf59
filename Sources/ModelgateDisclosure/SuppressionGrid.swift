/// Which cells of an n-dimensional table are withheld, and why, with secondary suppression.
///
/// Secondary suppression protects a withheld cell from anyone who knows the table's true
/// totals (from its margins, or from another job): no withheld cell may be solvable from the
/// released cells and the totals of its lines (the cells that differ in one dimension only),
/// nor bounded to a small range. Two steps, repeated until neither adds a cell: every line
/// that withholds anything withholds at least two cells holding together at least
/// `protectedTotal` rows (adding its smallest released cells); then an exact audit solves the
/// linear system of line totals and, for every withheld cell it still pins down, withholds
/// another cell of that cell's lines (or, when they hold nothing released, of the table).
struct SuppressionGrid {
    let shape: [Int]
    let counts: [Int]
    /// Least number of rows the withheld cells of a line must hold together, so that a line
    /// total cannot show them all to be zero or tiny.
    let protectedTotal: Int
    /// The rule that withheld each cell, nil when released.
    var rules: [String?]

    /// Largest number of withheld cells the audit solves for; beyond it the table is refused.
    static let auditLimit = 600

    init(shape: [Int], counts: [Int], rules: [String?], protectedTotal: Int) {
        self.shape = shape
        self.counts = counts
        self.rules = rules
        self.protectedTotal = protectedTotal
    }

    var suppressedCount: Int { rules.filter { $0 != nil }.count }

    /// Applies secondary suppression; returns how many cells it added, or nil when too many cells
    /// are withheld to audit (the caller must then release nothing).
    mutating func suppressSecondary(rule: String) -> Int? {
        let lines = lines()
        let before = suppressedCount
        while true {
            completeLines(lines, rule: rule)
            guard suppressedCount <= Self.auditLimit else { return nil }
            let exposed = derivableCells(lines)
            if exposed.isEmpty { break }
            let released = rules.indices.filter { rules[$0] == nil }
            // With nothing released, the "derivation" needs the very totals this table withholds.
            if released.isEmpty { break }
            for cell in exposed {
                let neighbours = lines.filter { $0.contains(cell) }.flatMap { $0 }.filter { rules[$0] == nil }
                let candidates = neighbours.isEmpty ? released.filter { rules[$0] == nil } : neighbours
                guard let complement = candidates.min(by: { counts[$0] < counts[$1] }) else { continue }
                rules[complement] = rule
            }
        }
        return suppressedCount - before
    }

    /// Makes every line withhold nothing, or at least two cells holding `protectedTotal` rows.
    private mutating func completeLines(_ lines: [[Int]], rule: String) {
        var changed = true
        while changed {
            changed = false
            for line in lines {
                let withheld = line.filter { rules[$0] != nil }
                guard !withheld.isEmpty else { continue }
                var total = withheld.reduce(0) { $0 + counts[$1] }
                var count = withheld.count
                var candidates = line.filter { rules[$0] == nil }.sorted { counts[$0] < counts[$1] }
                while (count < 2 || total < protectedTotal), !candidates.isEmpty {
                    let complement = candidates.removeFirst()
                    rules[complement] = rule
                    total += counts[complement]
                    count += 1
                    changed = true
                }
            }
        }
    }

    /// Withheld cells whose value follows from the line totals: cell i is derivable when the unit
    /// vector e_i lies in the row space of the lines' incidence matrix over the withheld cells,
    /// which reduced row echelon form shows as a pivot row with a single nonzero entry.
    /// Hand-written Gaussian elimination: the matrices are small (lines × withheld cells) with
    /// entries 0 and 1, and no linear-algebra package is available to a Swift target here.
    func derivableCells(_ lines: [[Int]]) -> [Int] {
        let withheld = rules.indices.filter { rules[$0] != nil }
        guard !withheld.isEmpty else { return [] }
        let column = Dictionary(uniqueKeysWithValues: withheld.enumerated().map { ($1, $0) })
        let width = withheld.count
        var matrix: [[Double]] = lines.compactMap { line in
            let members = line.compactMap { column[$0] }
            guard !members.isEmpty else { return nil }
            var row = [Double](repeating: 0, count: width)
            for member in members { row[member] = 1 }
            return row
        }
        var pivotRow = 0
        var pivots: [(row: Int, column: Int)] = []
        for c in 0..<width where pivotRow < matrix.count {
            guard let best = (pivotRow..<matrix.count).max(by: { abs(matrix[$0][c]) < abs(matrix[$1][c]) }),
                abs(matrix[best][c]) > 1e-9
            else { continue }
            matrix.swapAt(pivotRow, best)
            let scale = matrix[pivotRow][c]
            for k in 0..<width { matrix[pivotRow][k] /= scale }
            for r in matrix.indices where r != pivotRow && abs(matrix[r][c]) > 1e-12 {
                let factor = matrix[r][c]
                for k in 0..<width { matrix[r][k] -= factor * matrix[pivotRow][k] }
            }
            pivots.append((pivotRow, c))
            pivotRow += 1
        }
        return pivots.filter { pivot in
            (0..<width).allSatisfy { $0 == pivot.column || abs(matrix[pivot.row][$0]) < 1e-9 }
        }.map { withheld[$0.column] }
    }

    /// Every line: for each dimension, the cells that share all other coordinates. A dimension
    /// with one level makes no lines: each would be a single cell, its own total.
    func lines() -> [[Int]] {
        var strides = [Int](repeating: 1, count: shape.count)
        for d in stride(from: shape.count - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * shape[d + 1] }
        let total = shape.reduce(1, *)
        var lines: [[Int]] = []
        for d in shape.indices where shape[d] > 1 || shape.count == 1 {
            // Starts of lines along d: cells whose coordinate in d is 0.
            for cell in 0..<total where (cell / strides[d]) % shape[d] == 0 {
                lines.append((0..<shape[d]).map { cell + $0 * strides[d] })
            }
        }
        return lines
    }
}
