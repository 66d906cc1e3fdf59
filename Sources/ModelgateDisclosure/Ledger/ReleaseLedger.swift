import ModelgateCore

/// Everything released from one dataset version, by anyone, as row sets; and the check that a new
/// result, together with all of it, gives no one away.
///
/// The design follows the query-auditing literature (Chin & Özsoyoğlu's audit expert; Kleinberg,
/// Papadimitriou & Raghavan on sum auditing):
///
/// - **Atoms.** Rows are grouped into atoms, the classes of rows that no released figure has ever
///   told apart; the ledger keeps one `UInt32` per row (its atom) and each released or protected
///   set as a list of atoms. A new job's row labels split atoms; nothing else changes them.
/// - **Every figure as a set.** A released count, sum, mean, standard deviation, quantile window or
///   coefficient over a set is entered as that set, whatever the per-row function. Labels split
///   rows only by the groups a result is about (cells, bins, a regression's groups), never by a
///   measure's values: a refusal then depends on who is in which set, not on anyone's income or
///   insured status. (A regression's Σx·y weights rows by a feature's values; for a feature with
///   many values, two samples that differ by many people of one value and one of another give
///   that one's y, which a set cannot show. Entering such sums as weighted vectors, with atoms
///   split by the feature's values, is the known next step.) (A boolean measure's sum over a set is the count of its true
///   rows; combinations that isolate a few of those need the few in a derivable set too, unless the
///   rest are known to share one value, which the per-result group-disclosure rule withholds.)
/// - **Disclosive** means that some linear combination of released sets (the dataset's size
///   included: it is public) is not zero and reaches fewer than `threshold` rows, whatever its
///   coefficients: a set of rows, or a difference such as x_a − x_b, which with the sums of squares
///   of the same two sets gives both values. Protected sets (suppressed cells and bins, withheld
///   dropped rows) must stay out of the span altogether.
/// - **Elimination.** The span is computed by sparse elimination over a prime field
///   (``PrimeField``, ``SpanBasis``), with atoms of at least `threshold` rows ordered first. A
///   combination reaching fewer than `threshold` rows touches small atoms only, and (echelon form)
///   is then a combination of the basis rows that pivot on small atoms, reduced against each other.
///   A combination that uses a row is nonzero on the columns no other row reaches; rows whose own
///   columns hold `threshold` rows or more are ruled out, repeatedly, and when none is left the
///   check is exact and safe. Otherwise a row of fewer than `threshold` rows, or a 0/1 sum of rows
///   (a set) found by a bounded search, names the disclosure; failing both the check cannot prove
///   safety and says so (``Verdict/saturated``): it errs only towards refusing.
///
/// Cost: a job that splits no atom and releases only sets already released adds nothing and is
/// answered without elimination. Otherwise the span is rebuilt, in time that grows with the number
/// of distinct released sets times their size in atoms; ``Limits`` bound both.
public struct ReleaseLedger: Sendable {
    /// Each row's atom.
    public private(set) var atomOfRow: [UInt32]
    /// Rows in each atom.
    public private(set) var atomCounts: [Int]
    /// Released sets, as sorted atom lists; the whole dataset is the first.
    public private(set) var released: [[UInt32]]
    /// Suppressed cells and bins, as sorted atom lists.
    public private(set) var protected: [[UInt32]]
    /// Entries applied so far.
    public private(set) var generation: Int
    private var releasedIndex: Set<[UInt32]>
    private var protectedIndex: Set<[UInt32]>

    public struct Limits: Sendable, Equatable {
        /// Most atoms the ledger splits a dataset into.
        public var atoms: Int
        /// Most row entries one check may add up, in elimination and in the search for a small
        /// derivable set together: the check's time is about proportional to it (some 10⁸ a second).
        public var work: Int
        public init(atoms: Int = 1 << 20, work: Int = 60_000_000) {
            self.atoms = atoms
            self.work = work
        }
    }

