import ModelgateTestSupport
import Testing

@testable import ModelgateCore
@testable import ModelgateDisclosure
@testable import ModelgateGateway

/// Regressions' sums weighted by a feature's values (Σx·y over a sample), in the release ledger:
/// each attack worked out by hand, first shown to work on sets alone, then refused.
@Suite struct WeightedSumsTests {
    /// A job releasing figures over `sets` (disjoint); a regression when `features` is not empty,
    /// whose sample is the union of `sets`. Without `columns` the ledger sees sets only.
    func release(
        _ ledger: inout ReleaseLedger, _ sets: [[Int]], features: [String] = [], columns: [String: ColumnVector]?,
        threshold: Int = 10
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

    @Test func valuesThatTheFieldWouldConfuseAreNotWeighed() {
        // Found by an independent review: rows 100…109 are 1 and row 110 is 1 + p, which is 1 in
        // the field. Weighted sums over 0…110 and 0…99 differ by x·1_D = 1_D + p·e₁₁₀: with Σy,
        // row 110 alone. In the field, x looked constant on D and the fits were released.
        var values = (0..<100).map { 20 + ($0 * 37) % 70 } + [Int](repeating: 1, count: 10) + [1 + Int(PrimeField.p)]
        values += [Int](repeating: 50, count: 89)
        #expect(PrimeField.element(values[110]) == PrimeField.element(values[100]))
        let columns = ["age": ColumnVector(integers: values)]
        var ledger = ReleaseLedger(rowCount: 200)
        #expect(release(&ledger, [Array(0..<111)], features: ["age"], columns: columns) == .saturated)
        // Doubles 2⁶¹ times apart are one element too.
        #expect(PrimeField.element(3.0) == PrimeField.element(3 * 0x1p61))
        let doubles = ["age": ColumnVector(numbers: (0..<200).map { $0 == 110 ? 0x1p-61 : 1.0 })]
        var other = ReleaseLedger(rowCount: 200)
        #expect(release(&other, [Array(0..<111)], features: ["age"], columns: doubles) == .saturated)
    }

    @Test func aThresholdRaisedLaterWeighsTheSamplesAgain() {
        // Found by an independent review. D = rows 100…112: ten of age 30 and three others. At
        // threshold 3 the fits over 0…112 and 0…99 are safe ((x − 30)·1_D reaches 3 rows). After
        // the policy raises it to 5, a table about rows outside every sample must still see that.
        let columns = ages([Int](repeating: 30, count: 10) + [41, 42, 43])
        let x = { (row: Int) in columns["age"]!.code(at: row) }
        let d = Array(100..<113)
        #expect(combination([(d, x), (d, { _ in -30 })]) == [110: 11, 111: 12, 112: 13])
        var ledger = ReleaseLedger(rowCount: 200)
        #expect(release(&ledger, [Array(0..<113)], features: ["age"], columns: columns, threshold: 3) == .safe)
        #expect(release(&ledger, [Array(0..<100)], features: ["age"], columns: columns, threshold: 3) == .safe)
        #expect(
            release(&ledger, [Array(150..<170), Array(170..<200)], columns: columns, threshold: 5)
                == .disclosive(rows: 3))
    }

