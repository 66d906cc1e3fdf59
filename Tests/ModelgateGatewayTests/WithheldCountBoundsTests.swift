import ModelgateTestSupport
import Testing

@testable import ModelgateCore
@testable import ModelgateDisclosure
@testable import ModelgateGateway

/// Attacks on withheld counts by bounds: a table's true margins (public from the dataset's size or
/// from other jobs) together with what anyone can tell of a withheld cell. Until this audit, each
/// withheld cell said which rule withheld it; "small" means fewer than `threshold`, "complement"
/// at least `threshold`, and with a margin the two bound each other.
@Suite struct WithheldCountBoundsTests {
    let rules = DisclosureRules()
    var threshold: Int { rules.threshold }
    /// Stands for "no bound" in the attacker's ranges.
    static let unbounded = 1 << 40

    /// The attacker: interval propagation. Each known margin's withheld cells add up to its total
    /// less its released cells; each cell's range is cut to that total less the others' ranges,
    /// until nothing changes. Written apart from the checker's linear programming (and weaker
    /// than it): what it narrows, the checker must have seen.
    func propagate(_ ranges: [Int: ClosedRange<Int>], margins: [(cells: [Int], total: Int)]) -> [Int: ClosedRange<Int>]
    {
        var ranges = ranges
        var changed = true
        while changed {
            changed = false
            for margin in margins {
                let members = margin.cells.filter { ranges[$0] != nil }
                for cell in members {
                    let others = members.filter { $0 != cell }
                    let low = margin.total - others.reduce(0) { $0 + ranges[$1]!.upperBound }
                    let high = margin.total - others.reduce(0) { $0 + ranges[$1]!.lowerBound }
                    let old = ranges[cell]!
                    let new = max(old.lowerBound, low)...max(max(old.lowerBound, low), min(old.upperBound, high))
                    if new != old {
                        ranges[cell] = new
                        changed = true
                    }
                }
            }
        }
        return ranges
    }

    /// The margins of a rows × columns table the attacker knows: every row, column and the grand
    /// total of more than one cell holding at least `threshold` rows (the release ledger keeps smaller ones unknown), each
    /// less its released cells.
    func knownMargins(_ counts: [Int], columns: Int, released: (Int) -> Bool) -> [(cells: [Int], total: Int)] {
        let rows = counts.count / columns
        var sets = (0..<rows).map { r in (0..<columns).map { r * columns + $0 } }
        sets += (0..<columns).map { c in (0..<rows).map { $0 * columns + c } }
        sets.append(Array(counts.indices))
        return sets.filter { $0.count > 1 && $0.reduce(0) { $0 + counts[$1] } >= threshold }.map { cells in
            (cells.filter { !released($0) }, cells.filter { !released($0) }.reduce(0) { $0 + counts[$1] })
        }
    }

    /// What anyone can tell of each withheld cell of a released table, knowing how cells are
    /// withheld but neither why each one was nor the secret order of complements: at least 0
    /// (empty cells are withheld). What re-running the choice on candidate tables adds is
    /// attacked in `ComplementSimulationTests`.
    func publicRanges(_ counts: [Int], columns: Int, withheld: [Int]) -> [Int: ClosedRange<Int>] {
        Dictionary(uniqueKeysWithValues: withheld.map { ($0, 0...Self.unbounded) })
    }

    /// What the old labels told: "threshold" cells hold 0 … threshold − 1 rows, complements at least
    /// `threshold`.
    func labelledRanges(_ rules: [String?]) -> [Int: ClosedRange<Int>] {
        var ranges: [Int: ClosedRange<Int>] = [:]
        for (cell, rule) in rules.enumerated() {
            guard let rule else { continue }
            ranges[cell] = rule == DisclosureRule.threshold ? 0...(threshold - 1) : threshold...Self.unbounded
        }
        return ranges
    }

    func check(_ counts: [Int], columns: Int) -> ReleasedTable? {
        let cells = counts.map { RawCell(count: $0, sum: 0, sumOfSquares: 0, value: Double($0), contributions: nil) }
        let dimensions =
            columns == counts.count
            ? [TableDimension(name: "c", levels: counts.indices.map { "\($0)" })]
            : [
                TableDimension(name: "r", levels: (0..<(counts.count / columns)).map { "\($0)" }),
                TableDimension(name: "c", levels: (0..<columns).map { "\($0)" }),
            ]
        let raw = RawResult(
            rowsScanned: 0, rowsUsed: 0, rowsDropped: 0,
            output: .table(RawTable(dimensions: dimensions, measure: nil, statistic: .count, cells: cells)))
        guard case .released(.table(let table), _) = OutputChecker(rules: rules, order: .forTests).check(raw) else {
            return nil
        }
        return table
    }

