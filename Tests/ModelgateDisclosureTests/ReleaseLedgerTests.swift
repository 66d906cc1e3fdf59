import ModelgateTestSupport
import Testing

@testable import ModelgateCore
@testable import ModelgateDisclosure

/// The ledger's arithmetic on hand-made row sets, each attack worked out by hand in its comment.
@Suite struct ReleaseLedgerTests {
    let threshold = 10

    /// One job: `members` lists the released sets as row lists; each job labels its rows by
    /// which of its sets they are in (the sets of one job are disjoint, like table cells).
    func release(
        _ ledger: inout ReleaseLedger, _ sets: [[Int]], protected: [[Int]] = [], measures: [String] = []
    ) -> ReleaseLedger.Verdict {
        var proposal = proposal(ledger, sets, protected: protected, measures: measures)
        let verdict = ledger.check(&proposal, threshold: threshold)
        // As the gateway does: an entry only for a job that adds something.
        if verdict == .safe && proposal.isNew { ledger.apply(proposal) }
        return verdict
    }

    func proposal(
        _ ledger: ReleaseLedger, _ sets: [[Int]], protected: [[Int]], measures: [String]
    ) -> ReleaseLedger.Proposal {
        var labels = [UInt32](repeating: RowLabels.outside, count: ledger.atomOfRow.count)
        for (index, set) in (sets + protected).enumerated() {
            for row in set { labels[row] = RowLabels.first + UInt32(index) }
        }
        let released = sets.indices.map { [RowLabels.first + UInt32($0)] }
        let withheld = protected.indices.map { [RowLabels.first + UInt32(sets.count + $0)] }
        return labels.withUnsafeBufferPointer {
            ledger.propose(labels: $0, released: released, protected: withheld, reveals: measures, withholds: measures)!
        }
    }

    @Test func twoSelectionsThatDifferByOnePersonAreRefused() {
        // {0…19} then {0…18}: 20 − 19 gives row 19 alone.
        var ledger = ReleaseLedger(rowCount: 100)
        #expect(release(&ledger, [Array(0..<20)]) == .safe)
        #expect(release(&ledger, [Array(0..<19)]) == .disclosive(rows: 1))
    }

    @Test func twoSelectionsThatSwapOnePersonForAnotherAreRefused() {
        // {0…19} and {0…18, 20}: the same size, no set of rows between them, but their sums differ
        // by x₁₉ − x₂₀, and with sums of squares as well (a mean and a standard deviation) the two
        // values follow. A combination of two rows is as disclosive as a set of two.
        var ledger = ReleaseLedger(rowCount: 100)
        #expect(release(&ledger, [Array(0..<20)]) == .safe)
        #expect(release(&ledger, [Array(0..<19) + [20]]) == .disclosive(rows: 2))
    }

    @Test func selectionsThatDifferByAThresholdOfPeopleAreReleased() {
        var ledger = ReleaseLedger(rowCount: 100)
        #expect(release(&ledger, [Array(0..<20)]) == .safe)
        #expect(release(&ledger, [Array(0..<10)]) == .safe)
        #expect(release(&ledger, [Array(50..<70)]) == .safe)
    }

    @Test func theComplementOfASelectionCountsAgainstTheDatasetSize() {
        // The dataset's 40 rows are public: releasing 35 of them gives the other 5 away.
        var ledger = ReleaseLedger(rowCount: 40)
        #expect(release(&ledger, [Array(0..<35)]) == .disclosive(rows: 5))
    }

    @Test func unionDifferencingIsRefused() {
        // district in [tiny, big] (3 + 30 rows), then district = big: the tiny district's 3.
        var ledger = ReleaseLedger(rowCount: 100)
        #expect(release(&ledger, [Array(0..<33)]) == .safe)
        #expect(release(&ledger, [Array(3..<33)]) == .disclosive(rows: 3))
    }

    @Test func theTrackerIsRefused() {
        // T = rows 0…19, target C = {25} outside T, 40 rows in all (public).
        // |C ∪ T| + |C ∪ ¬T| − |ALL| = 21 + 20 − 40 = |C|: the third release gives row 25 away.
        var ledger = ReleaseLedger(rowCount: 40)
        #expect(release(&ledger, [Array(0..<20) + [25]]) == .safe)
        #expect(release(&ledger, [Array(20..<40)]) == .disclosive(rows: 1))
    }

