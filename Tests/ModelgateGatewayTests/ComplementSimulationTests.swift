import ModelgateTestSupport
import Testing

@testable import ModelgateCore
@testable import ModelgateDisclosure
@testable import ModelgateGateway

/// The attack of an independent review on withheld counts: knowing exactly how cells are withheld,
/// re-run the choice on every table the released cells and the known margins allow, and keep those
/// that give the pattern released. Complements taken smallest first let it pin cells: with a
/// threshold of 3, counts [2, 7, 7] withhold the 2 and the first 7; the total leaves 9 for the
/// pair, and only (2, 7) and (7, 2) would have withheld those two cells (had the small one held 1,
/// the other 8 would not have tied with the released 7 and been taken first).
///
/// With complements in a secret order, the attacker must allow every order: a candidate table
/// survives if any order of its cells reproduces the pattern. Every order of the cells is tried
/// (tables of up to six cells), so the test is exact for the algorithm as written.
@Suite struct ComplementSimulationTests {
    /// The attacker's view of a released table: which cells are withheld, the released counts, and
    /// the totals of the margins it may know (every margin of at least `threshold` rows, as the
    /// audit assumes; smaller ones the release ledger keeps unknown).
    struct Observation {
        var shape: [Int]
        var withheld: Set<Int>
        var released: [Int: Int]
        var margins: [(cells: [Int], total: Int)]
    }

    var threshold = 3

    /// The checker's primary suppression of a table of counts, and its secondary suppression in
    /// the given order; nil when refused.
    func withheld(_ counts: [Int], shape: [Int], priority: [UInt64], zerosWithheld: Bool) -> Set<Int>? {
        let primary = counts.map { $0 < threshold && ($0 > 0 || zerosWithheld) ? DisclosureRule.threshold : nil }
        var grid = SuppressionGrid(
            shape: shape, counts: counts, priority: priority, rules: primary, protectedTotal: threshold,
            bounds: CountBounds(threshold: threshold, smallest: zerosWithheld ? 0 : 1))
        guard grid.suppressSecondary(rule: DisclosureRule.secondary) != nil else { return nil }
        return Set(grid.rules.indices.filter { grid.rules[$0] != nil })
    }

    func observe(_ counts: [Int], shape: [Int], withheld: Set<Int>) -> Observation {
        let grid = SuppressionGrid(
            shape: shape, counts: counts, priority: counts.map { _ in 0 }, rules: counts.map { _ in nil },
            protectedTotal: threshold)
        let margins = grid.margins().filter { $0.reduce(0) { $0 + counts[$1] } >= threshold }
        return Observation(
            shape: shape, withheld: withheld,
            released: Dictionary(
                uniqueKeysWithValues: counts.indices.filter { !withheld.contains($0) }.map { ($0, counts[$0]) }),
            margins: margins.map { ($0, $0.reduce(0) { $0 + counts[$1] }) })
    }

    /// Every table the observation allows before the pattern is weighed: released cells as
    /// released, withheld cells at least `smallest`, every known margin met. Nil past `limit`.
    func candidates(_ seen: Observation, smallest: Int, limit: Int = 4_000) -> [[Int]]? {
        let cells = seen.withheld.sorted()
        let size = seen.shape.reduce(1, *)
        var table = (0..<size).map { seen.released[$0] ?? 0 }
        var found: [[Int]] = []
        // What each margin still needs from its withheld cells not yet chosen.
        var remaining = seen.margins.map { margin in
            margin.total - margin.cells.reduce(0) { $0 + (seen.released[$1] ?? 0) }
        }
        let marginsOf = cells.map { cell in seen.margins.indices.filter { seen.margins[$0].cells.contains(cell) } }
        let last = cells.map { cell in
            seen.margins.indices.filter { m in seen.margins[m].cells.filter(seen.withheld.contains).last == cell }
        }
        func search(_ i: Int) -> Bool {
            guard i < cells.count else {
                found.append(table)
                return found.count <= limit
            }
            guard let cap = marginsOf[i].map({ remaining[$0] }).min() else { return false }  // unbounded
            guard cap >= smallest else { return true }
            for value in smallest...cap {
                if last[i].contains(where: { remaining[$0] != value }) { continue }
                table[cells[i]] = value
                for m in marginsOf[i] { remaining[m] -= value }
                let going = search(i + 1)
                for m in marginsOf[i] { remaining[m] += value }
                if !going { return false }
            }
            return true
        }
        return search(0) ? found : nil
    }