    /// A fresh ledger: one atom, the whole dataset, released (its size is public).
    public init(rowCount: Int) {
        atomOfRow = [UInt32](repeating: 0, count: rowCount)
        atomCounts = rowCount > 0 ? [rowCount] : []
        released = rowCount > 0 ? [[0]] : []
        protected = []
        generation = 0
        releasedIndex = Set(released)
        protectedIndex = []
    }

    /// What one job would add: its atoms split by its labels, and its sets in the split atoms.
    public struct Proposal: Sendable {
        /// Each row's atom after the split; nil when no atom split.
        public var atomOfRow: [UInt32]?
        public var atomCounts: [Int]
        /// New atoms and the atom each split from.
        public var splits: [(atom: UInt32, parent: UInt32)]
        /// The job's sets not released or protected before, as atom lists after the split.
        public var released: [[UInt32]]
        public var protected: [[UInt32]]
        /// Whether the job adds anything the ledger did not hold.
        public var isNew: Bool { !splits.isEmpty || !released.isEmpty || !protected.isEmpty }
    }

    public enum Verdict: Sendable, Equatable {
        case safe
        /// A protected set, or a set of fewer than `threshold` rows, would become derivable.
        case disclosive(rows: Int)
        /// The ledger could not decide within its limits.
        case saturated
    }

    /// Splits the atoms by a job's row labels and expresses its label sets in atoms.
    /// - Returns: nil when the split would exceed `limits.atoms`.
    public func propose(
        labels: UnsafeBufferPointer<UInt32>, released releasedLabels: [[UInt32]], protected protectedLabels: [[UInt32]],
        limits: Limits = Limits()
    ) -> Proposal? {
        precondition(labels.count == atomOfRow.count, "labels for another row count")
        let (atomsOfLabel, splits, counts, newAtomOfRow):
            ([UInt32: [UInt32]], [(atom: UInt32, parent: UInt32)], [Int], [UInt32])
        if let unsplit = labelOfEachAtom(labels) {
            var grouped: [UInt32: [UInt32]] = [:]
            for (atom, label) in unsplit.enumerated() { grouped[label, default: []].append(UInt32(atom)) }
            (atomsOfLabel, splits, counts, newAtomOfRow) = (grouped, [], atomCounts, [])
        } else {
            guard let split = split(by: labels, limits: limits) else { return nil }
            (atomsOfLabel, splits, counts, newAtomOfRow) = split
        }
        func atoms(of labels: [UInt32]) -> [UInt32] {
            labels.flatMap { atomsOfLabel[$0] ?? [] }.sorted()
        }
        // Old sets gain the atoms split from their members; a new set equal to one of them is old.
        let grown = splits.isEmpty ? self : expanded(by: splits, counts: counts)
        let newReleased = Set(releasedLabels.map(atoms).filter { !$0.isEmpty && !grown.releasedIndex.contains($0) })
        let newProtected = Set(
            protectedLabels.map(atoms).filter { !$0.isEmpty && !grown.protectedIndex.contains($0) })
        return Proposal(
            atomOfRow: splits.isEmpty ? nil : newAtomOfRow, atomCounts: counts, splits: splits,
            released: newReleased.sorted { $0.lexicographicallyPrecedes($1) },
            protected: newProtected.sorted { $0.lexicographicallyPrecedes($1) })
    }

    /// Each atom's one label, when every atom's rows share one (the job splits nothing): one pass
    /// with no hashing, the common case of a question asked again or over groups already told
    /// apart. nil at the first atom whose rows differ.
    private func labelOfEachAtom(_ labels: UnsafeBufferPointer<UInt32>) -> [UInt32]? {
        var labelOf = [UInt32](repeating: .max, count: atomCounts.count)
        let unsplit = labelOf.withUnsafeMutableBufferPointer { labelOf in
            atomOfRow.withUnsafeBufferPointer { atomOfRow in
                for row in 0..<atomOfRow.count {
                    let atom = Int(atomOfRow[row])
                    let label = labels[row]
                    if labelOf[atom] == label { continue }
                    if labelOf[atom] != .max { return false }
                    labelOf[atom] = label
                }
                return true
            }
        }
        return unsplit ? labelOf : nil
    }

