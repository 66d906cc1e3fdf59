import Testing

@testable import ModelgateCore
@testable import ModelgateDisclosure

/// Regressions' sums weighted by a feature's values (Σx·y over a sample), in the release ledger:
/// each attack worked out by hand, first shown to work on sets alone, then refused.
@Suite struct WeightedSumsTests {
    let threshold = 10

    /// A job releasing figures over `sets` (disjoint); a regression when `features` is not empty,
    /// whose sample is the union of `sets`. Without `columns` the ledger sees sets only.
    func release(
        _ ledger: inout ReleaseLedger, _ sets: [[Int]], features: [String] = [], columns: [String: ColumnVector]?
    ) -> ReleaseLedger.Verdict {
        var labels = [UInt32](repeating: RowLabels.outside, count: ledger.atomOfRow.count)
        for (index, set) in sets.enumerated() { for row in set { labels[row] = RowLabels.first + UInt32(index) } }
        let released =
            [sets.indices.map { RowLabels.first + UInt32($0) }] + sets.indices.map { [RowLabels.first + UInt32($0)] }
        let weighting = columns.map { columns in
            ReleaseLedger.Weighting(features: features, threshold: threshold, values: { columns[$0] })
        }
        guard
            var proposal = labels.withUnsafeBufferPointer({
                ledger.propose(labels: $0, released: released, protected: [], weighting: weighting)
            })
        else { return .saturated }
        let verdict = ledger.check(&proposal, threshold: threshold)
        if verdict == .safe && proposal.isNew { ledger.apply(proposal) }
        return verdict
    }

    /// Ages for 200 rows: rows 0…99 spread over 20…89 (the bulk of both samples), then what a test
    /// puts at rows 100 and after.
    func ages(_ tail: [Int]) -> [String: ColumnVector] {
        let bulk = (0..<100).map { 20 + ($0 * 37) % 70 }
        let rest = [Int](repeating: 50, count: 100 - tail.count)
        return ["age": ColumnVector(integers: bulk + tail + rest)]
    }

    /// Σ over `rows` of weight(row)·e_row as a map, for the hand computations.
    func combination(_ terms: [(rows: [Int], weight: (Int) -> Int)]) -> [Int: Int] {
        var sum: [Int: Int] = [:]
        for (rows, weight) in terms { for row in rows { sum[row, default: 0] += weight(row) } }
        return sum.filter { $0.value != 0 }
    }

    @Test func twoFitsWhoseSamplesDifferByOneAgeGroupAndOnePersonAreRefused() {
        // Rows 100…109 are 30, row 110 is 40. Samples S₁ = 0…110 and S₂ = 0…99 differ by 11 rows:
        // as sets, safe. Weighted by age, x·1_S₁ − x·1_S₂ − 30·(1_S₁ − 1_S₂) is 10 at row 110 and
        // 0 elsewhere: Σ age·y and Σ y of both fits give y₁₁₀.
        let age = [Int](repeating: 30, count: 10) + [40]
        let columns = ages(age)
        let x = { (row: Int) in columns["age"]!.code(at: row) }
        let (s1, s2) = (Array(0..<111), Array(0..<100))
        let attack = combination([(s1, x), (s2, { -x($0) }), (s1, { _ in -30 }), (s2, { _ in 30 })])
        #expect(attack == [110: 10])

        // Positive control: entered as sets, both fits are released.
        var sets = ReleaseLedger(rowCount: 200)
        #expect(release(&sets, [s1], features: ["age"], columns: nil) == .safe)
        #expect(release(&sets, [s2], features: ["age"], columns: nil) == .safe)

        var ledger = ReleaseLedger(rowCount: 200)
        #expect(release(&ledger, [s1], features: ["age"], columns: columns) == .safe)
        #expect(release(&ledger, [s2], features: ["age"], columns: columns) == .disclosive(rows: 1))
        // The same samples without the weighting (a summary of each) are still answered.
        #expect(release(&ledger, [s2], columns: columns) == .safe)
    }

    @Test func samplesThatDifferByPeopleOfManyAgesAreReleasedWithNothingMoreToEnter() {
        // Rows 100…119 have 20 different ages: every affine function of age is zero on at most one
        // of them, so any combination weighting them reaches at least 19 rows.
        let columns = ages(Array(20..<40))
        var ledger = ReleaseLedger(rowCount: 200)
        #expect(release(&ledger, [Array(0..<120)], features: ["age"], columns: columns) == .safe)
        #expect(release(&ledger, [Array(0..<100)], features: ["age"], columns: columns) == .safe)
        #expect(ledger.weights.vectors.isEmpty)
        #expect(ledger.atomCounts.count == 3)
    }