    @Test func aSmallSetDerivableOnlyAsAUnionOfAtomsIsFound() {
        // Row 0 (a) and rows 5, 6 (b) are told apart by the first job (a ∪ K, b ∪ L, each
        // with 10 others); the second releases a ∪ b ∪ H, the third H: a ∪ b (3 rows) follows,
        // though neither a nor b alone does (K and L are never released alone).
        let (a, b) = ([0], [5, 6])
        let (h, k, l) = (Array(20..<30), Array(30..<40), Array(40..<50))
        var ledger = ReleaseLedger(rowCount: 60)
        #expect(release(&ledger, [a + k, b + l]) == .safe)
        #expect(release(&ledger, [a + b + h]) == .safe)
        #expect(release(&ledger, [h]) == .disclosive(rows: 3))
    }

    @Test func aSuppressedCellThatOtherTablesGiveBackIsRefused() {
        // Table 1: district × sex over 60 rows, cell (X, F) of 3 rows withheld, its
        // secondary partner (Y, F) of 12 withheld too; (X, M) 20 and (Y, M) 25 released.
        // Table 2: district alone: X = 23 → (X, F) = 23 − 20 = 3.
        var ledger = ReleaseLedger(rowCount: 60)
        let xF = Array(0..<3)
        let yF = Array(3..<15)
        let xM = Array(15..<35)
        let yM = Array(35..<60)
        #expect(release(&ledger, [xM, yM], protected: [xF, yF]) == .safe)
        #expect(release(&ledger, [xF + xM, yF + yM]) == .disclosive(rows: 3))
    }

    @Test func aWithheldCellOfManyRowsIsProtectedToo() {
        // One table over 60 rows: A (12 rows, withheld as a secondary), B (15, withheld for
        // dominance), C (33, released); A ∪ B = 60 − 33 is no secret. Then A ∪ C (45) gives
        // A = 45 − 33 = 12 rows: not a small group, but a withheld cell.
        var ledger = ReleaseLedger(rowCount: 60)
        let (a, b, c) = (Array(0..<12), Array(12..<27), Array(27..<60))
        #expect(release(&ledger, [c], protected: [a, b]) == .safe)
        #expect(release(&ledger, [a + c]) == .disclosive(rows: 12))
    }

    @Test func crossingTablesWithLargeCellsStayReleasable() {
        // 200 rows in a 4 × 5 grid of 10-row blocks: rows by one index, then by the other,
        // then both one-way tables again: nothing small can be derived.
        var ledger = ReleaseLedger(rowCount: 200)
        let blocks = (0..<20).map { Array(($0 * 10)..<($0 * 10 + 10)) }
        let byFirst = (0..<4).map { i in (0..<5).flatMap { blocks[i * 5 + $0] } }
        let bySecond = (0..<5).map { j in (0..<4).flatMap { blocks[$0 * 5 + j] } }
        #expect(release(&ledger, byFirst) == .safe)
        #expect(release(&ledger, bySecond) == .safe)
        #expect(release(&ledger, blocks) == .safe)
        #expect(release(&ledger, byFirst) == .safe)
        #expect(ledger.generation == 3)  // the repeat added nothing
    }

    @Test func collusionMakesNoDifference() {
        // The ledger is the dataset's, not a researcher's: the same two releases from two people
        // are the same two releases.
        var shared = ReleaseLedger(rowCount: 100)
        #expect(release(&shared, [Array(0..<20)]) == .safe)  // researcher A
        #expect(release(&shared, [Array(1..<20)]) == .disclosive(rows: 1))  // researcher B
    }

    @Test func withholdingWhatIsAlreadyPublicIsNoReasonToRefuse() {
        // A group of 14 is released; then a histogram of it whose one non-empty bin (all 14) is
        // withheld beside an empty one. Refusing would tell that a bin was empty, which the
        // job's own answer (both bins withheld) does not; the withheld bin is public already.
        var ledger = ReleaseLedger(rowCount: 100)
        #expect(release(&ledger, [Array(0..<14)]) == .safe)
        #expect(release(&ledger, [], protected: [Array(0..<14)]) == .safe)
        #expect(ledger.protected.isEmpty)
        // A withheld set that the new job's own releases give away is still refused: with all
        // 100 and rows 0…49 released, releasing 50…89 gives the withheld 90…99 away.
        var other = ReleaseLedger(rowCount: 100)
        #expect(release(&other, [Array(0..<50)]) == .safe)
        #expect(release(&other, [Array(50..<90)], protected: [Array(90..<100)]) == .disclosive(rows: 10))
    }