    /// The atoms split by `labels`: each label's atoms, the new atoms with their parents, every
    /// atom's rows and every row's atom (empty when nothing split); nil beyond `limits.atoms`.
    private func split(by labels: UnsafeBufferPointer<UInt32>, limits: Limits) -> (
        [UInt32: [UInt32]], [(atom: UInt32, parent: UInt32)], [Int], [UInt32]
    )? {
        var pairs = PairTable(atoms: atomCounts.count, labelBound: Int(labels.max() ?? 0) + 1)
        var claimed = [Bool](repeating: false, count: atomCounts.count)
        var splits: [(atom: UInt32, parent: UInt32)] = []
        // Filled from the first split on: until then every row keeps its atom.
        var newAtomOfRow: [UInt32] = []
        var counts = atomCounts.map { _ in 0 }
        var atomsOfLabel: [UInt32: [UInt32]] = [:]
        var lastKey = UInt64.max
        var lastAtom: UInt32 = 0
        for row in 0..<atomOfRow.count {
            let atom = atomOfRow[row]
            let key = UInt64(atom) << 32 | UInt64(labels[row])
            if key != lastKey {
                lastKey = key
                if let known = pairs[key] {
                    lastAtom = known
                } else {
                    let next: UInt32
                    if !claimed[Int(atom)] {
                        claimed[Int(atom)] = true
                        next = atom
                    } else {
                        guard counts.count < limits.atoms else { return nil }
                        next = UInt32(counts.count)
                        counts.append(0)
                        if splits.isEmpty {
                            newAtomOfRow.reserveCapacity(atomOfRow.count)
                            newAtomOfRow += atomOfRow[..<row]
                        }
                        splits.append((next, atom))
                    }
                    pairs[key] = next
                    atomsOfLabel[labels[row], default: []].append(next)
                    lastAtom = next
                }
            }
            if !splits.isEmpty { newAtomOfRow.append(lastAtom) }
            counts[Int(lastAtom)] += 1
        }
        return (atomsOfLabel, splits, counts, newAtomOfRow)
    }

    /// Whether the ledger with `proposal` applied still gives no protected set and no set of
    /// fewer than `threshold` rows away.
    ///
    /// A set the job withholds that earlier releases already determine protects nothing: it is
    /// taken out of `proposal` rather than refused for. Which of a job's cells are withheld
    /// depends on the data (an empty bin, a small cell), so refusing for those would make the
    /// refusal tell what the job's own suppression pattern does not.
    public func check(_ proposal: inout Proposal, threshold: Int, limits: Limits = Limits()) -> Verdict {
        guard proposal.isNew else { return .safe }
        var next = self
        next.apply(proposal)
        let (verdict, known) = next.audit(
            threshold: threshold, limits: limits, newReleased: proposal.released.count,
            newProtected: proposal.protected.count)
        proposal.protected.removeAll { known.contains($0) }
        return verdict
    }

    /// Adds a proposal that passed its check (or one read back from the store).
    public mutating func apply(_ proposal: Proposal) {
        if !proposal.splits.isEmpty {
            self = expanded(by: proposal.splits, counts: proposal.atomCounts)
            if let rows = proposal.atomOfRow { atomOfRow = rows }
        }
        for set in proposal.released where releasedIndex.insert(set).inserted { released.append(set) }
        for set in proposal.protected where protectedIndex.insert(set).inserted { protected.append(set) }
        generation += 1
    }

