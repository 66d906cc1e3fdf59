import ModelgateCore
import Synchronization

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
///   insured status. A regression's Σx·y weights rows by a numeric feature's values: where that
///   can matter, it is entered as a weighted vector (``WeightedSums``). (A boolean measure's sum over a set
///   is the count of its true rows; combinations that isolate a few of those need the few in a
///   derivable set too, unless the rest are known to share one value, which the per-result
///   group-disclosure rule withholds.)
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
/// answered without elimination. Otherwise the work is the job's own, not the history's: the
/// span's echelon basis is kept between jobs (``ReleasedSpan``), a new set is reduced into it, a
/// split atom's column copied, each protected set's remainder reduced by the new rows only, and
/// the search for small combinations runs only when the job adds a combination of small atoms.
/// That search, over all such combinations, is what grows with the history; ``Limits`` bound it
/// and every other step, and a check that reaches them says ``Verdict/saturated``.
package struct ReleaseLedger: Sendable {
    /// Each row's atom.
    package private(set) var atomOfRow: [UInt32]
    /// Rows in each atom.
    package private(set) var atomCounts: [Int]
    /// Released sets, as sorted atom lists; the whole dataset is the first.
    package private(set) var released: [[UInt32]]
    /// Suppressed cells and bins, as sorted atom lists.
    package private(set) var protected: [[UInt32]]
    /// Entries applied so far.
    package private(set) var generation: Int
    /// Each released set's index in `released`.
    private var releasedIndex: [[UInt32]: Int]
    private var protectedIndex: Set<[UInt32]>
    /// What was released and withheld of measures' values.
    private(set) var measures = MeasureLedger()
    /// Regressions' sums weighted by their features' values.
    private(set) var weights = WeightedSums()
    /// The released span for this generation, once a check has built it.
    private var memo = SpanMemo()
    /// Each measure's span for this generation, once a check has built it.
    private(set) var measureMemo = MeasureSpanMemo()

    package struct Limits: Sendable, Equatable {
        /// Most atoms the ledger splits a dataset into.
        package var atoms: Int
        /// Most row entries each phase of one check may add up: reducing the job's sets into the
        /// span, reducing the combinations of small atoms against one another, merging their
        /// columns, and the search for a small derivable set. A phase's time is about proportional
        /// to it (some 10⁸ a second), so the default bounds a check at one to two seconds, the
        /// price of proving a fine result safe on a ledger that already tells many people apart.
        package var work: Int
        package init(atoms: Int = 1 << 20, work: Int = 60_000_000) {
            self.atoms = atoms
            self.work = work
        }
    }

    /// A fresh ledger: one atom, the whole dataset, released (its size is public).
    package init(rowCount: Int) {
        atomOfRow = [UInt32](repeating: 0, count: rowCount)
        atomCounts = rowCount > 0 ? [rowCount] : []
        released = rowCount > 0 ? [[0]] : []
        protected = []
        generation = 0
        releasedIndex = Dictionary(uniqueKeysWithValues: released.enumerated().map { ($1, $0) })
        protectedIndex = []
    }

    /// What one job would add: its atoms split by its labels, and its sets in the split atoms.
    package struct Proposal: Sendable {
        /// Each row's atom after the split; nil when no atom split.
        package var atomOfRow: [UInt32]?
        package var atomCounts: [Int]
        /// New atoms and the atom each split from.
        package var splits: [(atom: UInt32, parent: UInt32)]
        /// The job's sets not released or protected before, as atom lists after the split.
        package var released: [[UInt32]]
        package var protected: [[UInt32]]
        /// The columns whose values the job's figures tell something of.
        package var measures: [String]
        /// The job's released sets whose figures of some of `measures` were not released before.
        package var measured: [[UInt32]]
        /// For each of `measures`, the job's withheld sets whose figures of it were not withheld
        /// before (see ``MeasureLedger``).
        package var valueProtected: [String: [[UInt32]]]
        /// The span with the job's sets added, as its check left it, for the generation it was
        /// checked against.
        var checked: (generation: Int, span: ReleasedSpan)?
        /// The spans of the measures the check grew, for the generation it was checked against.
        var checkedMeasures: (generation: Int, spans: [String: SpanBasis])?
        /// The job's regression samples, by the feature that weighted each (see ``WeightedSums``).
        package var weightedSamples: [String: [[UInt32]]] = [:]
        /// The weighted vectors that the job's samples or splits made matter, not entered before.
        package var weighted: [WeightedVector] = []
        /// Slack of the atoms after the split, as far as known.
        var slack: WeightedSums.Slack?
        /// Each feature's regions after the split, when the job found them.
        var regions: [String: WeightedSums.Regions]?
        /// Whether the job measured slack (see ``ReleaseLedger/knownSlack``) that the ledger will take.
        package var measuredSlack = false
        /// Whether the job adds anything the ledger did not hold.
        package var isNew: Bool {
            !splits.isEmpty || !released.isEmpty || !protected.isEmpty || !measured.isEmpty || !valueProtected.isEmpty
                || !weightedSamples.isEmpty || !weighted.isEmpty
        }
    }

    package enum Verdict: Sendable, Equatable {
        case safe
        /// A protected set, or a set of fewer than `threshold` rows, would become derivable.
        case disclosive(rows: Int)
        /// The ledger could not decide within its limits.
        case saturated
    }

    /// Splits the atoms by a job's row labels and expresses its label sets in atoms. Its released
    /// sets tell something of the values of the columns in `reveals`: every column the job reads,
    /// its filters' included (a table counting people by age over a group tells the group's total
    /// age). Its withheld sets withhold the values of `withholds`, the columns its figures are
    /// sums of (``ModelTask/measures``). See ``MeasureLedger``. `weighting` gives the job's
    /// regression features and reads features' values where atoms of a regression's sample split
    /// (see ``WeightedSums``).
    /// - Returns: nil when the split would exceed `limits.atoms`, or when features' values are needed
    ///   and `weighting` cannot give them.
    package func propose(
        labels: UnsafeBufferPointer<UInt32>, released releasedLabels: [[UInt32]], protected protectedLabels: [[UInt32]],
        reveals: [String] = [], withholds: [String] = [], weighting: Weighting? = nil, limits: Limits = Limits()
    ) -> Proposal? {
        guard let staged = stage(labels: labels, weighting: weighting, limits: limits) else { return nil }
        return propose(
            staged, released: releasedLabels, protected: protectedLabels, reveals: reveals, withholds: withholds)
    }

    /// What ``propose(labels:released:protected:reveals:withholds:weighting:limits:)`` works out
    /// from a job's labels and weighting alone, before it looks at which of the job's sets are
    /// released or protected: the atoms split by the labels, then by the job's weighted sums. It
    /// is most of a proposal's work, so a job may have it made while its result is still being
    /// checked. It holds for this ledger (``generation``) and `weighting` only.
    package struct Staged: Sendable {
        package let generation: Int
        /// The weighting's features, in its order, and its threshold.
        package let features: [String]
        package let threshold: Int?
        let split: Split
        let weighed: Weighed
    }

    /// The first half of a proposal (see ``Staged``); nil as the proposal would be.
    package func stage(labels: UnsafeBufferPointer<UInt32>, weighting: Weighting?, limits: Limits = Limits())
        -> Staged?
    {
        precondition(labels.count == atomOfRow.count, "labels for another row count")
        var split: Split
        if let unsplit = labelOfEachAtom(labels) {
            var grouped: [UInt32: [UInt32]] = [:]
            for (atom, label) in unsplit.enumerated() { grouped[label, default: []].append(UInt32(atom)) }
            split = Split(atomsOfLabel: grouped, splits: [], counts: atomCounts, rows: [])
        } else {
            guard let (atomsOfLabel, splits, counts, rows) = self.split(by: labels, limits: limits) else { return nil }
            split = Split(atomsOfLabel: atomsOfLabel, splits: splits, counts: counts, rows: rows)
        }
        guard let weighed = weigh(&split, weighting: weighting, limits: limits) else { return nil }
        return Staged(
            generation: generation, features: weighting?.features ?? [], threshold: weighting?.threshold, split: split,
            weighed: weighed)
    }

    /// A proposal from its first half, made on this ledger (the same ``generation``).
    package func propose(
        _ staged: Staged, released releasedLabels: [[UInt32]], protected protectedLabels: [[UInt32]],
        reveals: [String] = [], withholds: [String] = []
    ) -> Proposal {
        precondition(staged.generation == generation, "a staged proposal of another generation of the ledger")
        let weighed = staged.weighed
        let (atomsOfLabel, splits, counts, newAtomOfRow) = (
            staged.split.atomsOfLabel, staged.split.splits, staged.split.counts, staged.split.rows
        )
        func atoms(of labels: [UInt32]) -> [UInt32] {
            labels.flatMap { atomsOfLabel[$0] ?? [] }.sorted()
        }
        // A set equal to an old one holds, with each old atom, every atom split from it; without
        // those it is the old set as it was stored.
        var parentOf = [Int32](repeating: -1, count: counts.count)
        var children = [Int](repeating: 0, count: atomCounts.count)
        for split in splits {
            parentOf[Int(split.atom)] = Int32(split.parent)
            children[Int(split.parent)] += 1
        }
        var member = [Bool](repeating: false, count: atomCounts.count)
        func asStored(_ set: [UInt32]) -> [UInt32]? {
            guard !splits.isEmpty else { return set }
            let old = set.filter { Int($0) < atomCounts.count }
            for atom in old { member[Int(atom)] = true }
            defer { for atom in old { member[Int(atom)] = false } }
            let whole = set.allSatisfy { Int($0) < atomCounts.count || member[Int(parentOf[Int($0)])] }
            return whole && set.count == old.count + old.reduce(0) { $0 + children[Int($1)] } ? old : nil
        }
        func isNew(_ set: [UInt32], _ known: ([UInt32]) -> Bool) -> Bool {
            guard !set.isEmpty else { return false }
            guard let stored = asStored(set) else { return true }
            return !known(stored)
        }
        func sorted(_ sets: Set<[UInt32]>) -> [[UInt32]] { sets.sorted { $0.lexicographicallyPrecedes($1) } }
        let (jobReleased, jobProtected) = (releasedLabels.map(atoms), protectedLabels.map(atoms))
        // The dropped rows' count is released or withheld, never a figure of their values.
        func ofValues(_ labels: [[UInt32]], _ sets: [[UInt32]]) -> [[UInt32]] {
            zip(labels, sets).filter { !$0.0.contains(RowLabels.dropped) }.map(\.1)
        }
        let measures = Array(Set(reveals + withholds)).sorted()
        let valuedProtected = ofValues(protectedLabels, jobProtected)
        var valueProtected: [String: [[UInt32]]] = [:]
        for measure in Set(withholds) {
            let new = valuedProtected.filter { isNew($0) { self.measures.withholds($0, of: measure) } }
            if !new.isEmpty { valueProtected[measure] = sorted(Set(new)) }
        }
        // A released set is new for the job's measures unless it released every one of them before.
        func measuredBefore(_ stored: [UInt32]) -> Bool {
            guard let index = releasedIndex[stored] else { return false }
            return measures.allSatisfy { self.measures.reveals($0, at: index) }
        }
        let measured =
            measures.isEmpty ? [] : ofValues(releasedLabels, jobReleased).filter { isNew($0, measuredBefore) }
        return Proposal(
            atomOfRow: splits.isEmpty ? nil : newAtomOfRow, atomCounts: counts, splits: splits,
            released: sorted(Set(jobReleased.filter { isNew($0) { releasedIndex[$0] != nil } })),
            protected: sorted(Set(jobProtected.filter { isNew($0, protectedIndex.contains) })), measures: measures,
            measured: sorted(Set(measured)), valueProtected: valueProtected, weightedSamples: weighed.samples,
            weighted: weighed.vectors, slack: weighed.slack, regions: weighed.regions,
            measuredSlack: weighed.measured)
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
                    // `.max` marks an atom not seen yet: a row labelled so takes the general path.
                    if label == .max { return false }
                    if labelOf[atom] == label { continue }
                    if labelOf[atom] != .max { return false }
                    labelOf[atom] = label
                }
                return true
            }
        }
        return unsplit ? labelOf : nil
    }

    /// The atoms `rows` (each row's atom, `counts` rows each) split further by `labels`.
    func split(_ rows: [UInt32], counts: [Int], by labels: UnsafeBufferPointer<UInt32>, limits: Limits) -> (
        [UInt32: [UInt32]], [(atom: UInt32, parent: UInt32)], [Int], [UInt32]
    )? {
        var stage = self
        (stage.atomOfRow, stage.atomCounts) = (rows, counts)
        return stage.split(by: labels, limits: limits)
    }

    /// The atoms split by `labels`: each label's atoms, the new atoms with their parents, every
    /// atom's rows and every row's atom (empty when nothing split); nil beyond `limits.atoms`.
    private func split(by labels: UnsafeBufferPointer<UInt32>, limits: Limits) -> (
        [UInt32: [UInt32]], [(atom: UInt32, parent: UInt32)], [Int], [UInt32]
    )? {
        let rows = atomOfRow.count
        var pairs = PairTable(atoms: atomCounts.count, labelBound: Int(labels.max() ?? 0) + 1, rows: rows)
        var claimed = [Bool](repeating: false, count: atomCounts.count)
        var splits: [(atom: UInt32, parent: UInt32)] = []
        var counts = [Int](repeating: 0, count: atomCounts.count)
        var atomsOfLabel: [UInt32: [UInt32]] = [:]
        // An (atom, label) pair met for the first time: the atom keeps its number for its first
        // label, and every other label of it makes a new atom. Out of the row loop, which only
        // looks pairs up.
        func first(_ key: UInt64) -> UInt32? {
            let atom = UInt32(truncatingIfNeeded: key >> 32)
            let label = UInt32(truncatingIfNeeded: key)
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
            atomsOfLabel[label, default: []].append(next)
            return next
        }
        var complete = false
        let newAtomOfRow = [UInt32](unsafeUninitializedCapacity: rows) { newAtoms, initialized in
            atomOfRow.withUnsafeBufferPointer { atoms in
                var lastKey = UInt64.max
                var lastAtom: UInt32 = 0
                for row in 0..<rows {
                    let key = UInt64(atoms[row]) << 32 | UInt64(labels[row])
                    if key != lastKey {
                        lastKey = key
                        guard let atom = pairs[key] ?? first(key) else { return }
                        lastAtom = atom
                    }
                    newAtoms[row] = lastAtom
                }
                complete = true
            }
            // The entries are plain integers: none needs deinitialising if the pass stopped.
            initialized = complete ? rows : 0
        }
        guard complete else { return nil }
        counts.withUnsafeMutableBufferPointer { counts in
            for atom in newAtomOfRow { counts[Int(atom)] &+= 1 }
        }
        return (atomsOfLabel, splits, counts, splits.isEmpty ? [] : newAtomOfRow)
    }

    /// Whether the ledger with `proposal` applied still gives no protected set and no set of
    /// fewer than `threshold` rows away.
    ///
    /// A set the job withholds that earlier releases already determine protects nothing: it is
    /// taken out of `proposal` rather than refused for. Which of a job's cells are withheld
    /// depends on the data (an empty bin, a small cell), so refusing for those would make the
    /// refusal tell what the job's own suppression pattern does not.
    ///
    /// Incremental: the span of what is already released was checked when it was released, so
    /// only what the job adds is worked on. Its atoms split in the kept echelon basis, its sets are
    /// reduced into it, and the search for small combinations runs only when one of its sets adds
    /// a combination of small atoms (a row pivoting on a small atom): otherwise every new
    /// combination is nonzero on a large atom, and every old one was safe (see ``ReleasedSpan``).
    ///
    /// A kept span fills in as atoms split under it; when the job's sets cannot be reduced into it
    /// within the limits, the span is built afresh, in the order of today's atoms, and the check
    /// made once more.
    package func check(_ proposal: inout Proposal, threshold: Int, limits: Limits = Limits()) -> Verdict {
        let verdict = checkSets(&proposal, threshold: threshold, limits: limits)
        guard verdict == .safe else { return verdict }
        return checkMeasures(&proposal, limits: limits)
    }

    private func checkSets(_ proposal: inout Proposal, threshold: Int, limits: Limits) -> Verdict {
        guard proposal.isNew else { return .safe }
        let kept = memo.span(generation: generation, threshold: threshold)
        guard let span = kept ?? builtSpan(threshold: threshold, limits: limits) else { return .saturated }
        if kept == nil { memo.keep(span, generation: generation) }
        let verdict = check(&proposal, against: span, threshold: threshold, limits: limits)
        guard verdict == .saturated, kept != nil, let fresh = builtSpan(threshold: threshold, limits: limits)
        else { return verdict }
        return check(&proposal, against: fresh, threshold: threshold, limits: limits)
    }

    private func check(_ proposal: inout Proposal, against span: ReleasedSpan, threshold: Int, limits: Limits)
        -> Verdict
    {
        var span = span
        let start = span.basis.work
        let counts = proposal.atomCounts
        span.split(proposal.splits, counts: counts)
        var known = Set<[UInt32]>()
        for set in proposal.protected where span.basis.reduce(Self.vector(set)).isZero { known.insert(set) }
        proposal.protected.removeAll { known.contains($0) }
        let firstNew = span.basis.rows.count
        var grew = false
        for set in proposal.released {
            if span.basis.insert(Self.vector(set)) { grew = true }
            if span.basis.work - start > limits.work { return .saturated }
        }
        // Kept even when already in this span: a measure's span may still lack it.
        for vector in proposal.weighted where span.basis.insert(vector.sparse) {
            grew = true
            if span.basis.work - start > limits.work { return .saturated }
        }
        if grew || !span.verified, let rows = span.reduceProtected() { return .disclosive(rows: rows) }
        for set in proposal.protected {
            let rows = set.reduce(0) { $0 + counts[Int($1)] }
            if !span.protect(Self.vector(set), rows: rows) { return .disclosive(rows: rows) }
        }
        let newSmall = (firstNew..<span.basis.rows.count).filter {
            span.basis.rank[Int(span.basis.pivotOf[$0])] >= ReleasedSpan.smallFrom
        }
        if !newSmall.isEmpty || !span.verified {
            let verdict = Self.smallCombinations(
                &span.basis, countAt: counts, threshold: threshold, budget: limits.work,
                around: span.verified ? Set(newSmall) : nil)
            guard verdict == .safe else { return verdict }
        }
        span.verified = true
        proposal.checked = (generation, span)
        return .safe
    }

    /// Adds a proposal that passed its check (or one read back from the store).
    package mutating func apply(_ proposal: Proposal) {
        let before = generation
        let spans = measureSpans(after: proposal, appliedTo: before)
        applySets(proposal)
        memo = SpanMemo()
        if let (generation, span) = proposal.checked, generation == before {
            memo.keep(span, generation: self.generation)
        }
        measureMemo = MeasureSpanMemo()
        if let spans { measureMemo.keep(spans, generation: self.generation) }
    }

    private mutating func applySets(_ proposal: Proposal) {
        if !proposal.splits.isEmpty {
            self = expanded(by: proposal.splits, counts: proposal.atomCounts)
            if let rows = proposal.atomOfRow { atomOfRow = rows }
        }
        addSets(released: proposal.released, protected: proposal.protected)
        addMeasures(proposal.measures, measured: proposal.measured, withheld: proposal.valueProtected)
        weights.add(samples: proposal.weightedSamples, vectors: proposal.weighted)
        // Slack measured by the job, for the atoms after it; otherwise the split forgot what changed.
        if let slack = proposal.slack { weights.slack = slack }
        if let regions = proposal.regions { weights.regions = regions }
        generation += 1
    }

    private mutating func addSets(released new: [[UInt32]], protected withheld: [[UInt32]]) {
        for set in new where releasedIndex[set] == nil {
            releasedIndex[set] = released.count
            released.append(set)
        }
        for set in withheld where protectedIndex.insert(set).inserted { protected.append(set) }
    }

    private mutating func addMeasures(_ names: [String], measured: [[UInt32]], withheld: [String: [[UInt32]]]) {
        for set in measured {
            // Every measured set is a released one: new, or stored with what it was released for.
            addSets(released: [set], protected: [])
            measures.reveal(names, at: releasedIndex[set]!)
        }
        for (measure, sets) in withheld {
            for set in sets { measures.withhold(set, of: measure) }
        }
    }

    /// Adds an entry read back from the store. `atomOfRow`, every row's atom after it, read from its
    /// file, must come with the last entry read that split atoms.
    package mutating func replay(_ entry: LedgerEntry, atomOfRow rows: [UInt32]?) {
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
        addSets(released: entry.released, protected: entry.protected)
        if let names = entry.measures {
            addMeasures(names, measured: entry.measured, withheld: entry.valueProtected)
        } else {
            // Written before measures were recorded: each set it added is taken as having released
            // every measure. (A set it released again for a measure left no trace: protection by
            // measure starts with the first entry that records its measures.)
            for set in entry.released { measures.revealEvery(at: releasedIndex[set]!) }
        }
        weights.add(
            samples: entry.weightedSamples,
            vectors: entry.weighted.map { WeightedVector(atoms: $0.atoms, values: $0.values) })
        // Regions are found again at the next job: the entry may hold samples found elsewhere.
        weights.regions = [:]
        generation = entry.generation
        memo = SpanMemo()
        measureMemo = MeasureSpanMemo()
    }

    /// Each atom's slack for each feature of the ledger's samples, as far as measured (−1 where not),
    /// and the features, sorted; nil when none is known. A pure function of the atoms' rows and
    /// the features' values, so that a process that reads the ledger back may take it from one
    /// that measured it (``adoptSlack(features:rows:)``) rather than measure it again.
    package var knownSlack: (features: [String], rows: [[Int32]])? {
        weights.slack.map { ($0.features, $0.rows) }
    }

    /// Takes slack measured on this ledger, at this generation, by ``knownSlack``. Refused (false)
    /// unless it is for the features of the ledger's samples and has an entry, −1 or more, for
    /// every atom.
    package mutating func adoptSlack(features: [String], rows: [[Int32]]) -> Bool {
        guard features == weights.samples.keys.sorted(), rows.count == features.count,
            rows.allSatisfy({ $0.count == atomCounts.count && !$0.contains { $0 < -1 } })
        else { return false }
        weights.slack = WeightedSums.Slack(features: features, rows: rows)
        return true
    }

    /// The entry that records `proposal` as the ledger's next generation.
    package func entry(for proposal: Proposal, job: String, atomsFile: String?) -> LedgerEntry {
        LedgerEntry(
            generation: generation + 1, job: job, splits: proposal.splits, released: proposal.released,
            protected: proposal.protected, measures: proposal.measures, measured: proposal.measured,
            valueProtected: proposal.valueProtected, weightedSamples: proposal.weightedSamples,
            weighted: proposal.weighted.map { ($0.atoms, $0.values) }, atomsFile: atomsFile)
    }

    /// The ledger's sets with each split atom's new siblings added wherever the atom was.
    private func expanded(by splits: [(atom: UInt32, parent: UInt32)], counts: [Int]) -> ReleaseLedger {
        let children = AtomChildren(splits, count: counts.count)
        var result = self
        result.atomCounts = counts
        result.released = released.map(children.grow)
        result.protected = protected.map(children.grow)
        result.releasedIndex = Dictionary(uniqueKeysWithValues: result.released.enumerated().map { ($1, $0) })
        result.protectedIndex = Set(result.protected)
        result.measures.grow(children.grow)
        result.weights.grow(children, atomCount: counts.count)
        return result
    }

    /// The span of the released sets for `threshold`, built from them in the order of today's
    /// atoms; nil when building it exceeds `limits.work`.
    private func builtSpan(threshold: Int, limits: Limits) -> ReleasedSpan? {
        var span = ReleasedSpan(atomCounts: atomCounts, threshold: threshold)
        for vector in released.map(Self.vector) + weights.vectors.map(\.sparse) {
            span.basis.insert(vector)
            if span.basis.work > limits.work { return nil }
        }
        for set in protected {
            _ = span.protect(Self.vector(set), rows: set.reduce(0) { $0 + atomCounts[Int($1)] })
        }
        return span
    }

    /// Bytes of the released and withheld sets (4 an atom, 16 a set) and of what each measure
    /// released (8 a set).
    package var setBytes: Int {
        let withheld = measures.withheld.values.joined()
        return (released + protected + withheld).reduce(0) { $0 + $1.count * 4 + 16 }
            + (measures.revealing.values.reduce(0) { $0 + $1.count } + measures.revealingEvery.count) * 8
    }

    /// Bytes of the span kept for the next check (12 a nonzero entry), 0 before one is built.
    package var spanBytes: Int {
        let measures = measureMemo.entries * 12
        guard let span = memo.span(generation: generation) else { return measures }
        return span.basis.entries * 12 + span.basis.rank.count * 16 + measures
    }

    /// This ledger as one read back from the store: its span to be built at the next check.
    func forgettingSpan() -> ReleaseLedger {
        var copy = self
        copy.memo = SpanMemo()
        copy.measureMemo = MeasureSpanMemo()
        return copy
    }

    static func vector(_ set: [UInt32]) -> SparseVector {
        SparseVector(indicator: set.map { Int32($0) })
    }

    /// Whether some combination of the span's rows pivoting on small atoms reaches fewer than
    /// `threshold` rows.
    ///
    /// With `around`, the rows added by a job to a span whose other rows were checked: only the
    /// rows connected to those through shared columns are searched. A combination is the sum of
    /// its parts in each connected group of rows, on disjoint columns; a nonzero part from a
    /// group of old rows alone is an old combination, which reaches `threshold` rows or more.
    static func smallCombinations(
        _ basis: inout SpanBasis, countAt: [Int], threshold: Int, budget: Int, around: Set<Int>? = nil
    ) -> Verdict {
        var late = basis.rows(from: ReleasedSpan.smallFrom)
        if let around { late = connected(late, to: around, in: basis, columns: countAt.count) }
        guard var smallRows = basis.reducedRows(late, budget: budget) else { return .saturated }
        var countAt = countAt
        // Atoms that every combination of these rows treats alike are one column (see Condensed).
        var merging = budget
        for _ in 0..<Condensed.rounds where !smallRows.isEmpty {
            guard let condensed = Condensed(smallRows, countAt: countAt, threshold: threshold, budget: merging)
            else { break }
            merging -= condensed.work
            guard !condensed.exhausted else { return .saturated }
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
        // Some combination of the rest may still reach fewer than `threshold` rows. A set of rows
        // (a 0/1 combination) is looked for, to name the disclosure; without one found, the check
        // cannot tell, and says so.
        var search = SmallSetSearch(rows: candidates, countAt: countAt, threshold: threshold, budget: budget)
        let verdict = search.run()
        return verdict == .safe ? .saturated : verdict
    }

    /// The rows of `rows` that share columns, directly or through others, with a row of `seeds`;
    /// in the order of `rows`.
    static func connected(_ rows: [Int], to seeds: Set<Int>, in basis: SpanBasis, columns: Int) -> [Int] {
        // Union–find over the rows, joined through each column's first row.
        var parent = Array(rows.indices)
        func root(_ i: Int) -> Int {
            var i = i
            while parent[i] != i {
                parent[i] = parent[parent[i]]
                i = parent[i]
            }
            return i
        }
        var firstRow = [Int32](repeating: -1, count: columns)
        for (i, row) in rows.enumerated() {
            for column in basis.rows[row].columns {
                let other = firstRow[Int(column)]
                if other < 0 {
                    firstRow[Int(column)] = Int32(i)
                } else {
                    let (a, b) = (root(i), root(Int(other)))
                    if a != b { parent[a] = b }
                }
            }
        }
        let reached = Set(rows.indices.filter { seeds.contains(rows[$0]) }.map(root))
        return rows.indices.filter { reached.contains(root($0)) }.map { rows[$0] }
    }
}