    @Test func randomFitsAndTablesNeverReleaseWhatAnExactSearchFindsDisclosive() {
        // Sixteen rows, threshold 3: after each released job, an exact search over every set T of
        // one or two rows asks whether some combination of the released vectors (sets, and each
        // fit's feature-weighted sample) is zero outside T: the rank drops once T's columns go.
        let (rows, small) = (16, 3)
        var tally = (jobs: 0, released: 0, refused: 0, needless: 0)
        var random = SplitMix64(seed: 11)
        for stream in 0..<150 {
            let a = (0..<rows).map { _ in random.next(below: 3) }
            // b: spread out, or a + 2 on all rows but one (a relation between features).
            let related = stream % 2 == 0
            var b = related ? a.map { $0 + 2 } : (0..<rows).map { _ in random.next(below: 8) }
            if related { b[random.next(below: rows)] += 1 }
            let c = (0..<rows).map { _ in random.next(below: 100) }
            let values = ["a": a, "b": b, "c": c]
            let columns = values.mapValues { ColumnVector(integers: $0) }
            var ledger = ReleaseLedger(rowCount: rows)
            var vectors: [[UInt64]] = [[UInt64](repeating: 1, count: rows)]
            var sample = Set(0..<rows)
            for _ in 0..<10 {
                var sets: [[Int]] = []
                var features: [String] = []
                if random.next(below: 2) == 0 {
                    // A fit over the last sample with a few rows in or out, or over one value of a.
                    if random.next(below: 4) == 0 {
                        let value = random.next(below: 3)
                        sample = Set((0..<rows).filter { a[$0] == value })
                    } else {
                        for _ in 0..<(1 + random.next(below: 3)) {
                            let row = random.next(below: rows)
                            if sample.contains(row) { sample.remove(row) } else { sample.insert(row) }
                        }
                    }
                    sets = [sample.sorted()]
                    features = ["a", "b", "c"].filter { _ in random.next(below: 2) == 0 }
                    if features.isEmpty { features = ["c"] }
                } else {
                    // A count table by a, over everyone or over rows with c below a cut.
                    let cut = random.next(below: 2) == 0 ? 100 : random.next(below: 100)
                    sets = (0..<3).map { value in (0..<rows).filter { a[$0] == value && c[$0] < cut } }
                        .filter { !$0.isEmpty }
                }
                guard !sets.isEmpty else { continue }
                var added: [[UInt64]] = sets.map { set in
                    (0..<rows).map { (row: Int) -> UInt64 in set.contains(row) ? 1 : 0 }
                }
                for feature in features {
                    let x: [Int] = values[feature]!
                    let fit = Set(sets[0])
                    added.append(
                        (0..<rows).map { (row: Int) -> UInt64 in fit.contains(row) ? PrimeField.element(x[row]) : 0 })
                }
                let oracle = Self.disclosive(vectors + added, below: small)
                let verdict = release(&ledger, sets, features: features, columns: columns, threshold: small)
                tally.jobs += 1
                if verdict == .safe {
                    tally.released += 1
                    #expect(!oracle, "released a disclosive job in stream \(stream)")
                    vectors += added
                } else {
                    tally.refused += 1
                    if !oracle { tally.needless += 1 }
                }
            }
        }
        print("weighted oracle streams: \(tally)")
        #expect(tally.released > 400 && tally.refused > 200)
    }

    /// Whether some nonzero combination of `vectors` (over rows) is zero outside fewer than `below` rows.
    static func disclosive(_ vectors: [[UInt64]], below: Int) -> Bool {
        let basis = echelon(vectors)
        let full = basis.count
        let width = vectors[0].count
        func dropsRank(_ removed: [Int]) -> Bool {
            let kept = (0..<width).filter { !removed.contains($0) }
            return echelon(basis.map { row in kept.map { row[$0] } }).count < full
        }
        var subsets: [[Int]] = (0..<width).map { [$0] }
        if below > 2 { for i in 0..<width { for j in (i + 1)..<width { subsets.append([i, j]) } } }
        return subsets.contains(where: dropsRank)
    }

    /// The nonzero rows of the echelon form, modulo 2⁶¹ − 1.
    static func echelon(_ vectors: [[UInt64]]) -> [[UInt64]] {
        var matrix = vectors
        guard let width = matrix.first?.count else { return [] }
        var rank = 0
        for column in 0..<width where rank < matrix.count {
            guard let pivot = (rank..<matrix.count).first(where: { matrix[$0][column] != 0 }) else { continue }
            matrix.swapAt(rank, pivot)
            let inverse = PrimeField.inverse(matrix[rank][column])
            for other in (rank + 1)..<matrix.count where matrix[other][column] != 0 {
                let factor = PrimeField.multiply(matrix[other][column], inverse)
                for c in column..<width {
                    matrix[other][c] = PrimeField.subtract(
                        matrix[other][c], PrimeField.multiply(factor, matrix[rank][c]))
                }
            }
            rank += 1
        }
        return Array(matrix[..<rank])
    }

    @Test func aLedgerReadBackFromItsEntriesStillWeighs() {
        let columns = ages([Int](repeating: 30, count: 10) + [40])
        var ledger = ReleaseLedger(rowCount: 200)
        var entries: [LedgerEntry] = []
        var labels = [UInt32](repeating: RowLabels.outside, count: 200)
        for row in 0..<111 { labels[row] = RowLabels.first }
        let threshold = 10
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
