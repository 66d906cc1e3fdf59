import ModelgateTestSupport
import Testing

@testable import ModelgateCore
@testable import ModelgateDisclosure
@testable import ModelgateGateway

@Suite struct OutputCheckerTests {
    let checker = OutputChecker(rules: DisclosureRules(), order: .forTests)

    func countTable(_ counts: [[Int]]) -> RawResult {
        let rows = counts.indices.map { "r\($0)" }
        let columns = counts[0].indices.map { "c\($0)" }
        let cells = counts.flatMap { $0 }.map {
            RawCell(count: $0, sum: 0, sumOfSquares: 0, value: Double($0), contributions: nil)
        }
        let table = RawTable(
            dimensions: [TableDimension(name: "row", levels: rows), TableDimension(name: "col", levels: columns)],
            measure: nil, statistic: .count, cells: cells)
        return RawResult(rowsScanned: 0, rowsUsed: 0, rowsDropped: 0, output: .table(table))
    }

    func released(_ output: CheckedOutput) -> (ReleasedTable, DisclosureReport)? {
        guard case .released(.table(let table), let report) = output else { return nil }
        return (table, report)
    }

    func hits(_ report: DisclosureReport, _ rule: String) -> Int? {
        report.rules.first { $0.rule == rule }?.cells
    }

    /// The rules the report says withheld something, in the report's order.
    func failed(_ report: DisclosureReport) -> [String] {
        report.rules.filter { $0.outcome == .fail }.map(\.rule)
    }

    /// What the report of a table of a measure says whenever it withholds anything: every rule, so
    /// that it says neither which cells are small nor that none is.
    let measuredReport = [
        DisclosureRule.threshold, DisclosureRule.wellDefined, DisclosureRule.groupDisclosure, DisclosureRule.dominance,
        DisclosureRule.pRatio, DisclosureRule.secondary,
    ]

    /// The rule that withholds the first cell of a table (the checker's own, which no output shows).
    func firstRule(_ raw: RawResult) -> String? {
        guard case .table(let table) = raw.output, let cell = table.cells.first else { return nil }
        return checker.failures(count: cell.count, contributions: cell.contributions, value: cell.value).first
    }

    /// Every row and column of a rows × columns table, as cell indices.
    func lines(rows: Int, columns: Int) -> [[Int]] {
        (0..<rows).map { r in (0..<columns).map { r * columns + $0 } }
            + (0..<columns).map { c in (0..<rows).map { $0 * columns + c } }
    }

    @Test func smallCellIsSuppressedAndSecondarySuppressionProtectsItFromTheMargins() throws {
        // (0,0) = 5 is under the threshold; which complements go with it depends on the secret
        // order, so what holds for every order is checked, under many secrets.
        let counts = [[5, 50, 60], [40, 30, 70], [80, 90, 100]]
        let flat = counts.flatMap { $0 }
        var random = SplitMix64(seed: 3)
        var patterns: Set<[Bool]> = []
        for _ in 0..<40 {
            let checker = OutputChecker(rules: DisclosureRules(), order: .random(&random))
            let (table, report) = try #require(released(checker.check(countTable(counts))))
            let withheld = table.cells.indices.filter { table.cells[$0].suppressed }
            patterns.insert(table.cells.map(\.suppressed))
            #expect(table.cells[0].suppressed && table.cells[0].value == nil)
            for cell in table.cells.indices where !table.cells[cell].suppressed {
                #expect(table.cells[cell].value == Double(flat[cell]))
            }
            #expect(report.verdict == .suppressed)
            #expect(report.suppressedCells == withheld.count)
            // Which cell is small and which its complement is said nowhere: each rule that
            // withheld anything reports all of them.
            #expect(failed(report) == [DisclosureRule.threshold, DisclosureRule.secondary])
            #expect(hits(report, DisclosureRule.threshold) == withheld.count)
            #expect(hits(report, DisclosureRule.secondary) == withheld.count)
            // No row or column withholds exactly one cell, and none withholds fewer than the
            // threshold's rows in all.
            for line in lines(rows: 3, columns: 3) {
                let hidden = line.filter { table.cells[$0].suppressed }
                #expect(hidden.count != 1)
                #expect(hidden.isEmpty || hidden.reduce(0) { $0 + flat[$1] } >= DisclosureRules().threshold)
            }
            // The same question gets the same answer.
            let again = try #require(released(checker.check(countTable(counts))))
            #expect(again.0.cells.map(\.suppressed) == table.cells.map(\.suppressed))
        }
        // The complements are not a rule anyone could re-run: secrets choose differently.
        #expect(patterns.count > 1)
    }