/// The span of the released sets in echelon form, large atoms (of `threshold` rows or more)
/// ranked before small ones, kept between checks.
///
/// Why large first: a combination reaching fewer than `threshold` rows is zero on every large
/// atom (it is constant on an atom), and in this order the span's vectors that are zero on the
/// large atoms are exactly the combinations of the rows that pivot on small ones. A new set that
/// pivots on a large atom adds no such combination, so the search is needed only when a set
/// pivots on a small one. An atom that splits keeps every old vector's values, so nothing
/// checked before needs checking again: old combinations reach the rows they reached.
struct ReleasedSpan: Sendable {
    /// Ranks from here on are small atoms'.
    static let smallFrom: UInt32 = 1 << 31
    var basis: SpanBasis
    let threshold: Int
    private var nextLarge: UInt32
    private var nextSmall: UInt32
    /// Whether the search for small combinations has run on these rows (a span built from the
    /// store is searched once, at its first check).
    var verified = false
    /// Each protected set's remainder against the basis, with its rows: nonzero while the set is
    /// not derivable. Kept reduced, a remainder meets only the rows added since.
    private var protectedRemainders: [SparseVector] = []
    private var protectedRows: [Int] = []

    /// Indices by decreasing count (ties by index): every large one before every small one, and
    /// small ones largest first, so that pivots hold as many rows as can be.
    static func largestFirst(_ counts: [Int]) -> [Int] {
        counts.indices.sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }
    }

    init(atomCounts: [Int], threshold: Int) {
        self.threshold = threshold
        var ranks = [UInt32](repeating: 0, count: atomCounts.count)
        (nextLarge, nextSmall) = (0, Self.smallFrom)
        for atom in Self.largestFirst(atomCounts) {
            if atomCounts[atom] >= threshold {
                ranks[atom] = nextLarge
                nextLarge += 1
            } else {
                ranks[atom] = nextSmall
                nextSmall += 1
            }
        }
        basis = SpanBasis(ranks: ranks)
    }

    /// Atoms split: a new atom is ranked last among the large or the small ones, after every
    /// pivot of a row that reaches its parent; a large atom that became small moves to the end.
    mutating func split(_ splits: [(atom: UInt32, parent: UInt32)], counts: [Int]) {
        guard !splits.isEmpty else { return }
        var ranks = basis.rank + [UInt32](repeating: 0, count: counts.count - basis.rank.count)
        func next(_ atom: Int) -> UInt32 {
            if counts[atom] >= threshold {
                defer { nextLarge += 1 }
                return nextLarge
            }
            defer { nextSmall += 1 }
            return nextSmall
        }
        for split in splits { ranks[Int(split.atom)] = next(Int(split.atom)) }
        // In order: a set's order changes from process to process, and the ranks (so the pivots,
        // and whether the search can prove a job safe) would change with it.
        for parent in Set(splits.map(\.parent)).sorted()
        where ranks[Int(parent)] < Self.smallFrom && counts[Int(parent)] < threshold {
            ranks[Int(parent)] = next(Int(parent))
        }
        if basis.split(splits, ranks: ranks, alongWith: &protectedRemainders) {
            // A row that moved has a new pivot, which the remainders may reach.
            for i in protectedRemainders.indices { protectedRemainders[i] = basis.reduce(protectedRemainders[i]) }
        }
    }

    /// Enters a protected set; false when the span already determines it.
    mutating func protect(_ set: SparseVector, rows: Int) -> Bool {
        let remainder = basis.reduce(set)
        protectedRemainders.append(remainder)
        protectedRows.append(rows)
        return !remainder.isZero
    }

    /// Reduces the protected sets' remainders by the rows added since: the rows of the first set
    /// now determined, or nil.
    mutating func reduceProtected() -> Int? {
        for i in protectedRemainders.indices {
            protectedRemainders[i] = basis.reduce(protectedRemainders[i])
            if protectedRemainders[i].isZero { return protectedRows[i] }
        }
        return nil
    }
}