    @Test func aGroupWithheldForItsIncomeStaysProtectedThoughItsCountIsPublic() {
        // 100 rows; group b is rows 0…19. A count table releases b (20) and the rest (80). A
        // summary of b's income is refused for dominance: b is withheld for income. Summaries of
        // income over all 100 and over the 80 then give b's total income as their difference.
        let b = Array(0..<20)
        let rest = Array(20..<100)
        func attack(withheldFor measures: [String]) -> [ReleaseLedger.Verdict] {
            var ledger = ReleaseLedger(rowCount: 100)
            return [
                release(&ledger, [b, rest]),
                release(&ledger, [], protected: [b], measures: measures),
                release(&ledger, [b + rest], measures: ["income"]),
                release(&ledger, [rest], measures: ["income"]),
            ]
        }
        // Positive control: withheld as a set only, b is public already (its count) and the
        // withholding protects nothing: the difference is released.
        #expect(attack(withheldFor: []) == [.safe, .safe, .safe, .safe])
        // Withheld for income, it stays out of what income figures span.
        #expect(attack(withheldFor: ["income"]) == [.safe, .safe, .safe, .disclosive(rows: 20)])
    }

    @Test func countsAndOtherMeasuresAreNotHeldBackByAGroupWithheldForIncome() {
        let b = Array(0..<20)
        let rest = Array(20..<100)
        var ledger = ReleaseLedger(rowCount: 100)
        #expect(release(&ledger, [b, rest]) == .safe)
        #expect(release(&ledger, [], protected: [b], measures: ["income"]) == .safe)
        // The same difference in visits tells nothing of b's income.
        #expect(release(&ledger, [b + rest], measures: ["visits"]) == .safe)
        #expect(release(&ledger, [rest], measures: ["visits"]) == .safe)
        // An income figure over b + rest alone does not give b either; with rest it would.
        #expect(release(&ledger, [b + rest], measures: ["income"]) == .safe)
        #expect(release(&ledger, [rest], measures: ["income", "visits"]) == .disclosive(rows: 20))
    }

    @Test func aGroupWhoseIncomeWasReleasedBeforeProtectsNothingWhenWithheldLater() {
        // b's income was released (a summary of b); a table of mean income that withholds b for
        // dominance then protects nothing, and a later difference is no reason to refuse.
        let b = Array(0..<20)
        let rest = Array(20..<100)
        var ledger = ReleaseLedger(rowCount: 100)
        #expect(release(&ledger, [b], measures: ["income"]) == .safe)
        #expect(release(&ledger, [rest], protected: [b], measures: ["income"]) == .safe)
        #expect(ledger.measures.withheld["income"] == nil)
        #expect(release(&ledger, [b + rest], measures: ["income"]) == .safe)
    }

    @Test func aWithheldIncomeSurvivesSplitsOfItsAtoms() {
        // b (0…19) withheld for income; later jobs split b's atom and release income over its
        // halves' unions with the rest: 0…9 ∪ rest, then 10…19 ∪ rest, then rest gives b.
        var ledger = ReleaseLedger(rowCount: 100)
        let rest = Array(20..<100)
        #expect(release(&ledger, [Array(0..<20), rest]) == .safe)
        #expect(release(&ledger, [], protected: [Array(0..<20)], measures: ["income"]) == .safe)
        #expect(release(&ledger, [Array(0..<10) + rest], measures: ["income"]) == .safe)
        #expect(release(&ledger, [Array(10..<20) + rest], measures: ["income"]) == .safe)
        #expect(release(&ledger, [rest], measures: ["income"]) == .disclosive(rows: 20))
    }