    /// Adds an entry read back from the store. `atomOfRow`, every row's atom after it, read from its
    /// file, must come with the last entry read that split atoms.
    public mutating func replay(_ entry: LedgerEntry, atomOfRow rows: [UInt32]?) {
        if !entry.splits.isEmpty {
            self = expanded(by: entry.splits, counts: atomCounts + [Int](repeating: 0, count: entry.splits.count))
        }
        // Counts of atoms split by an earlier entry are filled in from the last file.
        if let rows {
            var counts = [Int](repeating: 0, count: atomCounts.count)
            for atom in rows where Int(atom) < counts.count { counts[Int(atom)] += 1 }
            atomCounts = counts
            atomOfRow = rows
        }
        for set in entry.released where releasedIndex.insert(set).inserted { released.append(set) }
        for set in entry.protected where protectedIndex.insert(set).inserted { protected.append(set) }
        generation = entry.generation
    }

    /// The entry that records `proposal` as the ledger's next generation.
    public func entry(for proposal: Proposal, job: String, atomsFile: String?) -> LedgerEntry {
        LedgerEntry(
            generation: generation + 1, job: job, splits: proposal.splits, released: proposal.released,
            protected: proposal.protected, atomsFile: atomsFile)
    }

    /// The ledger's sets with each split atom's new siblings added wherever the atom was.
    private func expanded(by splits: [(atom: UInt32, parent: UInt32)], counts: [Int]) -> ReleaseLedger {
        var children: [UInt32: [UInt32]] = [:]
        for split in splits { children[split.parent, default: []].append(split.atom) }
        func grow(_ set: [UInt32]) -> [UInt32] {
            var added: [UInt32] = []
            for atom in set { if let more = children[atom] { added += more } }
            return added.isEmpty ? set : (set + added).sorted()
        }
        var result = self
        result.atomCounts = counts
        result.released = released.map(grow)
        result.protected = protected.map(grow)
        result.releasedIndex = Set(result.released)
        result.protectedIndex = Set(result.protected)
        return result
    }

    /// The check itself, on the ledger as it stands, whose last `newReleased` released and
    /// `newProtected` protected sets are a new job's; with the job's protected sets that the
    /// earlier released sets already determine, which are not held against it.
    func audit(threshold: Int, limits: Limits, newReleased: Int = 0, newProtected: Int = 0) -> (Verdict, Set<[UInt32]>)
    {
        var known = Set<[UInt32]>()
        let verdict = audit(
            threshold: threshold, limits: limits, newReleased: newReleased, newProtected: newProtected, known: &known)
        return (verdict, known)
    }

    private func audit(
        threshold: Int, limits: Limits, newReleased: Int, newProtected: Int, known: inout Set<[UInt32]>
    ) -> Verdict {
        // Large atoms first; small ones by decreasing size, so that pivots hold as many rows as can be.
        let order = atomCounts.indices.sorted {
            let (a, b) = (atomCounts[$0], atomCounts[$1])
            let (largeA, largeB) = (a >= threshold, b >= threshold)
            return largeA != largeB ? largeA : (a != b ? a > b : $0 < $1)
        }
        var position = [Int32](repeating: 0, count: atomCounts.count)
        for (at, atom) in order.enumerated() { position[atom] = Int32(at) }
        let firstSmall = Int32(order.firstIndex { atomCounts[$0] < threshold } ?? order.count)
        func vector(_ set: [UInt32]) -> SparseVector {
            SparseVector(indicator: set.map { position[Int($0)] }.sorted())
        }
        var basis = SpanBasis(columnCount: atomCounts.count)
        for (index, set) in released.enumerated() {
            if index == released.count - newReleased {
                for set in protected.suffix(newProtected) where basis.reduce(vector(set)).isZero { known.insert(set) }
            }
            basis.insert(vector(set))
            if basis.work > limits.work { return .saturated }
        }
        if newReleased == 0 {
            for set in protected.suffix(newProtected) where basis.reduce(vector(set)).isZero { known.insert(set) }
        }
        for set in protected where !known.contains(set) && basis.reduce(vector(set)).isZero {
            return .disclosive(rows: set.reduce(0) { $0 + atomCounts[Int($1)] })
        }
        guard firstSmall < Int32(order.count) else { return .safe }
        var smallRows = basis.reducedRows(from: firstSmall)
        var countAt = order.map { atomCounts[$0] }
        // Atoms that every combination of these rows treats alike are one column (see Condensed).
        for _ in 0..<Condensed.rounds where !smallRows.isEmpty {
            guard let condensed = Condensed(smallRows, countAt: countAt, threshold: threshold) else { break }
            (smallRows, countAt) = (condensed.rows, condensed.countAt)
        }
        guard !smallRows.isEmpty else { return .safe }
        // A combination that uses a row is nonzero on the row's columns no other row reaches.
        let candidates = SmallSetSearch.candidates(smallRows, countAt: countAt, threshold: threshold) {
            _ in true
        }
        guard !candidates.isEmpty else { return .safe }
        for row in candidates {
            let rows = row.columns.reduce(0) { $0 + countAt[Int($1)] }
            if rows < threshold { return .disclosive(rows: rows) }
        }
        guard basis.work <= limits.work else { return .saturated }
        // Some combination of the rest may still reach fewer than `threshold` rows. A set of rows
        // (a 0/1 combination) is looked for, to name the disclosure; without one found, the check
        // cannot tell, and says so.
        var search = SmallSetSearch(
            rows: candidates, countAt: countAt, threshold: threshold, budget: limits.work - basis.work)
        let verdict = search.run()
        return verdict == .safe ? .saturated : verdict
    }
}