    @Test func aSmallCellsLabelAndThePublicTotalNoLongerPinIt() throws {
        // One person, beside 10, 50 and 60: the dataset's size gives the total, 121.
        let counts = [1, 10, 50, 60]

        // Positive control: withholding the 1 and, as its complement, the 10, labelled as before,
        // leaves 11 for the two; "at least 10" for the complement leaves the small cell 0 or 1.
        var old = SuppressionGrid(
            shape: [4], counts: counts, priority: counts.map(UInt64.init),
            rules: [DisclosureRule.threshold, nil, nil, nil], protectedTotal: threshold)
        let added = old.suppressSecondary(rule: DisclosureRule.secondary)
        #expect(added == 1)
        #expect(old.rules == [DisclosureRule.threshold, DisclosureRule.secondary, nil, nil])
        let margin = [(cells: [0, 1], total: 11)]
        let pinned = try #require(propagate(labelledRanges(old.rules), margins: margin)[0])
        #expect(pinned == 0...1 && pinned.contains(counts[0]))
        // Now the 1 and a complement (whichever the secret order takes) are withheld without
        // saying which is small: each holds anything from 0 to the pair's total.
        let table = try #require(check(counts, columns: 4))
        let withheld = table.cells.indices.filter { table.cells[$0].suppressed }
        #expect(withheld.count == 2 && withheld.contains(0))
        let ranges = propagate(
            publicRanges(counts, columns: 4, withheld: withheld),
            margins: knownMargins(counts, columns: 4) { !withheld.contains($0) })
        for cell in withheld { #expect(ranges[cell]!.count >= threshold, "cell \(cell): \(ranges[cell]!)") }
    }

    @Test func aTwoWayTableWithoutLabelsKeepsEveryWithheldCountOpen() throws {
        // Random 3 × 4 tables, a third of their cells small. The attacker knows every margin of at
        // least `threshold` rows. Labelled as before, the same patterns gave cells away.
        var random = SplitMix64(seed: 10)
        var released = 0
        var refused = 0
        var labelledLeaks = 0
        for _ in 0..<300 {
            let counts = (0..<12).map { _ in
                random.next(below: 3) == 0 ? Int(random.next(below: 10)) : 10 + Int(random.next(below: 40))
            }
            // Positive control: the exact audit alone (no bounds), its cells labelled.
            var old = SuppressionGrid(
                shape: [3, 4], counts: counts, priority: counts.map(UInt64.init),
                rules: counts.map { $0 < threshold ? DisclosureRule.threshold : nil },
                protectedTotal: threshold)
            if old.suppressSecondary(rule: DisclosureRule.secondary) != nil {
                let margins = knownMargins(counts, columns: 4) { old.rules[$0] == nil }
                let ranges = propagate(labelledRanges(old.rules), margins: margins)
                if ranges.contains(where: {
                    old.rules[$0.key] == DisclosureRule.threshold && $0.value.count < threshold
                }) {
                    labelledLeaks += 1
                }
            }

            guard let table = check(counts, columns: 4) else {
                refused += 1
                continue
            }
            released += 1
            let withheld = table.cells.indices.filter { table.cells[$0].suppressed }
            for cell in table.cells.indices where !withheld.contains(cell) {
                #expect(table.cells[cell].value == Double(counts[cell]))
            }
            let ranges = propagate(
                publicRanges(counts, columns: 4, withheld: withheld),
                margins: knownMargins(counts, columns: 4) { !withheld.contains($0) })
            for cell in withheld {
                #expect(ranges[cell]!.contains(counts[cell]))
                #expect(ranges[cell]!.count >= threshold, "\(counts): cell \(cell) narrowed to \(ranges[cell]!)")
            }
        }
        print("bounded tables: released \(released), refused \(refused), leaks with labels \(labelledLeaks)")
        #expect(labelledLeaks > 0)
        #expect(released > refused)
    }

    /// Every whole-number value each withheld cell can take: all assignments within `ranges` that
    /// meet every margin's total exactly, found by depth-first search (a margin's last cell is
    /// forced). Nil when there are more than `limit` assignments.
    func possibleValues(
        _ ranges: [Int: ClosedRange<Int>], margins: [(cells: [Int], total: Int)], limit: Int = 50_000
    ) -> [Int: Set<Int>]? {
        let cells = ranges.keys.sorted()
        var remaining = margins.map(\.total)
        var open = margins.map(\.cells.count)
        let marginsOf = cells.map { cell in margins.indices.filter { margins[$0].cells.contains(cell) } }
        var values = [Int: Set<Int>]()
        var chosen = [Int](repeating: 0, count: cells.count)
        var found = 0
        func search(_ i: Int) -> Bool {
            guard i < cells.count else {
                guard remaining.allSatisfy({ $0 == 0 }) else { return true }
                found += 1
                for (j, cell) in cells.enumerated() { values[cell, default: []].insert(chosen[j]) }
                return found <= limit
            }
            var range = ranges[cells[i]]!
            for m in marginsOf[i] where open[m] == 1 {
                guard range.contains(remaining[m]) else { return true }
                range = remaining[m]...remaining[m]
            }
            let ceiling = marginsOf[i].map { remaining[$0] }.min() ?? range.upperBound
            guard range.lowerBound <= min(range.upperBound, ceiling) else { return true }
            for value in range.lowerBound...min(range.upperBound, ceiling) {
                chosen[i] = value
                for m in marginsOf[i] {
                    remaining[m] -= value
                    open[m] -= 1
                }
                let going = search(i + 1)
                for m in marginsOf[i] {
                    remaining[m] += value
                    open[m] += 1
                }
                if !going { return false }
            }
            return true
        }
        return search(0) ? values : nil
    }

    @Test func anExhaustiveSearchFindsNoWithheldCountNarrowed() throws {
        // Random 2 × 3 tables of small counts: every whole-number table the released cells, the
        // known margins and the public bounds allow, counted cell by cell. The linear relaxation
        // must not have missed what whole numbers narrow. The labels of old narrow some.
        var random = SplitMix64(seed: 4)
        var (checked, labelledLeaks) = (0, 0)
        for _ in 0..<400 {
            let counts = (0..<6).map { _ in Int(random.next(below: 25)) }
            var old = SuppressionGrid(
                shape: [2, 3], counts: counts, priority: counts.map(UInt64.init),
                rules: counts.map { $0 < threshold ? DisclosureRule.threshold : nil },
                protectedTotal: threshold)
            if old.suppressSecondary(rule: DisclosureRule.secondary) != nil,
                let values = possibleValues(
                    labelledRanges(old.rules).mapValues { $0.lowerBound...min($0.upperBound, counts.reduce(0, +)) },
                    margins: knownMargins(counts, columns: 3) { old.rules[$0] == nil }),
                values.contains(where: { old.rules[$0.key] == DisclosureRule.threshold && $0.value.count < threshold })
            {
                labelledLeaks += 1
            }
            guard let table = check(counts, columns: 3) else { continue }
            let withheld = table.cells.indices.filter { table.cells[$0].suppressed }
            guard !withheld.isEmpty else { continue }
            let total = counts.reduce(0, +)
            let ranges = publicRanges(counts, columns: 3, withheld: withheld).mapValues {
                $0.lowerBound...min($0.upperBound, total)
            }
            guard
                let values = possibleValues(
                    ranges, margins: knownMargins(counts, columns: 3) { !withheld.contains($0) })
            else { continue }
            checked += 1
            for cell in withheld {
                #expect(values[cell]?.contains(counts[cell]) == true)
                #expect(
                    values[cell, default: []].count >= threshold,
                    "\(counts): cell \(cell) has \(values[cell]!.sorted())")
            }
        }
        print("exhaustive search: \(checked) released tables with withheld cells, leaks with labels \(labelledLeaks)")
        #expect(checked > 100)
        #expect(labelledLeaks > 0)
    }