    /// The orders worth trying on a candidate: every order of its cells, or, in a table of one
    /// dimension, every order of the cells that may become complements (rows, not withheld at
    /// first), the others last. That is exact there: the table is one line, and only the order
    /// among possible complements decides which are taken.
    func orders(of table: [Int], shape: [Int], every: [[UInt64]]) -> [[UInt64]] {
        guard shape.count == 1 else { return every }
        let eligible = table.indices.filter { table[$0] >= threshold }
        return allOrders(eligible.count).map { order in
            var priority = [UInt64](repeating: .max, count: table.count)
            for (rank, cell) in zip(order, eligible) { priority[cell] = rank }
            return priority
        }
    }

    /// Every order of `n` cells as priorities.
    func allOrders(_ n: Int) -> [[UInt64]] {
        var orders: [[UInt64]] = []
        var order = (0..<n).map(UInt64.init)
        func permute(_ k: Int) {
            if k == n {
                orders.append(order)
                return
            }
            for i in k..<n {
                order.swapAt(k, i)
                permute(k + 1)
                order.swapAt(k, i)
            }
        }
        permute(0)
        return orders
    }

    /// The attack on `counts` released in the order `truth`: the values each withheld cell takes
    /// over the candidate tables that some order in `orders` turns into the observed pattern. Nil
    /// when nothing is withheld, the table is refused, or the candidates are too many to try.
    func attack(
        _ counts: [Int], shape: [Int], zerosWithheld: Bool, truth: [UInt64], orders: ([Int]) -> [[UInt64]]
    ) -> (pattern: Set<Int>, values: [Int: Set<Int>])? {
        guard let pattern = withheld(counts, shape: shape, priority: truth, zerosWithheld: zerosWithheld),
            !pattern.isEmpty
        else { return nil }
        let seen = observe(counts, shape: shape, withheld: pattern)
        guard let tables = candidates(seen, smallest: zerosWithheld ? 0 : 1) else { return nil }
        var values: [Int: Set<Int>] = [:]
        for table in tables
        where orders(table).contains(where: {
            withheld(table, shape: shape, priority: $0, zerosWithheld: zerosWithheld) == pattern
        }) {
            for cell in pattern { values[cell, default: []].insert(table[cell]) }
        }
        return (pattern, values)
    }

    struct Tally {
        var attacked = 0
        var narrowed = 0
        var example = ""
    }

    /// Attacks random tables of the shape; counts how many had a withheld cell narrowed to fewer
    /// than `threshold` possible values.
    /// `secret`: complements in a random order the attacker does not know, else smallest first.
    func tally(shape: [Int], tables: Int, largest: Int, seed: UInt64, zerosWithheld: Bool, secret: Bool) -> Tally {
        var random = SplitMix64(seed: seed)
        var tally = Tally()
        let size = shape.reduce(1, *)
        // Past six cells, a sample of orders: fewer orders keep fewer candidates, so the attack
        // can only grow stronger than the truth, never weaker.
        let everyOrder =
            shape.count == 1
            ? [] : size <= 6 ? allOrders(size) : (0..<sampledOrders).map { _ in (0..<size).map { _ in random.next() } }
        for _ in 0..<tables {
            let counts = (0..<size).map { _ in random.next(below: largest + 1) }
            let truth = secret ? (0..<size).map { _ in random.next() } : counts.map(UInt64.init)
            guard
                let (pattern, values) = attack(
                    counts, shape: shape, zerosWithheld: zerosWithheld, truth: truth,
                    orders: {
                        secret
                            ? orders(of: $0, shape: shape, every: everyOrder)
                            : [$0.map(UInt64.init)]
                    })
            else { continue }
            tally.attacked += 1
            for cell in pattern {
                // The truth always survives: the attack is sound.
                #expect(values[cell]?.contains(counts[cell]) == true, "\(counts): cell \(cell) lost its true value")
            }
            if let cell = pattern.first(where: { values[$0, default: []].count < threshold }) {
                tally.narrowed += 1
                if tally.example.isEmpty {
                    tally.example =
                        "\(counts) withholds \(pattern.sorted()); cell \(cell) is one of \(values[cell, default: []].sorted())"
                }
            }
        }
        return tally
    }

