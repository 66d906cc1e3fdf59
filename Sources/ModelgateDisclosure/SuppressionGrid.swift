/// Which cells of an n-dimensional table are withheld, with secondary suppression.
///
/// Secondary suppression protects a withheld cell from anyone who knows the table's true
/// totals (from its margins, from another job, from the dataset's size): in a table of counts no
/// withheld cell may be narrowed to fewer than `threshold` possible counts, in a table of a
/// measure none may be solved, from the released cells, the totals of its lines (the cells that
/// differ in one dimension only) and what anyone can tell of a withheld count (see
/// `CountBounds`). Two steps, repeated until neither adds a cell: every line that withholds
/// anything withholds at least two cells holding together at least `protectedTotal` rows (adding
/// released cells that hold any); then an audit bounds every withheld cell by linear programming
/// and, if it narrows any, withholds one more cell of the first narrowed cell's lines (or, when
/// they hold nothing released, of the table).
///
/// Complements are taken in the order of `priority`, which the caller draws from a secret (see
/// `ComplementOrder`), never by their counts: anyone who could re-run a known choice on every
/// table the released cells allow would keep only the tables that give the same pattern. Taken
/// smallest first, a released cell of 20 beside a withheld pair summing to 29 pins the small one
/// to 9: had it held less, the other 20 would have tied and been taken first.
struct SuppressionGrid {
    let shape: [Int]
    let counts: [Int]
    /// The order in which released cells are taken as complements, lowest first (ties by index).
    let priority: [UInt64]
    /// Least number of rows the withheld cells of a line must hold together, so that a line
    /// total cannot show them all to be zero or tiny.
    let protectedTotal: Int
    /// What anyone can tell of a withheld count, in a table of counts; nil in a table of a measure,
    /// whose withheld values are taken to be unbounded.
    let bounds: CountBounds?
    /// The rule that withheld each cell, nil when released.
    var rules: [String?]

    /// Largest number of withheld cells the audit solves for; beyond it the table is refused.
    static let auditLimit = 600

    init(
        shape: [Int], counts: [Int], priority: [UInt64], rules: [String?], protectedTotal: Int,
        bounds: CountBounds? = nil
    ) {
        self.shape = shape
        self.counts = counts
        self.priority = priority
        self.rules = rules
        self.protectedTotal = protectedTotal
        self.bounds = bounds
    }

    var suppressedCount: Int { rules.filter { $0 != nil }.count }

    /// Applies secondary suppression; returns how many cells it added, or nil when the withheld
    /// cells cannot be protected: too many to audit, or narrowed with nothing left to withhold
    /// beside them (the caller must then release nothing).
    mutating func suppressSecondary(rule: String) -> Int? {
        // Lines and cells are visited in the order of their priorities, never of their places: a
        // table asked with its dimensions or levels in another order withholds the same cells.
        let lines = lines().map { line in (line, line.map { priority[$0] }.sorted()) }
            .sorted { $0.1.lexicographicallyPrecedes($1.1) }.map(\.0)
        let margins = margins()
        let before = suppressedCount
        while true {
            completeLines(lines, rule: rule)
            guard suppressedCount <= Self.auditLimit, let exposed = narrowedCells(margins: margins)
            else { return nil }
            if exposed.isEmpty { break }
            // One complement at a time, for the first narrowed cell that has one, then audit
            // again: one each for every narrowed cell would make how many are added depend on
            // how many were narrowed, which the pattern shows (`ComplementSimulationTests` found
            // [6, 1, 1, 7] at threshold 3 narrowed that way to 1 or 7).
            guard let complement = firstComplement(exposed: exposed, lines: lines) else { return nil }
            rules[complement] = rule
        }
        return suppressedCount - before
    }

    /// The complement for the first narrowed cell (by priority) that has one: the first released
    /// cell holding rows in its lines or, when they hold none, in the table. Nil when every cell
    /// that holds a row is withheld and the totals still narrow one: a table whose totals are
    /// public elsewhere (the dataset's size, say) would give it away.
    private func firstComplement(exposed: [Int], lines: [[Int]]) -> Int? {
        for cell in exposed.sorted(by: precedes) {
            let neighbours = lines.filter { $0.contains(cell) }.flatMap { $0 }.filter(isComplement)
            let candidates = neighbours.isEmpty ? rules.indices.filter(isComplement) : neighbours
            if let complement = candidates.min(by: precedes) { return complement }
        }
        return nil
    }

    /// A released cell that secondary suppression may withhold: one holding rows (withholding an
    /// empty cell protects nothing).
    private func isComplement(_ cell: Int) -> Bool { rules[cell] == nil && counts[cell] > 0 }

