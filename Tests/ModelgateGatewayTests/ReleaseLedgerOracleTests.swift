import ModelgateTestSupport
import Testing

@testable import ModelgateCore
@testable import ModelgateDisclosure
@testable import ModelgateGateway

/// The ledger's verdicts against a brute-force oracle on small random streams of jobs.
///
/// The oracle knows nothing of atoms kept between jobs, echelon forms or searches: it takes every
/// released set as a 0/1 vector over rows, groups rows into classes no set tells apart, and tries
/// every union S of classes holding fewer than `threshold` rows: a nonzero combination of the
/// released vectors is zero outside S exactly when the rank of the vectors drops once the columns
/// of S are removed. A withheld set is given away when adding it leaves the rank unchanged.
///
/// Half the jobs are about a measure (a table of means): their released sets reveal it and their
/// withheld cell is withheld for it too, which must stay out of the span of the sets that
/// revealed the measure, counted or not.
@Suite struct ReleaseLedgerOracleTests {
    let rows = 48
    let threshold = 4

    @Test func theLedgerNeverReleasesWhatTheOracleFindsDisclosiveAndFindsWhatItDoes() {
        var tally = (jobs: 0, released: 0, disclosive: 0, saturated: 0, missed: 0, coldMissed: 0, byMeasure: 0)
        var random = SplitMix64(seed: 7)  // seeded, so that a failure repeats
        for _ in 0..<60 {
            // Rows of a small survey: three attributes with 4, 3 and 2 values.
            let people = (0..<rows).map { _ in [random.next(below: 4), random.next(below: 3), random.next(below: 2)] }
            var ledger = ReleaseLedger(rowCount: rows)
            var released: [[Bool]] = [[Bool](repeating: true, count: rows)]
            var protected: [[Bool]] = []
            // Sets that revealed the measure, and sets withheld for it.
            var measured: [[Bool]] = []
            var withheldForMeasure: [[Bool]] = []
            var labelsSoFar: [[UInt32]] = []
            for _ in 0..<15 {
                // A job: a table by one or two attributes, perhaps with a filter on a third
                // (equal to or other than a value); sometimes one of its cells withheld.
                let by = [[0], [1], [2], [0, 1], [0, 2], [1, 2]][random.next(below: 6)]
                let filter = (
                    attribute: random.next(below: 3), value: random.next(below: 2), equal: random.next(below: 2) == 0
                )
                let filtered = random.next(below: 2) == 0
                let measures = random.next(below: 2) == 0 ? ["m"] : []
                var labels = [UInt32](repeating: RowLabels.outside, count: rows)
                for (row, person) in people.enumerated() {
                    if filtered && (person[filter.attribute] == filter.value) != filter.equal { continue }
                    labels[row] = RowLabels.first + UInt32(by.reduce(0) { $0 * 4 + person[$1] })
                }
                let cells = Set(labels.filter { $0 != RowLabels.outside }).sorted()
                guard !cells.isEmpty else { continue }
                let withheld = random.next(below: 3) == 0 ? [cells[random.next(below: cells.count)]] : []
                let shown = cells.filter { !withheld.contains($0) }
                let members = { (label: UInt32) in labels.map { $0 == label } }
                let newReleased = shown.map(members)
                let newProtected = withheld.map(members).filter { !Self.inSpan($0, released) }
                let newMeasured = measures.isEmpty ? [] : newReleased
                let newWithheldForMeasure =
                    measures.isEmpty ? [] : withheld.map(members).filter { !Self.inSpan($0, measured) }
                let byMeasure = (withheldForMeasure + newWithheldForMeasure).contains {
                    Self.inSpan($0, measured + newMeasured)
                }
                let oracle =
                    byMeasure
                    || Self.disclosive(
                        released + newReleased, protected + newProtected, classes: labelsSoFar + [labels],
                        threshold: threshold)

                func judge(_ ledger: ReleaseLedger) -> (ReleaseLedger.Verdict, ReleaseLedger.Proposal) {
                    var proposal = labels.withUnsafeBufferPointer {
                        ledger.propose(
                            labels: $0, released: shown.map { [$0] }, protected: withheld.map { [$0] },
                            reveals: measures, withholds: measures)!
                    }
                    return (ledger.check(&proposal, threshold: threshold), proposal)
                }
                // Sometimes another job is checked first and never applied (it lost the race to
                // the store): what its check keeps must not change any later verdict.
                if random.next(below: 3) == 0 {
                    var unapplied = labels.withUnsafeBufferPointer {
                        ledger.propose(
                            labels: $0, released: [], protected: shown.map { [$0] }, reveals: ["m"], withholds: ["m"])!
                    }
                    _ = ledger.check(&unapplied, threshold: threshold)
                }
                let (verdict, proposal) = judge(ledger)
                let (cold, _) = judge(ledger.forgettingSpan())
                tally.jobs += 1
                if cold == .saturated && !oracle { tally.coldMissed += 1 }
                for verdict in [verdict, cold] {
                    switch verdict {
                    case .safe: #expect(!oracle, "released what the oracle finds disclosive")
                    case .disclosive: #expect(oracle, "refused what the oracle finds safe")
                    case .saturated: break
                    }
                }
                switch verdict {
                case .safe:
                    tally.released += 1
                    if proposal.isNew { ledger.apply(proposal) }
                    released += newReleased
                    protected += newProtected
                    measured += newMeasured
                    withheldForMeasure += newWithheldForMeasure
                    labelsSoFar.append(labels)
                case .disclosive:
                    tally.disclosive += 1
                    if byMeasure
                        && !Self.disclosive(
                            released + newReleased, protected + newProtected, classes: labelsSoFar + [labels],
                            threshold: threshold)
                    {
                        tally.byMeasure += 1
                    }
                case .saturated:
                    tally.saturated += 1
                    if !oracle { tally.missed += 1 }
                }
            }
        }
        print("oracle streams: \(tally)")
        // The streams exercise both outcomes, and refusals for a measure alone (7 here). The check gives up on some safe jobs (a combination
        // other than a set of rows cannot be ruled out) but on no more than one in ten here, and
        // keeping its span between jobs makes it give up no more often than rebuilding it.
        #expect(tally.released > 100 && tally.disclosive > 100 && tally.byMeasure > 3)
        #expect(tally.missed * 10 <= tally.jobs)
        #expect(tally.missed <= tally.coldMissed)
    }

