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
/// - **Every figure as counts.** A released count, sum, mean, standard deviation or coefficient
///   over a set is entered as that set, whatever the per-row function: a sum over S can be combined
///   only with other figures over the same function, and treating all functions as one only adds
///   combinations, so the check can err only towards refusing. A boolean's sum is a count of a
///   smaller set, and so the worker's labels split by boolean measures as well.
/// - **Derivable** means a linear combination of released sets (the dataset's size included:
///   it is public). The span is computed by sparse elimination over a prime field (``PrimeField``),
///   with atoms of at least `threshold` rows ordered first. Then (Gaussian elimination argument)
///   the basis rows that pivot on a small atom span exactly the released combinations that touch
///   small atoms only, and every set of fewer than `threshold` rows consists of small atoms.
///   Reduced against each other, those rows give each 0/1 vector of that space as a 0/1 sum of
///   rows, so the sets below threshold that can be derived are found by enumerating such sums
///   whose pivot atoms hold fewer than `threshold` rows together — an exact test, bounded by
///   ``Limits/combinations``; beyond it the ledger says it cannot decide, and the job is refused.
/// - **Protected sets** (suppressed cells and bins) must stay out of the span.
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
        /// Most sums of basis rows tried in the search for a small derivable set.
        public var combinations: Int
        public init(atoms: Int = 1 << 20, combinations: Int = 200_000) {
            self.atoms = atoms
            self.combinations = combinations
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
        var pairs = PairTable()
        var claimed = [Bool](repeating: false, count: atomCounts.count)
        var splits: [(atom: UInt32, parent: UInt32)] = []
        var newAtomOfRow = [UInt32](repeating: 0, count: atomOfRow.count)
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
                        splits.append((next, atom))
                    }
                    pairs[key] = next
                    atomsOfLabel[labels[row], default: []].append(next)
                    lastAtom = next
                }
            }
            newAtomOfRow[row] = lastAtom
            counts[Int(lastAtom)] += 1
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

    /// Whether the ledger with `proposal` applied still gives no protected set and no set of
    /// fewer than `threshold` rows away.
    public func check(_ proposal: Proposal, threshold: Int, limits: Limits = Limits()) -> Verdict {
        guard proposal.isNew else { return .safe }
        var next = self
        next.apply(proposal)
        return next.audit(threshold: threshold, limits: limits)
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

    /// The check itself, on the ledger as it stands.
    func audit(threshold: Int, limits: Limits) -> Verdict {
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
        for set in released { basis.insert(vector(set)) }
        for set in protected where basis.reduce(vector(set)).isZero {
            return .disclosive(rows: set.reduce(0) { $0 + atomCounts[Int($1)] })
        }
        guard firstSmall < Int32(order.count) else { return .safe }
        let smallRows = basis.reducedRows(from: firstSmall)
        guard !smallRows.isEmpty else { return .safe }
        let countAt = order.map { atomCounts[$0] }
        var search = SmallSetSearch(
            rows: smallRows, countAt: countAt, threshold: threshold, budget: limits.combinations)
        return search.run()
    }
}

/// The search for a 0/1 combination of fewer than `threshold` rows among reduced basis rows that
/// pivot on small atoms: depth first over subsets, pruned by the rows their pivots already hold.
private struct SmallSetSearch {
    let rows: [SparseVector]
    let countAt: [Int]
    let threshold: Int
    var budget: Int

    mutating func run() -> ReleaseLedger.Verdict {
        var found: Int?
        var exhausted = false
        func visit(_ start: Int, _ sum: SparseVector, _ pivotRows: Int) {
            for i in start..<rows.count where found == nil && !exhausted {
                let pivotCount = countAt[Int(rows[i].columns[0])]
                guard pivotRows + pivotCount < threshold else { continue }
                budget -= 1
                if budget < 0 {
                    exhausted = true
                    return
                }
                let next = sum.adding(rows[i], times: 1)
                if next.values.allSatisfy({ $0 == 1 }) {
                    let total = next.columns.reduce(0) { $0 + countAt[Int($1)] }
                    if total < threshold {
                        found = total
                        return
                    }
                }
                visit(i + 1, next, pivotRows + pivotCount)
            }
        }
        visit(0, SparseVector(), 0)
        if let found { return .disclosive(rows: found) }
        return exhausted ? .saturated : .safe
    }
}

/// An open-addressing map from (atom, label) pairs to atoms, for the split's one pass over rows.
/// Written by hand: a `Dictionary` costs several times more per row on a 10M-row dataset.
private struct PairTable {
    private var keys = [UInt64](repeating: .max, count: 1024)
    private var values = [UInt32](repeating: 0, count: 1024)
    private var count = 0

    subscript(key: UInt64) -> UInt32? {
        get {
            var slot = Self.hash(key) & (keys.count - 1)
            while keys[slot] != .max {
                if keys[slot] == key { return values[slot] }
                slot = (slot + 1) & (keys.count - 1)
            }
            return nil
        }
        set {
            guard let newValue else { return }
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