/// The small rows' combinations on fewer columns: columns on which every row has the same value
/// (the same row list with the same values) are equal in every combination, so they merge into
/// one column holding all their rows. A merged column may hold `threshold` rows or more, though
/// none of its atoms does; then the elimination argument applies again, large columns first, and
/// only the rows that pivot on small columns are kept. Repeated while it removes something.
private struct Condensed {
    static let rounds = 4
    var rows: [SparseVector]
    var countAt: [Int]

    /// nil when no merged column holds `threshold` rows (nothing to gain).
    init?(_ rows: [SparseVector], countAt: [Int], threshold: Int) {
        // Each column's entries, as (row, value) in row order.
        var entries: [Int32: [(Int32, UInt64)]] = [:]
        for (i, row) in rows.enumerated() {
            for (column, value) in zip(row.columns, row.values) {
                entries[column, default: []].append((Int32(i), value))
            }
        }
        // Columns with equal entries, one class each.
        var classOf: [Int32: Int32] = [:]
        var representatives: [Int: [Int32]] = [:]
        var classCount: [Int] = []
        var classColumn: [Int32] = []
        for column in entries.keys.sorted() {
            let list = entries[column]!
            var hasher = Hasher()
            for (row, value) in list {
                hasher.combine(row)
                hasher.combine(value)
            }
            let key = hasher.finalize()
            let same = representatives[key, default: []].first { other in
                let a = entries[classColumn[Int(other)]]!
                return a.count == list.count && zip(a, list).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
            }
            if let same {
                classOf[column] = same
                classCount[Int(same)] += countAt[Int(column)]
            } else {
                let id = Int32(classCount.count)
                classOf[column] = id
                classCount.append(countAt[Int(column)])
                classColumn.append(column)
                representatives[key, default: []].append(id)
            }
        }
        guard classCount.contains(where: { $0 >= threshold }) else { return nil }
        // Large classes first, then small ones by decreasing size, as for atoms.
        let order = classCount.indices.sorted {
            let (a, b) = (classCount[$0], classCount[$1])
            let (largeA, largeB) = (a >= threshold, b >= threshold)
            return largeA != largeB ? largeA : (a != b ? a > b : $0 < $1)
        }
        var position = [Int32](repeating: 0, count: classCount.count)
        for (at, id) in order.enumerated() { position[id] = Int32(at) }
        let firstSmall = Int32(order.firstIndex { classCount[$0] < threshold } ?? order.count)
        var basis = SpanBasis(columnCount: classCount.count)
        for row in rows {
            var merged: [(Int32, UInt64)] = []
            var seen = Set<Int32>()
            for (column, value) in zip(row.columns, row.values) {
                let id = classOf[column]!
                if seen.insert(id).inserted { merged.append((position[Int(id)], value)) }
            }
            merged.sort { $0.0 < $1.0 }
            var vector = SparseVector()
            vector.columns = merged.map(\.0)
            vector.values = merged.map(\.1)
            basis.insert(vector)
        }
        self.rows = firstSmall < Int32(order.count) ? basis.reducedRows(from: firstSmall) : []
        self.countAt = order.map { classCount[$0] }
    }
}

