import ModelgateCore

extension ReleaseLedger {
    /// What the ledger needs to follow weighted sums (see ``WeightedSums``): given with every job,
    /// since a job of any model can split an atom of a regression's sample.
    package struct Weighting {
        /// The job's numeric regression features: it releases Σx·f over its estimation sample
        /// (its rows labelled ``RowLabels/first`` or later) for each of them. Empty for other models.
        package var features: [String]
        /// The threshold the check will use, which which combinations matter depends on.
        package var threshold: Int
        /// A feature's values; nil when they cannot be read (then a job that needs them is refused
        /// as beyond the ledger's limits).
        package var values: (String) -> ColumnVector?

        package init(features: [String], threshold: Int, values: @escaping (String) -> ColumnVector?) {
            self.features = features
            self.threshold = threshold
            self.values = values
        }
    }

    /// The atoms after a job's split: each label's atoms, the new atoms with their parents, each
    /// atom's rows, and each row's atom (empty when nothing split).
    struct Split {
        var atomsOfLabel: [UInt32: [UInt32]]
        var splits: [(atom: UInt32, parent: UInt32)]
        var counts: [Int]
        var rows: [UInt32]
    }

    /// What a job adds to the weighted sums: its samples, the weighted vectors that now matter, and
    /// slack for the atoms after its split (which may split further, by features' values), nil when
    /// the job left it as it was (but for the atoms it split).
    struct Weighed {
        var samples: [String: [[UInt32]]] = [:]
        var vectors: [WeightedVector] = []
        var slack: WeightedSums.Slack?
        var regions: [String: WeightedSums.Regions]?
        /// Whether slack was measured for some atom.
        var measured = false
    }