    @Test func aLaterTableThatSplitsTheDifferenceIntoFewAgesIsRefused() {
        // The samples differ by G (10 rows of 30), p (40) and H (10 rows of 45): 21 rows, 11 of
        // them not of the commonest age, so the fits are safe. A count table then releases G ∪ {p}
        // and H, 11 and 10 rows: x·1_D − 30·1_{G∪p} − 45·1_H is 10 at p alone.
        let age = [Int](repeating: 30, count: 10) + [40] + [Int](repeating: 45, count: 10)
        let columns = ages(age)
        let x = { (row: Int) in columns["age"]!.code(at: row) }
        let (d, gp, h) = (Array(100..<121), Array(100..<111), Array(111..<121))
        #expect(combination([(d, x), (gp, { _ in -30 }), (h, { _ in -45 })]) == [110: 10])

        for weighted in [false, true] {
            var ledger = ReleaseLedger(rowCount: 200)
            let seen = weighted ? columns : nil
            #expect(release(&ledger, [Array(0..<121)], features: ["age"], columns: seen) == .safe)
            #expect(release(&ledger, [Array(0..<100)], features: ["age"], columns: seen) == .safe)
            // Sets alone (the control) release the table; weighted sums refuse it.
            #expect(release(&ledger, [gp, h], columns: seen) == (weighted ? .disclosive(rows: 1) : .safe))
        }
    }

    @Test func twoFeaturesThatAgreeButForOnePersonGiveThemAway() {
        // z = x + 7 on every row but row 110, where it is x + 8; the fits' sample is rows 0…119,
        // over which each feature takes many values. Yet (z − x − 7)·1_S is row 110 alone: Σx·y,
        // Σz·y and Σy over the sample give y₁₁₀, from one fit of both or one fit of each.
        let x = (0..<100).map { 20 + ($0 * 37) % 70 } + Array(20..<40) + [Int](repeating: 50, count: 80)
        var z = x.map { $0 + 7 }
        z[110] += 1
        let columns = ["x": ColumnVector(integers: x), "z": ColumnVector(integers: z)]
        let sample = Array(0..<120)
        #expect(combination([(sample, { z[$0] }), (sample, { -x[$0] }), (sample, { _ in -7 })]) == [110: 1])

        var sets = ReleaseLedger(rowCount: 200)
        #expect(release(&sets, [sample], features: ["x", "z"], columns: nil) == .safe)
        var both = ReleaseLedger(rowCount: 200)
        #expect(release(&both, [sample], features: ["x", "z"], columns: columns) == .disclosive(rows: 1))
        var each = ReleaseLedger(rowCount: 200)
        #expect(release(&each, [sample], features: ["x"], columns: columns) == .safe)
        #expect(release(&each, [sample], features: ["z"], columns: columns) == .disclosive(rows: 1))
    }

    @Test func aLedgerReadBackFromItsEntriesStillWeighs() {
        let columns = ages([Int](repeating: 30, count: 10) + [40])
        var ledger = ReleaseLedger(rowCount: 200)
        var entries: [LedgerEntry] = []
        var labels = [UInt32](repeating: RowLabels.outside, count: 200)
        for row in 0..<111 { labels[row] = RowLabels.first }
        let weighting = ReleaseLedger.Weighting(features: ["age"], threshold: threshold, values: { columns[$0] })
        var proposal = labels.withUnsafeBufferPointer {
            ledger.propose(labels: $0, released: [[RowLabels.first]], protected: [], weighting: weighting)!
        }
        #expect(ledger.check(&proposal, threshold: threshold) == .safe)
        entries.append(ledger.entry(for: proposal, job: "first", atomsFile: "atoms-1"))
        ledger.apply(proposal)

        var replayed = ReleaseLedger(rowCount: 200)
        for entry in entries {
            let decoded = LedgerEntry.decodeGroups(LedgerEntry.encode(groups: [entry.weightedSamples["age"] ?? []]))
            #expect(decoded == [entry.weightedSamples["age"] ?? []])
            replayed.replay(entry, atomOfRow: ledger.atomOfRow)
        }
        #expect(release(&replayed, [Array(0..<100)], features: ["age"], columns: columns) == .disclosive(rows: 1))
    }

    @Test func weightedVectorsSurviveTheirEncoding() {
        let vectors: [(atoms: [UInt32], values: [UInt64])] = [
            ([0, 3, 9], [1, PrimeField.p - 1, 1 << 40 | 5]), ([], []), ([7], [PrimeField.element(-3)]),
        ]
        let decoded = LedgerEntry.decodeWeighted(LedgerEntry.encode(vectors))
        #expect(decoded.map(\.atoms) == vectors.map(\.atoms))
        #expect(decoded.map(\.values) == vectors.map(\.values))
    }

    @Test func valuesEnterTheFieldExactly() {
        typealias F = PrimeField
        #expect(F.element(3.0) == 3)
        #expect(F.multiply(F.element(0.5), 2) == 1)
        #expect(F.add(F.element(-1.25), F.element(1.25)) == 0)
        #expect(F.multiply(F.element(-1.25), 4) == F.element(-5))
        // 2⁷⁰ ≡ 2⁹ (2⁶¹ ≡ 1); the smallest subnormal, 2⁻¹⁰⁷⁴, times 2³⁷ (1074 = 17·61 + 37) is 1.
        #expect(F.element(0x1p70) == 512)
        #expect(F.multiply(F.element(Double.leastNonzeroMagnitude), 1 << 37) == 1)
        #expect(F.element(-7) == F.p - 7)
        #expect(F.element(0.0) == 0 && F.element(-0.0) == 0)
    }
}