    @Test func aTableAskedTransposedWithholdsTheSameCells() throws {
        // Asked with its dimensions swapped, the same table must not withhold other cells: the two
        // patterns together would release what each withholds.
        let counts = [[5, 50, 60, 12], [40, 3, 70, 18], [80, 90, 100, 11]]
        let transposed = (0..<4).map { c in (0..<3).map { counts[$0][c] } }
        func swapped(_ raw: RawResult) -> RawResult {
            guard case .table(var table) = raw.output else { return raw }
            table.dimensions = [
                TableDimension(name: "col", levels: table.dimensions[0].levels.map { "c\($0.dropFirst())" }),
                TableDimension(name: "row", levels: table.dimensions[1].levels.map { "r\($0.dropFirst())" }),
            ]
            return RawResult(rowsScanned: 0, rowsUsed: 0, rowsDropped: 0, output: .table(table))
        }
        var random = SplitMix64(seed: 8)
        for _ in 0..<20 {
            let checker = OutputChecker(rules: DisclosureRules(), order: .random(&random))
            let (table, _) = try #require(released(checker.check(countTable(counts))))
            let (other, _) = try #require(released(checker.check(swapped(countTable(transposed)))))
            let hidden = Set(table.cells.filter(\.suppressed).map(\.keys))
            #expect(Set(other.cells.filter(\.suppressed).map(\.keys)) == hidden)
        }
    }