    /// Follows the job's weighted sums through `split`, splitting further where a weighted vector
    /// must be entered exactly. nil when the features' values are needed and cannot be read.
    func weigh(_ split: inout Split, weighting: Weighting?, limits: Limits) -> Weighed? {
        let jobFeatures = weighting?.features ?? []
        // Most jobs fit nothing and split no atom of a sample: nothing to do.
        let splitInSample = split.splits.contains { split in
            weights.samples.values.contains { $0.contains { $0.binarySearch(split.parent) } }
        }
        // So must a job checked at another threshold than the regions were found for (a policy
        // changed), or the first after the ledger was read back: which regions are firm depends on it.
        let regionsStale =
            !weights.isEmpty
            && (weights.regions.isEmpty
                || weights.regions.values.contains { $0.threshold != weighting?.threshold })
        guard !jobFeatures.isEmpty || splitInSample || regionsStale else { return Weighed() }
        let oldCount = atomCounts.count
        var parentOf = [Int32](repeating: -1, count: split.counts.count)
        for (atom, parent) in split.splits { parentOf[Int(atom)] = Int32(parent) }
        let children = AtomChildren(split.splits, count: split.counts.count)
        let jobSample = split.atomsOfLabel.filter { $0.key >= RowLabels.first }.values.flatMap { $0 }.sorted()
        var samples = weights.samples.mapValues { $0.map(children.grow) }
        // A fit over a sample fitted before with the same feature adds nothing of it.
        let fresh = jobSample.isEmpty ? [] : jobFeatures.filter { !(samples[$0]?.contains(jobSample) ?? false) }
        let newSample = !fresh.isEmpty
        for feature in fresh { samples[feature, default: []].append(jobSample) }
        var inSample = [Bool](repeating: false, count: split.counts.count)
        for sets in samples.values { for set in sets { for atom in set { inSample[Int(atom)] = true } } }
        let features = samples.keys.sorted()
        var slack = weights.slack
        if slack?.features != features { slack = nil }
        // The slack of the atoms that split, or were split off, is not known any more.
        slack?.forget(split.splits.flatMap { [$0.atom, $0.parent] }, count: split.counts.count)
        guard newSample || splitInSample || regionsStale else { return Weighed() }
        guard let weighting, features.count <= 64 else { return nil }
        var columns: [FeatureValues] = []
        for feature in features {
            guard let column = weighting.values(feature) else { return nil }
            columns.append(FeatureValues(column: column))
        }
        let rows = split.rows.isEmpty ? atomOfRow : split.rows
        var known =
            slack
            ?? WeightedSums.Slack(
                features: features,
                rows: [[Int32]](repeating: [Int32](repeating: -1, count: split.counts.count), count: features.count))
        let measured = Self.measureSlack(
            &known, inSample: inSample, rows: rows, counts: split.counts, columns: columns)
        guard !columns.contains(where: \.unsafe) else { return nil }
        var weighed = Weighed(slack: known, measured: !measured.isEmpty)
        // For each feature, the combinations of its samples that vanish on every firm region. A
        // region's slack only falls as its atoms split; while no firm region falls below the
        // threshold, the combinations are those found before, and only the sums are brought up to date.
        var combinations: [(feature: Int, coefficients: [UInt32: UInt64])] = []
        var supportedBy = [UInt64](repeating: 0, count: split.counts.count)
        var regions: [String: WeightedSums.Regions] = [:]
        for (index, feature) in features.enumerated() {
            if !fresh.contains(feature), let before = slack != nil ? weights.slack : nil,
                var kept = weights.regions[feature], kept.threshold == weighting.threshold
            {
                kept.inherit(split.splits, count: split.counts.count)
                for atom in measured where kept.of[atom] >= 0 {
                    let old = atom < oldCount ? max(0, Int(before.rows[index][atom])) : 0
                    kept.slack[Int(kept.of[atom])] += max(0, Int(known.rows[index][atom])) - old
                }
                if !kept.firm.indices.contains(where: { kept.firm[$0] && kept.slack[$0] < weighting.threshold }) {
                    regions[feature] = kept
                    continue
                }
            }
            let (firm, found) = Self.firmCombinations(
                samples[feature] ?? [], feature: index, slack: known, threshold: weighting.threshold,
                atomCount: split.counts.count)
            regions[feature] = found
            for combination in firm {
                combinations.append((index, combination))
                for atom in combination.keys { supportedBy[Int(atom)] |= 1 << UInt64(index) }
            }
        }
        weighed.regions = regions
        for feature in fresh { weighed.samples[feature] = [jobSample] }
        guard !combinations.isEmpty else { return weighed }
        // Atoms a combination reaches are split by the values of the features it weights.
        // A row's label is its class's number from 1, in order of first appearance.
        // Sized for a class a row (features of continuous values make about that many), so
        // that the table is not grown and rehashed on the way.
        let reached = rows.reduce(0) { $0 + (supportedBy[Int($1)] != 0 ? 1 : 0) }
        var classes = ClassTable(width: columns.count, capacity: reached)
        var labels = [UInt32](repeating: 0, count: rows.count)
        let width = columns.count
        let values = UnsafeMutablePointer<UInt64>.allocate(capacity: width)
        defer { values.deallocate() }
        columns.withUnsafeBufferPointer { columns in
            labels.withUnsafeMutableBufferPointer { labels in
                for row in 0..<rows.count {
                    let mask = supportedBy[Int(rows[row])]
                    guard mask != 0 else { continue }
                    for j in 0..<width { values[j] = mask & (1 << UInt64(j)) != 0 ? columns[j](row) ?? .max : .max }
                    labels[row] =
                        classes.number(mask: mask, values: UnsafeBufferPointer(start: values, count: width))
                        .number
                }
            }
        }
        guard !columns.contains(where: \.unsafe),
            let (atomsOfClass, more, counts, moreRows) = labels.withUnsafeBufferPointer({
                self.split(rows, counts: split.counts, by: $0, limits: limits)
            })
        else { return nil }
        let added = AtomChildren(more, count: counts.count)
        split.atomsOfLabel = split.atomsOfLabel.mapValues { $0 + $0.flatMap { added[$0] } }
        // An atom split off one the job split off first is recorded as split from the old atom.
        split.splits += more.map { atom, parent in
            (atom, Int(parent) >= oldCount && parentOf[Int(parent)] >= 0 ? UInt32(parentOf[Int(parent)]) : parent)
        }
        split.counts = counts
        if !more.isEmpty { split.rows = moreRows }
        var valueOf: [UInt32: [UInt64]] = [:]
        for (label, atoms) in atomsOfClass where label > 0 {
            for atom in atoms { valueOf[atom] = Array(classes.values(of: Int(label) - 1)) }
        }
        // The atoms split by value leave their regions' sums until their slack is measured again.
        for (index, feature) in features.enumerated() {
            regions[feature]!.split(added, parents: added.parents, count: counts.count, slack: known.rows[index])
        }
        weighed.regions = regions
        weighed.slack?.forget(more.flatMap { [$0.atom, $0.parent] }, count: counts.count)
        // The weighted vectors entered before, in today's atoms: one the job finds again (its
        // combinations are found afresh whenever an atom of a sample splits) is not entered twice.
        let splitFrom = AtomChildren(split.splits, count: counts.count)
        var entered = SpanBasis(columnCount: counts.count)
        for vector in weights.vectors { entered.insert(splitFrom.grow(vector).sparse) }
        for combination in combinations {
            var pairs: [(UInt32, UInt64)] = []
            for (atom, coefficient) in combination.coefficients {
                for part in [atom] + added[atom] {
                    guard let value = valueOf[part]?[combination.feature], value != .max else { return nil }
                    let weight = PrimeField.multiply(coefficient, value)
                    if weight != 0 { pairs.append((part, weight)) }
                }
            }
            guard !pairs.isEmpty else { continue }
            pairs.sort { $0.0 < $1.0 }
            let vector = WeightedVector(atoms: pairs.map(\.0), values: pairs.map(\.1))
            if entered.insert(vector.sparse) { weighed.vectors.append(vector) }
        }
        for feature in fresh { weighed.samples[feature] = [added.grow(jobSample)] }
        return weighed
    }