/// The search for a 0/1 combination of fewer than `threshold` rows among reduced basis rows that
/// pivot on small atoms: depth first over subsets in row order. The sum is kept in a dense
/// accumulator with two running figures (the columns whose value is neither 0 nor 1, and the rows
/// of the columns whose value is 1), so that a step costs the entries of one row. A column no
/// later row reaches is final once the search has passed the last row that reaches it: a final
/// value other than 0 or 1 ends the branch, and final 1s count towards `threshold` (each chosen
/// row's pivot among them, as no other row reaches it).
private struct SmallSetSearch {
    let rows: [SparseVector]
    let countAt: [Int]
    let threshold: Int
    var budget: Int
    var sum: [UInt64]
    var notZeroOrOne = 0
    var rowsAtOne = 0
    /// The columns whose last row is each row.
    let endingAt: [[Int32]]

    init(rows: [SparseVector], countAt: [Int], threshold: Int, budget: Int) {
        self.rows = Self.candidates(rows, countAt: countAt, threshold: threshold) { $0 == 1 }
        self.countAt = countAt
        self.threshold = threshold
        self.budget = budget - rows.reduce(0) { $0 + $1.columns.count }
        sum = [UInt64](repeating: 0, count: countAt.count)
        var lastRow = [Int32](repeating: -1, count: countAt.count)
        for (i, row) in self.rows.enumerated() { for column in row.columns { lastRow[Int(column)] = Int32(i) } }
        var ending = [[Int32]](repeating: [], count: self.rows.count)
        for (column, row) in lastRow.enumerated() where row >= 0 { ending[Int(row)].append(Int32(column)) }
        endingAt = ending
    }

    /// The rows that can be part of a combination of fewer than `threshold` rows whose values all
    /// pass `allowed` (any nonzero value, or 1 for a set of rows). A column that only one candidate
    /// reaches keeps that row's value, times its coefficient, in every combination the row is in: a
    /// value not allowed there, or columns of `threshold` rows or more, rule the row out, and
    /// ruling one out can leave others alone in a column; repeated until nothing changes.
    static func candidates(
        _ rows: [SparseVector], countAt: [Int], threshold: Int, allowed: (UInt64) -> Bool
    ) -> [SparseVector] {
        var reaching = [Int32](repeating: 0, count: countAt.count)
        for row in rows { for column in row.columns { reaching[Int(column)] += 1 } }
        var alive = [Bool](repeating: true, count: rows.count)
        var changed = true
        while changed {
            changed = false
            for (i, row) in rows.enumerated() where alive[i] {
                var ones = 0
                var impossible = false
                for (column, value) in zip(row.columns, row.values) where reaching[Int(column)] == 1 {
                    if allowed(value) { ones += countAt[Int(column)] } else { impossible = true }
                }
                guard impossible || ones >= threshold else { continue }
                alive[i] = false
                changed = true
                for column in row.columns { reaching[Int(column)] -= 1 }
            }
        }
        return rows.indices.filter { alive[$0] }.map { rows[$0] }
    }