    @Test func totalsAreRecomputedFromReleasedCellsOnly() throws {
        let counts = [[5, 50, 60], [40, 30, 70], [80, 90, 100]]
        let (table, _) = try #require(released(checker.check(countTable(counts))))
        func total(_ keys: [String: String]) -> Double?? { table.totals.first { $0.keys == keys }.map(\.value) }
        /// The sum of a line's released cells; nil when it releases none.
        func shown(_ cells: [(Int, Int)]) -> Double? {
            let released = cells.filter { !table.cells[$0.0 * 3 + $0.1].suppressed }
            return released.isEmpty ? nil : released.reduce(0) { $0 + Double(counts[$1.0][$1.1]) }
        }
        for r in 0..<3 { #expect(total(["row": "r\(r)"]) == shown((0..<3).map { (r, $0) })) }
        // A total has no value exactly when it is withheld.
        #expect(table.totals.allSatisfy { ($0.value == nil) == $0.suppressed })
        for c in 0..<3 { #expect(total(["col": "c\(c)"]) == shown((0..<3).map { ($0, c) })) }
        #expect(total([:]) == shown((0..<9).map { ($0 / 3, $0 % 3) }))
        #expect(total([:]) != 500)
    }

    /// Whether some change to the withheld cells, each by -1, 0 or +1, keeps every row and column
    /// total and moves `cell`: if so, the totals cannot pin the cell down. Brute force, so that it
    /// checks the checker's linear algebra independently.
    func isHidden(_ cell: Int, withheld: [Int], rows: Int, columns: Int) -> Bool {
        var shifts = [Int](repeating: -1, count: withheld.count)
        while true {
            if shifts[withheld.firstIndex(of: cell)!] != 0 {
                var rowSums = [Int](repeating: 0, count: rows)
                var columnSums = [Int](repeating: 0, count: columns)
                for (index, member) in withheld.enumerated() {
                    rowSums[member / columns] += shifts[index]
                    columnSums[member % columns] += shifts[index]
                }
                if rowSums.allSatisfy({ $0 == 0 }) && columnSums.allSatisfy({ $0 == 0 }) { return true }
            }
            var position = 0
            while position < shifts.count && shifts[position] == 1 {
                shifts[position] = -1
                position += 1
            }
            if position == shifts.count { return false }
            shifts[position] += 1
        }
    }

    @Test func noWithheldCellFollowsFromTheTrueTotalsEvenWhenEveryLineHidesTwo() throws {
        // Suppressing to two per line leaves (r3, c1) = 1 derivable here: the withheld cells of
        // c1 and c2 minus those of r0 and r2 isolate it. The audit must withhold more.
        let counts = [[88, 4, 32, 176], [68, 20, 91, 72], [149, 72, 72, 78], [2, 1, 101, 8]]
        let (table, report) = try #require(released(checker.check(countTable(counts))))
        let withheld = table.cells.indices.filter { table.cells[$0].suppressed }
        #expect(withheld.count < 16)
        for cell in withheld {
            #expect(isHidden(cell, withheld: withheld, rows: 4, columns: 4), "cell \(cell) is derivable")
        }
        #expect(hits(report, DisclosureRule.threshold) == withheld.count)
    }

    /// Rank of an integer matrix by fraction-free (Bareiss) elimination: exact, and independent
    /// of the checker's floating-point reduction.
    func exactRank(_ rows: [[Int]]) -> Int {
        var m = rows
        var rank = 0
        var previous = 1
        let width = m.first?.count ?? 0
        for column in 0..<width where rank < m.count {
            guard let pivot = (rank..<m.count).first(where: { m[$0][column] != 0 }) else { continue }
            m.swapAt(rank, pivot)
            for r in (rank + 1)..<m.count {
                for c in 0..<width where c != column {
                    m[r][c] = (m[r][c] * m[rank][column] - m[rank][c] * m[r][column]) / previous
                }
                m[r][column] = 0
            }
            previous = m[rank][column]
            rank += 1
        }
        return rank
    }

    @Test func noWithheldCellFollowsFromTheLineTotalsOfAThreeWayTable() throws {
        // A 3×3×3 table on which suppressing until every line hides two left (2,1,0) = 1
        // solvable from six line totals.
        let counts = [
            9, 149, 3, 81, 11, 141, 193, 46, 18, 3, 37, 120, 111, 131, 5, 62, 82, 106, 69, 3, 166, 1, 22, 36, 21, 0, 24,
        ]
        let cells = counts.map { RawCell(count: $0, sum: 0, sumOfSquares: 0, value: Double($0), contributions: nil) }
        let dimensions = ["a", "b", "c"].map { TableDimension(name: $0, levels: ["0", "1", "2"]) }
        let raw = RawResult(
            rowsScanned: 0, rowsUsed: 0, rowsDropped: 0,
            output: .table(RawTable(dimensions: dimensions, measure: nil, statistic: .count, cells: cells)))
        let (table, _) = try #require(released(checker.check(raw)))
        let withheld = table.cells.indices.filter { table.cells[$0].suppressed }
        var lines: [[Int]] = []
        for i in 0..<3 {
            for j in 0..<3 {
                lines.append((0..<3).map { $0 * 9 + i * 3 + j })
                lines.append((0..<3).map { i * 9 + $0 * 3 + j })
                lines.append((0..<3).map { i * 9 + j * 3 + $0 })
            }
        }
        let incidence = lines.map { line in withheld.map { line.contains($0) ? 1 : 0 } }
        let rank = exactRank(incidence)
        for (position, cell) in withheld.enumerated() {
            let unit = withheld.indices.map { $0 == position ? 1 : 0 }
            #expect(exactRank(incidence + [unit]) > rank, "cell \(cell) follows from the line totals")
        }
    }

    func measuredCell(values: [Double], isBinary: Bool = false) -> RawResult {
        let absolute = values.map(abs)
        let contributions = Contributions(
            count: values.count, absoluteSum: absolute.reduce(0, +),
            largest: Array(absolute.sorted(by: >).prefix(Contributions.kept)), isBinary: isBinary)
        let sum = values.reduce(0, +)
        let cell = RawCell(
            count: values.count, sum: sum, sumOfSquares: 0, value: sum / Double(values.count),
            contributions: contributions)
        let other = RawCell(
            count: 50, sum: 25, sumOfSquares: 0, value: 0.5,
            contributions: Contributions(count: 50, absoluteSum: 25, largest: [1, 1, 1], isBinary: isBinary))
        let table = RawTable(
            dimensions: [TableDimension(name: "district", levels: ["A", "B", "C"])], measure: "insured",
            statistic: .mean, cells: [cell, other, other])
        return RawResult(rowsScanned: 0, rowsUsed: 0, rowsDropped: 0, output: .table(table))
    }

    @Test func aCellWhoseRowsShareOneValueIsWithheld() throws {
        // Twelve people, none insured: a mean of 0 tells each of them.
        let cases = [
            measuredCell(values: Array(repeating: 0, count: 12), isBinary: true),
            // Twelve people with the same number of hospital visits.
            measuredCell(values: Array(repeating: 3, count: 12)),
            // Two insured of twenty: too few of one outcome.
            measuredCell(values: Array(repeating: 0.0, count: 18) + [1, 1], isBinary: true),
        ]
        for raw in cases {
            #expect(firstRule(raw) == DisclosureRule.groupDisclosure)
            let (table, report) = try #require(released(checker.check(raw)))
            #expect(table.cells[0].suppressed && failed(report) == measuredReport)
        }
        // Ten of each: released.
        let even = Array(repeating: 0.0, count: 10) + Array(repeating: 1.0, count: 10)
        let (fine, _) = try #require(released(checker.check(measuredCell(values: even, isBinary: true))))
        #expect(fine.cells[0].suppressed == false)
    }

    @Test func anOverflowedCellIsWithheldAndASmallCellFallsOnlyUnderItsFirstRule() throws {
        var raw = measuredCell(values: [1e308, 1e308] + Array(repeating: 1e308, count: 10))
        if case .table(var table) = raw.output {
            table.cells[0].value = .infinity
            raw.output = .table(table)
        }
        #expect(firstRule(raw) == DisclosureRule.wellDefined)
        let (overflowed, report) = try #require(released(checker.check(raw)))
        #expect(overflowed.cells[0].suppressed && failed(report) == measuredReport)
        // Three people sharing one value: withheld as small, not as uniform.
        #expect(firstRule(measuredCell(values: [5, 5, 5])) == DisclosureRule.threshold)
        let (small, smallReport) = try #require(released(checker.check(measuredCell(values: [5, 5, 5]))))
        #expect(small.cells[0].suppressed && failed(smallReport) == measuredReport)
    }

    @Test func aFewRowsLeftOutByMissingValuesAloneAreRefusedToo() {
        // No filter, two rows missing a value: n and the dataset's size would count them.
        var raw = summary(n: 98, largest: [30, 30], sum: 1000)
        raw.rowsScanned = 100
        raw.rowsDropped = 2
        #expect(refusalCode(checker.check(raw)) == .smallComplement)
        raw.rowsScanned = 98
        raw.rowsDropped = 0
        #expect(refusalCode(checker.check(raw)) == nil)
    }

    @Test func oneSmallCellInATwoByTwoTableHidesAllFour() throws {
        let (table, _) = try #require(released(checker.check(countTable([[5, 20], [30, 40]]))))
        #expect(table.cells.allSatisfy { $0.suppressed })
        // Every total is withheld, and says so: a total without a value is never "not suppressed".
        #expect(table.totals.count == 5 && table.totals.allSatisfy { $0.value == nil && $0.suppressed })
    }

    @Test func zerosAreDisclosiveUnlessThePolicySaysOtherwise() throws {
        let (table, report) = try #require(released(checker.check(countTable([[0, 20, 30], [40, 50, 60]]))))
        // Withheld under the threshold like any small cell, so a withheld zero cannot be told from
        // a withheld few.
        #expect(table.cells[0].suppressed)
        #expect(failed(report) == [DisclosureRule.threshold, DisclosureRule.secondary])
        var rules = DisclosureRules()
        rules.zerosAreDisclosive = false
        let (lenient, _) = try #require(
            released(OutputChecker(rules: rules, order: .forTests).check(countTable([[0, 20, 30], [40, 50, 60]]))))
        #expect(lenient.cells[0].suppressed == false)
        #expect(lenient.cells[0].value == 0)
    }

    func meanTable(_ contributions: Contributions) -> RawResult {
        let big = RawCell(
            count: contributions.count, sum: contributions.absoluteSum, sumOfSquares: 0,
            value: contributions.absoluteSum / Double(contributions.count), contributions: contributions)
        let ordinary = { (sum: Double) in
            RawCell(
                count: 100, sum: sum, sumOfSquares: 0, value: sum / 100,
                contributions: Contributions(count: 100, absoluteSum: sum, largest: [sum / 50, sum / 60, sum / 70]))
        }
        let table = RawTable(
            dimensions: [TableDimension(name: "district", levels: ["A", "B", "C"])], measure: "income",
            statistic: .mean,
            cells: [big, ordinary(5000), ordinary(7000)])
        return RawResult(rowsScanned: 0, rowsUsed: 0, rowsDropped: 0, output: .table(table))
    }

    @Test func dominatedCellIsSuppressedByTheNKRule() throws {
        // Two people hold 950 of 1000 (95% > 90%).
        let raw = meanTable(Contributions(count: 20, absoluteSum: 1000, largest: [800, 150, 5]))
        #expect(firstRule(raw) == DisclosureRule.dominance)
        let (table, report) = try #require(released(checker.check(raw)))
        #expect(failed(report) == measuredReport)
        // A one-dimensional table's single line needs a second suppression, either other cell.
        #expect(table.cells[0].suppressed && table.cells.filter(\.suppressed).count == 2)
    }

    @Test func pRatioCatchesWhatTheNKRuleLetsPass() throws {
        // Largest 1000, second 10, rest 50: the second-largest learns the largest within 5%.
        // N-K with k = 0.99: 1010 ≤ 0.99 × 1060 passes; p-ratio: 50 < 0.1 × 1000 fails.
        var rules = DisclosureRules()
        rules.nkRule.k = 0.99
        let raw = meanTable(Contributions(count: 20, absoluteSum: 1060, largest: [1000, 10, 5]))
        guard case .table(let raw0) = raw.output else { return }
        let cell = raw0.cells[0]
        #expect(
            OutputChecker(rules: rules, order: .forTests).failures(
                count: cell.count, contributions: cell.contributions, value: cell.value)
                == [DisclosureRule.pRatio])
        let (table, report) = try #require(released(OutputChecker(rules: rules, order: .forTests).check(raw)))
        #expect(table.cells[0].suppressed && failed(report) == measuredReport)
    }