    /// Finds the slack (see ``WeightedSums``) of each atom of a sample whose slack is not known.
    ///
    /// A hyperplane whose nonzero coefficients are on the features Φ (all varying on the atom)
    /// holds, for each j in Φ and each combination of the values of Φ's other features, at most one
    /// value of j: at most L_j(Φ∖j) rows, the sum over those combinations of the rows of their most
    /// numerous value of j. So a combination weighting x reaches at least the atom's rows less the
    /// largest, over Φ holding x, of the smallest L_j(Φ∖j) for j in Φ. With more than
    /// ``exactSubsets`` features, the other features are all taken together instead (a larger L).
    /// - Returns: the atoms measured.
    static func measureSlack(
        _ slack: inout WeightedSums.Slack, inSample: [Bool], rows: [UInt32], counts: [Int], columns: [FeatureValues]
    ) -> [Int] {
        let atomCount = counts.count
        let pending = (0..<atomCount).map { slack.rows[0][$0] < 0 && inSample[$0] }
        let measured = pending.indices.filter { pending[$0] }
        guard !measured.isEmpty else { return [] }
        let k = columns.count
        // Each (atom, values) group's rows; each atom's first value of each feature, and which vary.
        // Only an atom's first `examinedRows` rows are read: a slack found on some of an atom's
        // rows is a lower bound of its slack (a row added to an atom adds at most one row to a
        // hyperplane), and on large atoms it is large long before all are read.
        var groups = ClassTable(width: k, capacity: min(rows.count, measured.count * examinedRows))
        var rowsOf: [Int] = []
        var first = [UInt64](repeating: 0, count: atomCount * k)
        var examined = [Int](repeating: 0, count: atomCount)
        var varying = [UInt64](repeating: 0, count: atomCount)
        var values = [UInt64](repeating: 0, count: k)
        for row in 0..<rows.count where pending[Int(rows[row])] {
            let atom = Int(rows[row])
            guard examined[atom] < examinedRows else { continue }
            for j in 0..<k { values[j] = columns[j](row) ?? .max }
            if examined[atom] == 0 {
                for j in 0..<k { first[atom * k + j] = values[j] }
            } else {
                for j in 0..<k where first[atom * k + j] != values[j] { varying[atom] |= 1 << UInt64(j) }
            }
            examined[atom] += 1
            let (group, isNew) = values.withUnsafeBufferPointer {
                groups.number(mask: UInt64(atom), values: $0)
            }
            if isNew { rowsOf.append(0) }
            rowsOf[Int(group) - 1] += 1
        }
        /// L_j(G) for every atom: rows grouped by G's values and j's, then the most numerous j per G.
        func most(_ j: Int, given group: UInt64) -> [Int] {
            // The values of `table`'s class `index` with those of the features outside `kept` unset.
            var projected = [UInt64](repeating: 0, count: k)
            func project(_ table: ClassTable, _ index: Int, keeping kept: UInt64) -> UInt64 {
                let values = table.values(of: index)
                for l in 0..<k { projected[l] = kept & (1 << UInt64(l)) != 0 ? values[values.startIndex + l] : .max }
                return table.mask(of: index)
            }
            var byValue = ClassTable(width: k, capacity: rowsOf.count)
            var countOf: [Int] = []
            for index in rowsOf.indices {
                let atom = project(groups, index, keeping: group | 1 << UInt64(j))
                let (number, isNew) = projected.withUnsafeBufferPointer { byValue.number(mask: atom, values: $0) }
                if isNew { countOf.append(0) }
                countOf[Int(number) - 1] += rowsOf[index]
            }
            var others = ClassTable(width: k, capacity: countOf.count)
            var best: [Int] = []
            for index in countOf.indices {
                let atom = project(byValue, index, keeping: group)
                let (number, isNew) = projected.withUnsafeBufferPointer { others.number(mask: atom, values: $0) }
                if isNew { best.append(0) }
                best[Int(number) - 1] = max(best[Int(number) - 1], countOf[index])
            }
            var sum = [Int](repeating: 0, count: atomCount)
            for index in best.indices { sum[Int(others.mask(of: index))] += best[index] }
            return sum
        }
        let all = UInt64(1) << UInt64(k) &- 1
        // bound[x][atom]: most rows on a hyperplane whose coefficient on x is not zero.
        var bound = [[Int]](repeating: [Int](repeating: 0, count: atomCount), count: k)
        if k <= exactSubsets {
            var l: [UInt64: [Int]] = [:]  // key: j << 32 | G
            for j in 0..<k {
                for group in 0...all where group & (1 << UInt64(j)) == 0 {
                    l[UInt64(j) << 32 | group] = most(j, given: group)
                }
            }
            for atom in 0..<atomCount where pending[atom] {
                let vary = varying[atom]
                for subset in 1...max(1, all) where subset & ~vary == 0 {
                    var smallest = Int.max
                    for j in 0..<k where subset & (1 << UInt64(j)) != 0 {
                        smallest = min(smallest, l[UInt64(j) << 32 | (subset & ~(1 << UInt64(j)))]![atom])
                    }
                    for x in 0..<k where subset & (1 << UInt64(x)) != 0 {
                        bound[x][atom] = max(bound[x][atom], smallest)
                    }
                }
            }
        } else {
            for j in 0..<k {
                let l = most(j, given: all & ~(1 << UInt64(j)))
                for atom in 0..<atomCount where varying[atom] & (1 << UInt64(j)) != 0 {
                    for x in 0..<k { bound[x][atom] = max(bound[x][atom], l[atom]) }
                }
            }
        }
        for atom in pending.indices where pending[atom] {
            for x in 0..<k {
                // A feature constant on the rows read weights them by a constant: no slack is claimed.
                let varies = varying[atom] & (1 << UInt64(x)) != 0
                slack.rows[x][atom] = varies ? Int32(examined[atom] - bound[x][atom]) : 0
            }
        }
        return measured
    }