/// Each atom's new atoms after a split, in a dense table (every atom of every set is looked up),
/// and old sets and weighted vectors in the atoms after it.
struct AtomChildren {
    private var table: [[UInt32]]

    init(_ splits: [(atom: UInt32, parent: UInt32)], count: Int) {
        table = [[UInt32]](repeating: [], count: count)
        for split in splits { table[Int(split.parent)].append(split.atom) }
    }

    subscript(atom: UInt32) -> [UInt32] { table[Int(atom)] }

    /// The atoms that split.
    var parents: [UInt32] { table.indices.filter { !table[$0].isEmpty }.map { UInt32($0) } }

    /// A sorted set with each atom's new atoms added.
    func grow(_ set: [UInt32]) -> [UInt32] {
        let added = set.flatMap { table[Int($0)] }
        return added.isEmpty ? set : (set + added).sorted()
    }

    /// A weighted vector with each atom's new atoms added, at the atom's weight (the feature is
    /// constant on the atom, so on its parts).
    func grow(_ vector: WeightedVector) -> WeightedVector {
        var pairs = Array(zip(vector.atoms, vector.values))
        for (atom, value) in zip(vector.atoms, vector.values) {
            for child in table[Int(atom)] { pairs.append((child, value)) }
        }
        guard pairs.count > vector.atoms.count else { return vector }
        pairs.sort { $0.0 < $1.0 }
        return WeightedVector(atoms: pairs.map(\.0), values: pairs.map(\.1))
    }
}