    @Test func aLedgerReadBackFromItsEntriesKeepsWhatWasWithheldOfEachMeasure() {
        // The attack above, its first three jobs kept as entries (their sets as the store encodes
        // them) and read back into a fresh ledger, as another process would.
        let (b, rest) = (Array(0..<20), Array(20..<100))
        var ledger = ReleaseLedger(rowCount: 100)
        var entries: [(LedgerEntry, [UInt32]?)] = []
        for (sets, protected, measures) in [([b, rest], [], []), ([], [b], ["income"]), ([b + rest], [], ["income"])] {
            var proposal = proposal(ledger, sets, protected: protected, measures: measures)
            #expect(ledger.check(&proposal, threshold: threshold) == .safe)
            let entry = ledger.entry(for: proposal, job: "job", atomsFile: nil)
            let groups = LedgerEntry.decodeGroups(
                LedgerEntry.encode(groups: (entry.measures ?? []).map { entry.valueProtected[$0] ?? [] }))
            var stored = entry
            stored.measured = LedgerEntry.decodeSets(LedgerEntry.encode(entry.measured))
            stored.valueProtected = Dictionary(uniqueKeysWithValues: zip(entry.measures ?? [], groups))
                .filter { !$0.value.isEmpty }
            #expect(stored == entry)
            entries.append((stored, proposal.atomOfRow))
            ledger.apply(proposal)
        }
        var readBack = ReleaseLedger(rowCount: 100)
        for (entry, rows) in entries { readBack.replay(entry, atomOfRow: rows) }
        #expect(release(&readBack, [rest], measures: ["income"]) == .disclosive(rows: 20))

        // After an entry from before measures were recorded, every set released so far counts
        // as having released every measure: b's income is taken as known (its count is), and
        // withholding it later protects nothing.
        var legacy = ReleaseLedger(rowCount: 100)
        var old = entries[0].0
        (old.measures, old.measured) = (nil, [])
        legacy.replay(old, atomOfRow: entries[0].1)
        #expect(release(&legacy, [], protected: [b], measures: ["income"]) == .safe)
        #expect(legacy.measures.withheld.isEmpty)
        #expect(release(&legacy, [rest], measures: ["income"]) == .safe)

        // An entry from before measures were recorded, read after newer ones (an old program on
        // the same store): its own sets count as having released every measure, and the ledger
        // that applied the newer entries and the one that read them all back agree.
        var catchingUp = ledger
        var fromScratch = readBack
        // Income over 50…99 beside 0…49 and everyone does not give b. Once the old entry has
        // released 20…49 as well (0…49 minus it is b), b is known and no longer held against
        // anyone: a refusal is for what a job adds, never for what was released before it.
        for (rows, asked) in [(Array(0..<50), Array(50..<100)), (Array(20..<50), Array(60..<100))] {
            let next = proposal(catchingUp, [rows], protected: [], measures: [])
            var older = catchingUp.entry(for: next, job: "old", atomsFile: nil)
            (older.measures, older.measured) = (nil, [])
            catchingUp.replay(older, atomOfRow: next.atomOfRow ?? catchingUp.atomOfRow)
            fromScratch.replay(older, atomOfRow: next.atomOfRow ?? fromScratch.atomOfRow)
            #expect(catchingUp.setBytes == fromScratch.setBytes)
            #expect(release(&catchingUp, [asked], measures: ["income"]) == .safe)
            #expect(release(&fromScratch, [asked], measures: ["income"]) == .safe)
        }
    }

    @Test func aSpanKeptByACheckNeverAppliedMissesNoLaterRelease() {
        // Found by review: a job withholding b for income is checked but not applied (another
        // job finished first), leaving income's span as it was; an income summary over everyone
        // is applied with nothing withheld for income yet; the first job is checked again and
        // applied. The income span kept for the next job must hold the summary, or income over
        // the rest (everyone minus b) would pass.
        let (b, rest) = (Array(0..<20), Array(20..<100))
        var ledger = ReleaseLedger(rowCount: 100)
        #expect(release(&ledger, [b, rest]) == .safe)
        var unapplied = proposal(ledger, [], protected: [b], measures: ["income"])
        #expect(ledger.check(&unapplied, threshold: threshold) == .safe)
        #expect(release(&ledger, [b + rest], measures: ["income"]) == .safe)
        #expect(release(&ledger, [], protected: [b], measures: ["income"]) == .safe)
        #expect(release(&ledger, [rest], measures: ["income"]) == .disclosive(rows: 20))
    }

    @Test func theDroppedRowsCountTellsNothingOfTheirValues() {
        // A summary of income and age over 100 rows, b (0…19) lacking age: it releases its
        // figures over the other 80 and that 20 rows were dropped. b's income stays unknown, so
        // b withheld for income later is protected, and income over everyone is then refused.
        var ledger = ReleaseLedger(rowCount: 100)
        let b = Array(0..<20)
        var labels = [UInt32](repeating: RowLabels.first, count: 100)
        for row in b { labels[row] = RowLabels.dropped }
        var summary = labels.withUnsafeBufferPointer {
            ledger.propose(
                labels: $0, released: [[RowLabels.first], [RowLabels.dropped]], protected: [],
                reveals: ["income", "age"], withholds: ["income", "age"])!
        }
        #expect(ledger.check(&summary, threshold: threshold) == .safe)
        ledger.apply(summary)
        #expect(release(&ledger, [], protected: [b], measures: ["income"]) == .safe)
        #expect(ledger.measures.withheld["income"]?.count == 1)
        #expect(release(&ledger, [Array(0..<100)], measures: ["income"]) == .disclosive(rows: 20))
    }