    /// Whether `a` is taken as a complement before `b`.
    private func precedes(_ a: Int, _ b: Int) -> Bool { (priority[a], a) < (priority[b], b) }

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
                var candidates = line.filter(isComplement).sorted(by: precedes)
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

    /// Withheld cells that the margins' totals, the released cells and the bounds narrow too far:
    /// to fewer than `threshold` possible counts, or (in a table of a measure) to one value. Nil
    /// when the solver cannot tell, which the caller takes as the worst.
    ///
    /// The bounds are those of the linear relaxation: in a table of three or more dimensions the
    /// whole numbers may allow fewer values than the relaxation, which this audit does not see.
    func narrowedCells(margins: [[Int]]) -> [Int]? {
        let withheld = rules.indices.filter { rules[$0] != nil }
        guard !withheld.isEmpty else { return [] }
        let variable = Dictionary(uniqueKeysWithValues: withheld.enumerated().map { ($1, $0) })
        // A margin of fewer than `protectedTotal` rows has a total nobody can know: the release
        // ledger never lets a set of fewer than `threshold` rows be derived.
        let known = margins.filter { $0.reduce(0) { $0 + counts[$1] } >= protectedTotal }
        let equations = known.map { $0.compactMap { variable[$0] } }.filter { !$0.isEmpty }
        let totals = equations.map { $0.reduce(0.0) { $0 + Double(counts[withheld[$1]]) } }
        let ranges = withheld.map(knownRange)
        let program = LinearProgram(
            lower: ranges.map(\.lower), upper: ranges.map(\.upper), equations: equations, totals: totals)
        // Between the least and the greatest possible count, `threshold` values or more.
        let spread = bounds.map { Double($0.threshold - 1) - Self.tolerance } ?? Self.tolerance

        // Every solution is a table the totals allow: the least and greatest value each cell took
        // in any of them settle most cells without a solve of their own.
        var seenLow = withheld.map { Double(counts[$0]) }
        var seenHigh = seenLow
        var narrowed: [Int] = []
        for v in withheld.indices {
            for maximum in [false, true] where seenHigh[v] - seenLow[v] < spread {
                let (extreme, solution) = program.extreme(of: v, maximum: maximum)
                switch extreme {
                case .unknown: return nil
                case .unbounded:
                    if maximum { seenHigh[v] = .infinity } else { seenLow[v] = -.infinity }
                case .value:
                    for (w, x) in (solution ?? []).enumerated() {
                        seenLow[w] = min(seenLow[w], x)
                        seenHigh[w] = max(seenHigh[w], x)
                    }
                }
            }
            if seenHigh[v] - seenLow[v] < spread { narrowed.append(withheld[v]) }
        }
        return narrowed
    }

    /// Slack for the solver's rounding; the counts are whole numbers.
    static let tolerance = 1e-6

    /// The least and greatest count anyone can tell a withheld cell holds (see `CountBounds`).
    func knownRange(of cell: Int) -> (lower: Double, upper: Double) {
        let none = LinearProgram.infinity
        return (bounds.map { Double($0.smallest) } ?? -none, none)
    }

    /// Every line: for each dimension, the cells that share all other coordinates. A dimension
    /// with one level makes no lines: each would be a single cell, its own total.
    func lines() -> [[Int]] {
        let strides = strides()
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

    /// How far apart, in row-major cell indices, consecutive levels of each dimension are.
    private func strides() -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        for d in stride(from: shape.count - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * shape[d + 1] }
        return strides
    }

    /// Every margin of the table (the cells that agree on some dimensions, summed over the
    /// others: lines, planes, the grand total) of more than one cell, whose totals other jobs and
    /// the dataset's size may tell.
    func margins() -> [[Int]] {
        let total = shape.reduce(1, *)
        let strides = strides()
        var margins: Set<[Int]> = []
        // Each mask names the dimensions a margin keeps; the full mask would keep single cells.
        for kept in 0..<((1 << shape.count) - 1) {
            var groups: [[Int]: [Int]] = [:]
            for cell in 0..<total {
                let key = shape.indices.filter { kept & (1 << $0) != 0 }.map { (cell / strides[$0]) % shape[$0] }
                groups[key, default: []].append(cell)
            }
            margins.formUnion(groups.values.filter { $0.count > 1 })
        }
        return margins.sorted { $0.lexicographicallyPrecedes($1) }
    }
}

/// What anyone who knows how cells are withheld can tell of a withheld count. Withheld cells do
/// not say why (a label would bound them: "small" is `smallest ..< threshold`, "complement" at
/// least `threshold`), and complements are taken in a secret order, not smallest first (which
/// would bound a complement by the cells still released in its lines), so a withheld cell holds
/// at least `smallest` rows (0 where empty cells are withheld, 1 where they are released as 0)
/// and nothing more is known of it.
struct CountBounds {
    let threshold: Int
    let smallest: Int
}