    /// Most features whose every subset is weighed apart when finding slack.
    static let exactSubsets = 5
    /// Most rows of one atom read when finding its slack.
    static let examinedRows = 256

    /// A basis of the combinations of `samples` (those weighted by feature `feature`) that vanish
    /// on every firm region, each as its nonzero coefficients by atom. A combination is constant on
    /// each region (the atoms in the same samples); the firm ones are ranked first, so the rows of
    /// the echelon basis pivoting after every one of them span exactly the combinations zero there.
    static func firmCombinations(
        _ samples: [[UInt32]], feature: Int, slack: WeightedSums.Slack, threshold: Int, atomCount: Int
    ) -> ([[UInt32: UInt64]], WeightedSums.Regions) {
        var regions = WeightedSums.Regions(
            threshold: threshold, of: [Int32](repeating: -1, count: atomCount), slack: [], firm: [])
        guard !samples.isEmpty else { return ([], regions) }
        var patternOf: [UInt32: [Int32]] = [:]
        for (index, sample) in samples.enumerated() {
            for atom in sample { patternOf[atom, default: []].append(Int32(index)) }
        }
        var regionOf: [[Int32]: Int] = [:]
        var regionSlack: [Int] = []
        var atomsOf: [[UInt32]] = []
        for (atom, pattern) in patternOf {
            let region: Int
            if let known = regionOf[pattern] {
                region = known
            } else {
                region = regionSlack.count
                regionOf[pattern] = region
                regionSlack.append(0)
                atomsOf.append([])
            }
            atomsOf[region].append(atom)
            regionSlack[region] += max(0, Int(slack.rows[feature][Int(atom)]))
        }
        let firm = regionSlack.map { $0 >= threshold }
        for (region, atoms) in atomsOf.enumerated() { for atom in atoms { regions.of[Int(atom)] = Int32(region) } }
        (regions.slack, regions.firm) = (regionSlack, firm)
        let firmCount = firm.filter { $0 }.count
        guard firmCount < firm.count else { return ([], regions) }
        var ranks = [UInt32](repeating: 0, count: firm.count)
        var (nextFirm, nextOther) = (UInt32(0), UInt32(firmCount))
        for region in firm.indices {
            if firm[region] {
                ranks[region] = nextFirm
                nextFirm += 1
            } else {
                ranks[region] = nextOther
                nextOther += 1
            }
        }
        var regionsOfSample = [[Int32]](repeating: [], count: samples.count)
        for (pattern, region) in regionOf {
            for sample in pattern { regionsOfSample[Int(sample)].append(Int32(region)) }
        }
        var basis = SpanBasis(ranks: ranks)
        for regions in regionsOfSample { basis.insert(SparseVector(indicator: regions)) }
        let rows = basis.reducedRows(from: UInt32(firmCount)) ?? []
        let combinations = rows.map { row in
            var coefficients: [UInt32: UInt64] = [:]
            for (region, value) in zip(row.columns, row.values) {
                for atom in atomsOf[Int(region)] { coefficients[atom] = value }
            }
            return coefficients
        }
        return (combinations, regions)
    }
}