    /// Orders tried on each candidate of a table of more than six cells.
    var sampledOrders = 100

    static let cases: [(shape: [Int], tables: Int, largest: Int, threshold: Int)] = [
        ([3], 150, 9, 3), ([4], 150, 9, 3), ([5], 60, 8, 3), ([6], 30, 7, 3), ([3], 100, 14, 5), ([4], 60, 12, 5),
        ([2, 2], 150, 9, 3), ([2, 3], 40, 7, 3), ([2, 2], 60, 12, 4), ([3, 3], 8, 6, 3),
    ]

    @Test(arguments: [true, false])
    func knowingTheMethodButNotTheSecretNarrowsNoWithheldCount(zerosWithheld: Bool) {
        for (index, (shape, tables, largest, threshold)) in Self.cases.enumerated() {
            let started = ContinuousClock.now
            defer { print("simulation \(shape): \(ContinuousClock.now - started)") }
            var attacker = self
            attacker.threshold = threshold
            let secret = attacker.tally(
                shape: shape, tables: tables, largest: largest, seed: UInt64(index), zerosWithheld: zerosWithheld,
                secret: true)
            // Positive control: the same tables with complements taken smallest first, which the
            // attacker re-runs exactly.
            let smallestFirst = attacker.tally(
                shape: shape, tables: tables, largest: largest, seed: UInt64(index), zerosWithheld: zerosWithheld,
                secret: false)
            print(
                "simulation \(secret.example) \(shape) threshold \(threshold) zeros \(zerosWithheld ? "withheld" : "released"): secret order \(secret.narrowed) of \(secret.attacked) narrowed; smallest first \(smallestFirst.narrowed) of \(smallestFirst.attacked) \(smallestFirst.example)"
            )
            #expect(secret.narrowed == 0, "\(shape) threshold \(threshold): \(secret.example)")
            #expect(secret.attacked >= tables / 4)
            if shape.count == 1 { #expect(smallestFirst.narrowed > 0, "\(shape): the control found nothing") }
        }
    }

    @Test func theReviewsExampleIsPinnedSmallestFirstAndOpenInASecretOrder() throws {
        // [2, 7, 7] as described above.
        let first = try #require(
            attack([2, 7, 7], shape: [3], zerosWithheld: true, truth: [2, 7, 7]) { [$0.map(UInt64.init)] })
        #expect(first.pattern == [0, 1])
        #expect(first.values[0] == [2, 7])
        let orders = allOrders(3)
        for order in orders {
            let (pattern, values) = try #require(
                attack([2, 7, 7], shape: [3], zerosWithheld: true, truth: order) { _ in orders })
            // The small cell is either withheld cell, 0 … 2 or 7 … 9.
            let small = try #require(pattern.contains(0) ? values[0] : nil)
            #expect(small == [0, 1, 2, 7, 8, 9])
        }
    }
}

@Suite struct ComplementOrderTests {
    let cells = (0..<12).map { ComplementOrder.Cell(name: ["district", "d\($0)"], count: 10 + $0) }

    @Test func theOrderIsTheSameForTheSameTableAndUnrelatedOtherwise() {
        let order = ComplementOrder(secret: [UInt8](repeating: 1, count: 32), context: "survey@1")
        let priorities = order.priorities(of: cells)
        #expect(Set(priorities).count == cells.count)
        // Asked again, or with its cells listed in another order: the same priority for each cell.
        #expect(order.priorities(of: cells) == priorities)
        #expect(order.priorities(of: cells.reversed()) == priorities.reversed())
        // One count more anywhere, another version, another secret: an unrelated order. Two
        // orders of 12 cells agree by chance with probability 1/12!.
        var other = cells
        other[11].count += 1
        func rank(_ p: [UInt64]) -> [Int] { p.indices.sorted { p[$0] < p[$1] } }
        #expect(rank(order.priorities(of: other)) != rank(priorities))
        #expect(
            rank(ComplementOrder(secret: [UInt8](repeating: 1, count: 32), context: "survey@2").priorities(of: cells))
                != rank(priorities))
        #expect(
            rank(ComplementOrder(secret: [UInt8](repeating: 2, count: 32), context: "survey@1").priorities(of: cells))
                != rank(priorities))
    }
}