    @Test func histogramBinsAreCheckedLikeCells() throws {
        let raw = RawResult(
            rowsScanned: 0, rowsUsed: 0, rowsDropped: 0,
            output: .histogram(
                RawHistogram(variable: "age", edges: [0, 10, 20, 30], counts: [3, 50, 60], below: nil, above: nil)))
        guard case .released(.histogram(let histogram), let report) = checker.check(raw) else {
            Issue.record("histogram not released")
            return
        }
        // The 3 and one complement, 50 or 60 as the secret order takes it.
        #expect(histogram.bins.map(\.suppressed).filter { $0 }.count == 2 && histogram.bins[0].suppressed)
        for bin in histogram.bins { #expect(bin.suppressed == (bin.count == nil)) }
        #expect(histogram.bins.compactMap(\.count).allSatisfy { [50, 60].contains($0) })
        #expect(report.suppressedCells == 2)
    }

    @Test func binsOutsideExplicitEdgesAreCheckedToo() throws {
        // Two people above the last edge: withheld, or edges could bracket the oldest's age. The
        // withheld bins then hold 2 rows in all, which the total would pin down: a released bin
        // is withheld too, whichever the secret order takes first.
        let raw = RawResult(
            rowsScanned: 0, rowsUsed: 0, rowsDropped: 0,
            output: .histogram(
                RawHistogram(variable: "age", edges: [0, 50, 100], counts: [40, 30], below: 0, above: 2)))
        guard case .released(.histogram(let histogram), _) = checker.check(raw) else {
            Issue.record("histogram not released")
            return
        }
        #expect(histogram.bins.map(\.lower) == [nil, 0, 50, 100])
        #expect(histogram.bins[0].suppressed && histogram.bins[3].suppressed)
        #expect(histogram.bins.filter(\.suppressed).count == 3)
    }

    func regression(
        n: Int, p: Int, wellDefined: Bool = true, _ change: (inout RawRegression) -> Void = { _ in }
    ) -> RawResult {
        let values = [Double](repeating: 1, count: p)
        var fit = RawRegression(
            terms: (0..<p).map { "t\($0)" }, estimates: wellDefined ? values : [.nan] + values.dropFirst(),
            standardErrors: values, statistics: values, pValues: values, nObservations: n,
            degreesOfFreedom: n - p, isWellDefined: wellDefined)
        change(&fit)
        return RawResult(rowsScanned: n, rowsUsed: n, rowsDropped: 0, output: .regression(fit))
    }

    func refusalCode(_ output: CheckedOutput) -> Refusal.Code? {
        if case .refused(let refusal, let report) = output {
            #expect(report.verdict == .refused)
            return refusal.code
        }
        return nil
    }

    @Test func regressionRulesStopAtTheFirstFailureAndSkipTheRest() throws {
        // Few rows and a degenerate fit: only the first failing rule speaks.
        let output = checker.check(regression(n: 8, p: 4, wellDefined: false))
        guard case .refused(let refusal, let report) = output else {
            Issue.record("released")
            return
        }
        #expect(refusal.code == .insufficientDegreesOfFreedom)
        #expect(!refusal.message.contains("4"))
        #expect(report.rules.first { $0.rule == DisclosureRule.wellDefined }?.outcome == .skipped)
        #expect(report.rules.first { $0.rule == DisclosureRule.parameterRatio }?.outcome == .skipped)
    }

    @Test func regressionWithAHighLeverageRowIsRefused() {
        let raw = regression(n: 500, p: 4) { $0.maximumLeverage = 0.97 }
        #expect(refusalCode(checker.check(raw)) == .highLeverage)
    }

    @Test func regressionWithASmallCategoryLevelIsRefused() {
        let raw = regression(n: 500, p: 4) { $0.smallestGroup = 3 }
        #expect(refusalCode(checker.check(raw)) == .belowThreshold)
    }

    @Test func regressionWithAnInfiniteStatisticIsRefused() {
        let raw = regression(n: 500, p: 4) { $0.statistics[1] = .infinity }
        #expect(refusalCode(checker.check(raw)) == .degenerateFit)
    }

    @Test func regressionNeedsDegreesOfFreedomAFewParametersAndAFiniteFit() {
        #expect(refusalCode(checker.check(regression(n: 100, p: 4))) == nil)
        #expect(refusalCode(checker.check(regression(n: 13, p: 4))) == .insufficientDegreesOfFreedom)
        // 20 parameters on 50 rows: ratio 0.4 > 0.33, though 30 degrees of freedom remain.
        #expect(refusalCode(checker.check(regression(n: 50, p: 20))) == .tooManyParameters)
        #expect(refusalCode(checker.check(regression(n: 100, p: 4, wellDefined: false))) == .degenerateFit)
    }

    func summary(n: Int, largest: [Double], sum: Double) -> RawResult {
        RawResult(
            rowsScanned: n, rowsUsed: n, rowsDropped: 0,
            output: .summary([
                RawVariableSummary(
                    statistics: .init(name: "income", n: n, mean: sum / Double(n), std: 1, q1: 1, median: 1, q3: 1),
                    contributions: Contributions(count: n, absoluteSum: sum, largest: largest))
            ]))
    }

    @Test func summaryIsRefusedWholeForFewRowsOrDominance() {
        #expect(refusalCode(checker.check(summary(n: 9, largest: [5, 5], sum: 45))) == .belowThreshold)
        #expect(refusalCode(checker.check(summary(n: 50, largest: [900, 90], sum: 1000))) == .dominance)
        #expect(refusalCode(checker.check(summary(n: 50, largest: [30, 30], sum: 1000))) == nil)
    }
}