    @Test func theLinearProgramFindsTheClosedFormRange() {
        // A 2 × 2 table all withheld, [[5, 20], [30, 40]], with every margin known: cell (0,0) = a
        // leaves (0,1) = 25 − a, (1,0) = 35 − a, (1,1) = 35 + a, all ≥ 0, so 0 ≤ a ≤ 25.
        let program = LinearProgram(
            lower: [0, 0, 0, 0], upper: [LinearProgram.infinity, 9, LinearProgram.infinity, LinearProgram.infinity],
            equations: [[0, 1], [2, 3], [0, 2], [1, 3]], totals: [25, 70, 35, 60])
        #expect(program.extreme(of: 0, maximum: false).0 == .value(16))
        #expect(program.extreme(of: 0, maximum: true).0 == .value(25))
        // With (0,1) bounded by 9 as above: a ≥ 16. Without the bound:
        let open = LinearProgram(
            lower: [0, 0, 0, 0], upper: [LinearProgram.infinity, LinearProgram.infinity, LinearProgram.infinity, 100],
            equations: [[0, 1], [2, 3], [0, 2], [1, 3]], totals: [25, 70, 35, 60])
        #expect(open.extreme(of: 0, maximum: false).0 == .value(0))
        #expect(open.extreme(of: 3, maximum: true).0 == .value(60))
        // A variable with no upper bound and no equation capping it grows without bound.
        let free = LinearProgram(
            lower: [0, 0], upper: [LinearProgram.infinity, LinearProgram.infinity], equations: [], totals: [])
        #expect(free.extreme(of: 1, maximum: true).0 == .unbounded)
    }
}