/// Classes of rows with the same mask and values (of the features in `mask` for the split by
/// values; in one atom, which `mask` holds, when finding slack), numbered from 1 in order of first
/// appearance. Open addressing over flat storage: a dictionary keyed by a struct holding an array
/// allocated and SipHashed a key per row, most of the time a regression's recording took.
private struct ClassTable {
    let width: Int
    private var masks: [UInt64] = []
    /// `width` values per class.
    private var flat: [UInt64] = []
    /// Each class's hash, so that growing moves slots without hashing again.
    private var hashes: [UInt64] = []
    /// A class's number, 0 for an empty slot.
    private var slots: [UInt32]

    /// `capacity`: about how many classes to expect, so that the table is not grown and
    /// rehashed on the way there (the slack of a ledger read back numbers up to a class a row).
    init(width: Int, capacity: Int = 0) {
        self.width = width
        var size = 1024
        while size < 2 * capacity { size *= 2 }
        slots = [UInt32](repeating: 0, count: size)
        masks.reserveCapacity(capacity)
        hashes.reserveCapacity(capacity)
        flat.reserveCapacity(capacity * width)
    }

    var count: Int { masks.count }
    func mask(of index: Int) -> UInt64 { masks[index] }
    func values(of index: Int) -> ArraySlice<UInt64> { flat[index * width..<(index + 1) * width] }

    /// The number of the class of `mask` and `values` (`width` of them), and whether it is new.
    mutating func number(mask: UInt64, values: UnsafeBufferPointer<UInt64>) -> (number: UInt32, isNew: Bool) {
        var hash = (mask ^ 0x243F_6A88_85A3_08D3) &* 0x9E37_79B9_7F4A_7C15
        for j in 0..<width { hash = ((hash ^ (hash >> 29)) ^ values[j]) &* 0x9E37_79B9_7F4A_7C15 }
        hash ^= hash >> 32
        var slot = Int(truncatingIfNeeded: hash) & (slots.count - 1)
        while slots[slot] != 0 {
            let index = Int(slots[slot]) - 1
            if hashes[index] == hash && masks[index] == mask && matches(index, values) { return (slots[slot], false) }
            slot = (slot + 1) & (slots.count - 1)
        }
        slots[slot] = UInt32(masks.count + 1)
        masks.append(mask)
        hashes.append(hash)
        flat.append(contentsOf: values)
        if masks.count * 2 > slots.count { grow() }
        return (UInt32(masks.count), true)
    }

    private func matches(_ index: Int, _ values: UnsafeBufferPointer<UInt64>) -> Bool {
        flat.withUnsafeBufferPointer { flat in
            let base = index * width
            for j in 0..<width where flat[base + j] != values[j] { return false }
            return true
        }
    }

    /// Twice the slots, each class placed again by its kept hash; numbers and order unchanged.
    private mutating func grow() {
        slots = [UInt32](repeating: 0, count: slots.count * 2)
        hashes.withUnsafeBufferPointer { hashes in
            slots.withUnsafeMutableBufferPointer { slots in
                let mask = slots.count - 1
                for index in hashes.indices {
                    var slot = Int(truncatingIfNeeded: hashes[index]) & mask
                    while slots[slot] != 0 { slot = (slot + 1) & mask }
                    slots[slot] = UInt32(index + 1)
                }
            }
        }
    }
}

extension [UInt32] {
    /// Whether this sorted list holds `value`.
    fileprivate func binarySearch(_ value: UInt32) -> Bool {
        var (low, high) = (0, count)
        while low < high {
            let middle = (low + high) / 2
            if self[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low < count && self[low] == value
    }
}