    static func disclosive(_ released: [[Bool]], _ protected: [[Bool]], classes labellings: [[UInt32]], threshold: Int)
        -> Bool
    {
        if protected.contains(where: { inSpan($0, released) }) { return true }
        let rowCount = released[0].count
        var classOf: [[UInt32]: Int] = [:]
        var firstRow: [Int] = []
        let rowClass = (0..<rowCount).map { row in
            let key = labellings.map { $0[row] }
            if let known = classOf[key] { return known }
            classOf[key] = classOf.count
            firstRow.append(row)
            return classOf.count - 1
        }
        let sizes = firstRow.indices.map { c in rowClass.filter { $0 == c }.count }
        // Every released set is a union of classes: one column a class.
        let columns = released.map { vector in firstRow.map { vector[$0] } }
        let full = rank(columns)
        // Unions of classes of fewer than `threshold` rows, depth first.
        func search(_ next: Int, _ chosen: [Int], _ total: Int) -> Bool {
            if !chosen.isEmpty {
                let outside = columns.map { vector in vector.indices.filter { !chosen.contains($0) }.map { vector[$0] }
                }
                if rank(outside) < full { return true }
            }
            for c in next..<sizes.count where total + sizes[c] < threshold {
                if search(c + 1, chosen + [c], total + sizes[c]) { return true }
            }
            return false
        }
        return search(0, [], 0)
    }

    static func inSpan(_ vector: [Bool], _ vectors: [[Bool]]) -> Bool {
        rank(vectors + [vector]) == rank(vectors)
    }

    /// Rank modulo 2⁶¹ − 1 by dense Gaussian elimination.
    static func rank(_ vectors: [[Bool]]) -> Int {
        var matrix = vectors.map { $0.map { $0 ? UInt64(1) : 0 } }
        guard let width = matrix.first?.count else { return 0 }
        var rank = 0
        for column in 0..<width {
            guard let pivot = (rank..<matrix.count).first(where: { matrix[$0][column] != 0 }) else { continue }
            matrix.swapAt(rank, pivot)
            let inverse = PrimeField.inverse(matrix[rank][column])
            for other in matrix.indices where other != rank && matrix[other][column] != 0 {
                let factor = PrimeField.multiply(matrix[other][column], inverse)
                for c in 0..<width {
                    matrix[other][c] = PrimeField.subtract(
                        matrix[other][c], PrimeField.multiply(factor, matrix[rank][c]))
                }
            }
            rank += 1
        }
        return rank
    }
}