    mutating func run() -> ReleaseLedger.Verdict {
        var found: Int?
        var exhausted = false
        // Every column whose last row is before `start` is 0 or 1 in the sum; `finalRows` are the
        // rows of those at 1.
        func visit(_ start: Int, _ finalRows: Int) {
            var passed = finalRows
            for i in start..<rows.count where found == nil && !exhausted {
                budget -= 2 * rows[i].columns.count + endingAt[i].count
                if budget < 0 {
                    exhausted = true
                    return
                }
                add(i, negated: false)
                if notZeroOrOne == 0 && rowsAtOne < threshold {
                    found = rowsAtOne
                    return
                }
                if let rows = finalOnes(endingAt: i), passed + rows < threshold { visit(i + 1, passed + rows) }
                add(i, negated: true)
                // Row i is left out from here on: the columns it was last to reach are final.
                guard let rows = finalOnes(endingAt: i), passed + rows < threshold else { return }
                passed += rows
            }
        }
        visit(0, 0)
        if let found { return .disclosive(rows: found) }
        return exhausted ? .saturated : .safe
    }

    /// The rows of the columns last reached by row `i` that are 1 in the sum; nil if one of them is
    /// neither 0 nor 1.
    private func finalOnes(endingAt i: Int) -> Int? {
        var ones = 0
        for column in endingAt[i] {
            let value = sum[Int(column)]
            if value == 1 {
                ones += countAt[Int(column)]
            } else if value != 0 {
                return nil
            }
        }
        return ones
    }

    /// Adds row `i` to the sum, or takes it away.
    private mutating func add(_ i: Int, negated: Bool) {
        let row = rows[i]
        var bad = notZeroOrOne
        var ones = rowsAtOne
        let countAt = countAt
        sum.withUnsafeMutableBufferPointer { sum in
            for e in 0..<row.columns.count {
                let column = Int(row.columns[e])
                let old = sum[column]
                let new = negated ? PrimeField.subtract(old, row.values[e]) : PrimeField.add(old, row.values[e])
                if old == 1 { ones -= countAt[column] } else if old != 0 { bad -= 1 }
                if new == 1 { ones += countAt[column] } else if new != 0 { bad += 1 }
                sum[column] = new
            }
        }
        notZeroOrOne = bad
        rowsAtOne = ones
    }
}

/// An open-addressing map from (atom, label) pairs to atoms, for the split's one pass over rows;
/// a plain table indexed by atom and label when there are few of both (a tiny job on a young
/// ledger). Written by hand: a `Dictionary` costs several times more per row on a 10M-row dataset.
private struct PairTable {
    private var keys = [UInt64](repeating: .max, count: 1024)
    private var values = [UInt32](repeating: 0, count: 1024)
    private var count = 0
    /// atom · labelBound + label → atom, `.max` when unseen; empty when hashing.
    private var table: [UInt32] = []
    private let labelBound: Int

    init(atoms: Int, labelBound: Int) {
        self.labelBound = labelBound
        if atoms.multipliedReportingOverflow(by: labelBound).partialValue <= 1 << 16 && atoms < 1 << 16 {
            table = [UInt32](repeating: .max, count: atoms * labelBound)
        }
    }

    subscript(key: UInt64) -> UInt32? {
        get {
            if !table.isEmpty {
                let value = table[Int(key >> 32) * labelBound + Int(key & 0xFFFF_FFFF)]
                return value == .max ? nil : value
            }
            var slot = Self.hash(key) & (keys.count - 1)
            while keys[slot] != .max {
                if keys[slot] == key { return values[slot] }
                slot = (slot + 1) & (keys.count - 1)
            }
            return nil
        }
        set {
            guard let newValue else { return }
            if !table.isEmpty {
                table[Int(key >> 32) * labelBound + Int(key & 0xFFFF_FFFF)] = newValue
                return
            }
            if (count + 1) * 2 > keys.count { grow() }
            var slot = Self.hash(key) & (keys.count - 1)
            while keys[slot] != .max && keys[slot] != key { slot = (slot + 1) & (keys.count - 1) }
            if keys[slot] == .max { count += 1 }
            keys[slot] = key
            values[slot] = newValue
        }
    }

    private static func hash(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 20)
    }

    private mutating func grow() {
        let old = zip(keys, values).filter { $0.0 != .max }
        keys = [UInt64](repeating: .max, count: keys.count * 2)
        values = [UInt32](repeating: 0, count: keys.count)
        count = 0
        for (key, value) in old { self[key] = value }
    }
}