    @Test func aColumnNamedLikeAWildcardIsOneMeasureLikeAnother() {
        let (b, rest) = (Array(0..<20), Array(20..<100))
        var ledger = ReleaseLedger(rowCount: 100)
        #expect(release(&ledger, [b, rest], measures: ["*"]) == .safe)
        #expect(release(&ledger, [], protected: [b], measures: ["income"]) == .safe)
        #expect(release(&ledger, [b + rest], measures: ["income"]) == .safe)
        #expect(release(&ledger, [rest], measures: ["income"]) == .disclosive(rows: 20))
    }

    @Test func countingPeopleByAMeasureTellsItsTotal() {
        // b (0…19) is refused for sharing one insured status and withheld for insured. Counting
        // people by insured status (0…59 insured, 60…99 not) and then by group and status gives
        // b's insured count; the job that reads insured to group by it reveals insured.
        let b = Array(0..<20)
        var ledger = ReleaseLedger(rowCount: 100)
        #expect(release(&ledger, [b, Array(20..<100)]) == .safe)
        #expect(release(&ledger, [], protected: [b], measures: ["insured"]) == .safe)
        #expect(release(&ledger, [Array(0..<60), Array(60..<100)], measures: ["insured"]) == .safe)
        #expect(release(&ledger, [b, Array(20..<60), Array(60..<100)], measures: ["insured"]) == .disclosive(rows: 20))
    }

    @Test func aSplitOfManySmallPiecesIsBoundedAndSaysSo() {
        // Every released set is large, but a search budget of 1 cannot finish: saturated.
        let ledger = ReleaseLedger(rowCount: 100)
        var labels = [UInt32](repeating: RowLabels.outside, count: 100)
        for row in 0..<100 { labels[row] = RowLabels.first + UInt32(row / 5) }
        let pairs = (0..<10).map { [RowLabels.first + UInt32(2 * $0), RowLabels.first + UInt32(2 * $0 + 1)] }
        var proposal = labels.withUnsafeBufferPointer { ledger.propose(labels: $0, released: pairs, protected: [])! }
        #expect(ledger.check(&proposal, threshold: threshold, limits: .init(work: 1)) == .saturated)
        #expect(ledger.check(&proposal, threshold: threshold) == .safe)
    }

    @Test func aSetReleasedBeforeIsKnownWhenAJobSplitsItsAtoms() {
        var ledger = ReleaseLedger(rowCount: 100)
        #expect(release(&ledger, [Array(0..<50)]) == .safe)
        #expect(release(&ledger, [Array(0..<25), Array(25..<75)]) == .safe)
        // Rows 0…49 again, as the union of two labels that split the atom 0…24: the same set,
        // nothing new; beside it a set the ledger has not seen, 0…9 with 50…74.
        var labels = [UInt32](repeating: RowLabels.outside, count: 100)
        for row in 0..<10 { labels[row] = RowLabels.first }
        for row in 10..<50 { labels[row] = RowLabels.first + 1 }
        for row in 50..<75 { labels[row] = RowLabels.first + 2 }
        let first = RowLabels.first
        let proposal = labels.withUnsafeBufferPointer {
            ledger.propose(labels: $0, released: [[first, first + 1], [first, first + 2]], protected: [])!
        }
        #expect(proposal.splits.count == 1)
        #expect(proposal.released.count == 1)
        let rows = proposal.released.first.map { set in set.reduce(0) { $0 + proposal.atomCounts[Int($1)] } }
        #expect(rows == 35)
    }

    @Test func aRowLabelledWithTheUnseenMarkerIsNotFoldedIntoItsAtomsLabel() {
        // Found by review: the one-pass path marks unseen atoms with UInt32.max; a first row
        // carrying that label must not be taken for its neighbours' label (rows 1…19 after 0…19
        // would give row 0 away).
        var ledger = ReleaseLedger(rowCount: 100)
        #expect(release(&ledger, [Array(0..<20)]) == .safe)
        var labels = [UInt32](repeating: RowLabels.outside, count: 100)
        labels[0] = .max
        for row in 1..<20 { labels[row] = RowLabels.first }
        var proposal = labels.withUnsafeBufferPointer {
            ledger.propose(labels: $0, released: [[RowLabels.first]], protected: [])!
        }
        #expect(ledger.check(&proposal, threshold: threshold) != .safe)
    }
}