/// The span last built or checked, for the generation it belongs to: copies of one ledger share
/// it, and a ledger that changes starts a new one.
final class SpanMemo: Sendable {
    private let kept = Mutex<(generation: Int, span: ReleasedSpan)?>(nil)

    /// The span kept for `generation`, for `threshold` when one is named.
    func span(generation: Int, threshold: Int? = nil) -> ReleasedSpan? {
        kept.withLock { kept in
            guard let kept, kept.generation == generation else { return nil }
            if let threshold, threshold != kept.span.threshold { return nil }
            return kept.span
        }
    }

    func keep(_ span: ReleasedSpan, generation: Int) {
        kept.withLock { $0 = (generation, span) }
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
    /// Entries worked on.
    var work = 0
    /// Whether `budget` ran out (then `rows` is empty and the check cannot tell).
    var exhausted = false

    /// nil when no merged column holds `threshold` rows (nothing to gain).
    init?(_ rows: [SparseVector], countAt: [Int], threshold: Int, budget: Int) {
        work = rows.reduce(0) { $0 + $1.columns.count }
        // Each column's entries, as (row, value) in row order, one column after another.
        let width = countAt.count
        var start = [Int](repeating: 0, count: width + 1)
        for row in rows { for column in row.columns { start[Int(column) + 1] += 1 } }
        for column in 0..<width { start[column + 1] += start[column] }
        var fill = start
        var entryRow = [Int32](repeating: 0, count: start[width])
        var entryValue = [UInt64](repeating: 0, count: start[width])
        for (i, row) in rows.enumerated() {
            for (column, value) in zip(row.columns, row.values) {
                let at = fill[Int(column)]
                fill[Int(column)] += 1
                (entryRow[at], entryValue[at]) = (Int32(i), value)
            }
        }
        // Columns with equal entries, one class each. The hash only sorts columns into buckets;
        // equality is compared entry by entry.
        var classOf = [Int32](repeating: -1, count: width)
        var representatives: [UInt64: [Int32]] = [:]
        var classCount: [Int] = []
        var classColumn: [Int] = []
        for column in 0..<width where start[column + 1] > start[column] {
            let range = start[column]..<start[column + 1]
            var key: UInt64 = 0xCBF2_9CE4_8422_2325
            for e in range { key = (key ^ (UInt64(entryRow[e]) << 40 ^ entryValue[e])) &* 0x0100_0000_01B3 }
            let same = representatives[key]?.first { other in
                let o = classColumn[Int(other)]
                let otherRange = start[o]..<start[o + 1]
                return otherRange.count == range.count
                    && zip(otherRange, range).allSatisfy {
                        entryRow[$0] == entryRow[$1] && entryValue[$0] == entryValue[$1]
                    }
            }
            if let same {
                classOf[column] = same
                classCount[Int(same)] += countAt[column]
            } else {
                let id = Int32(classCount.count)
                classOf[column] = id
                classCount.append(countAt[column])
                classColumn.append(column)
                representatives[key, default: []].append(id)
            }
        }
        guard classCount.contains(where: { $0 >= threshold }) else { return nil }
        // Large classes first, as for atoms.
        let order = ReleasedSpan.largestFirst(classCount)
        var position = [Int32](repeating: 0, count: classCount.count)
        for (at, id) in order.enumerated() { position[id] = Int32(at) }
        let firstSmall = Int32(order.firstIndex { classCount[$0] < threshold } ?? order.count)
        var basis = SpanBasis(columnCount: classCount.count)
        // The row each class was last entered for: a class's columns are entered once a row.
        var enteredFor = [Int32](repeating: -1, count: classCount.count)
        for (i, row) in rows.enumerated() {
            var vector = SparseVector()
            for (column, value) in zip(row.columns, row.values) {
                let id = Int(classOf[Int(column)])
                guard enteredFor[id] != Int32(i) else { continue }
                enteredFor[id] = Int32(i)
                vector.columns.append(position[id])
                vector.values.append(value)
            }
            basis.insert(vector)
            if work + basis.work > budget {
                (self.rows, self.countAt, exhausted) = ([], [], true)
                return
            }
        }
        self.countAt = order.map { classCount[$0] }
        work += basis.work
        guard firstSmall < Int32(order.count) else {
            self.rows = []
            return
        }
        let inserted = basis.work
        if work <= budget, let reduced = basis.reducedRows(from: UInt32(firstSmall), budget: budget - work) {
            self.rows = reduced
        } else {
            self.rows = []
            exhausted = true
        }
        work += basis.work - inserted
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
/// a plain table indexed by atom and label when there are few of both. Written by hand: a
/// `Dictionary` costs several times more per row on a 10M-row dataset.
private struct PairTable {
    private var keys = [UInt64](repeating: .max, count: 1024)
    private var values = [UInt32](repeating: 0, count: 1024)
    private var count = 0
    /// atom · labelBound + label → atom, `.max` when unseen; empty when hashing.
    private var table: [UInt32] = []
    private let labelBound: Int

    /// Plain when the table is no larger than half the rows (its filling then costs less than the
    /// pass it serves) or 2¹⁶ entries.
    init(atoms: Int, labelBound: Int, rows: Int) {
        self.labelBound = labelBound
        let (cells, overflow) = atoms.multipliedReportingOverflow(by: labelBound)
        if !overflow && cells <= max(1 << 16, rows / 2) {
            table = [UInt32](repeating: .max, count: cells)
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
