import ModelgateCore

extension ReleaseLedger {
    /// What the ledger needs to follow weighted sums (see ``WeightedSums``): given with every job,
    /// since a job of any model can split an atom of a regression's sample.
    public struct Weighting {
        /// The job's numeric regression features: it releases Σx·f over its estimation sample
        /// (its rows labelled ``RowLabels/first`` or later) for each of them. Empty for other models.
        public var features: [String]
        /// The threshold the check will use, which which combinations matter depends on.
        public var threshold: Int
        /// A feature's values; nil when they cannot be read (then a job that needs them is refused
        /// as beyond the ledger's limits).
        public var values: (String) -> ColumnVector?

        public init(features: [String], threshold: Int, values: @escaping (String) -> ColumnVector?) {
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
    /// slack for the atoms after its split (which may split further, by features' values).
    struct Weighed {
        var samples: [String: [[UInt32]]] = [:]
        var vectors: [WeightedVector] = []
        var slack: WeightedSums.Slack?
    }

    /// Follows the job's weighted sums through `split`, splitting further where a weighted vector
    /// must be entered exactly. nil when the features' values are needed and cannot be read.
    func weigh(_ split: inout Split, weighting: Weighting?, limits: Limits) -> Weighed? {
        let jobFeatures = weighting?.features ?? []
        guard !weights.isEmpty || !jobFeatures.isEmpty else { return Weighed(slack: weights.slack) }
        let oldCount = atomCounts.count
        var parentOf = [Int32](repeating: -1, count: split.counts.count)
        var children = [[UInt32]](repeating: [], count: split.counts.count)
        for (atom, parent) in split.splits {
            parentOf[Int(atom)] = Int32(parent)
            children[Int(parent)].append(atom)
        }
        func grown(_ set: [UInt32]) -> [UInt32] {
            let added = set.flatMap { children[Int($0)] }
            return added.isEmpty ? set : (set + added).sorted()
        }
        let jobSample = split.atomsOfLabel.filter { $0.key >= RowLabels.first }.values.flatMap { $0 }.sorted()
        var samples = weights.samples.mapValues { $0.map(grown) }
        let newSample = !jobSample.isEmpty && !jobFeatures.isEmpty
        if newSample {
            for feature in jobFeatures { samples[feature, default: []].append(jobSample) }
        }
        var inSample = [Bool](repeating: false, count: split.counts.count)
        for sets in samples.values { for set in sets { for atom in set { inSample[Int(atom)] = true } } }
        let features = samples.keys.sorted()
        var slack = weights.slack
        if slack?.features != features { slack = nil }
        // The slack of the atoms that split, or were split off, is not known any more.
        slack?.forget(split.splits.flatMap { [$0.atom, $0.parent] }, count: split.counts.count)
        guard newSample || split.splits.contains(where: { inSample[Int($0.parent)] }) else {
            return Weighed(slack: slack)
        }
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
                features: features, rows: [Int32](repeating: -1, count: split.counts.count),
                varying: [UInt64](repeating: 0, count: split.counts.count))
        Self.measureSlack(&known, inSample: inSample, rows: rows, counts: split.counts, columns: columns)
        var weighed = Weighed(slack: known)
        // For each feature, the combinations of its samples that vanish on every firm region.
        var combinations: [(feature: Int, coefficients: [UInt32: UInt64])] = []
        var supportedBy = [UInt64](repeating: 0, count: split.counts.count)
        for (index, feature) in features.enumerated() {
            let firm = Self.firmCombinations(
                samples[feature] ?? [], feature: index, slack: known, threshold: weighting.threshold)
            for combination in firm {
                combinations.append((index, combination))
                for atom in combination.keys { supportedBy[Int(atom)] |= 1 << UInt64(index) }
            }
        }
        if newSample { for feature in jobFeatures { weighed.samples[feature] = [jobSample] } }
        guard !combinations.isEmpty else { return weighed }
        // Atoms a combination reaches are split by the values of the features it weights.
        var classes: [ClassKey: UInt32] = [:]
        var classValues: [[UInt64]] = []
        var labels = [UInt32](repeating: 0, count: rows.count)
        for row in 0..<rows.count {
            let mask = supportedBy[Int(rows[row])]
            guard mask != 0 else { continue }
            let values = columns.indices.map { mask & (1 << UInt64($0)) != 0 ? columns[$0](row) ?? .max : .max }
            let key = ClassKey(mask: mask, values: values)
            if let id = classes[key] {
                labels[row] = id
            } else {
                classValues.append(values)
                labels[row] = UInt32(classValues.count)
                classes[key] = UInt32(classValues.count)
            }
        }
        guard
            let (atomsOfClass, more, counts, moreRows) = labels.withUnsafeBufferPointer({
                self.split(rows, counts: split.counts, by: $0, limits: limits)
            })
        else { return nil }
        var added = [[UInt32]](repeating: [], count: counts.count)
        for (atom, parent) in more { added[Int(parent)].append(atom) }
        split.atomsOfLabel = split.atomsOfLabel.mapValues { $0 + $0.flatMap { added[Int($0)] } }
        // An atom split off one the job split off first is recorded as split from the old atom.
        split.splits += more.map { atom, parent in
            (atom, Int(parent) >= oldCount && parentOf[Int(parent)] >= 0 ? UInt32(parentOf[Int(parent)]) : parent)
        }
        split.counts = counts
        if !more.isEmpty { split.rows = moreRows }
        var valueOf: [UInt32: [UInt64]] = [:]
        for (label, atoms) in atomsOfClass where label > 0 {
            for atom in atoms { valueOf[atom] = classValues[Int(label) - 1] }
        }
        weighed.slack?.forget(more.flatMap { [$0.atom, $0.parent] }, count: counts.count)
        for combination in combinations {
            var pairs: [(UInt32, UInt64)] = []
            for (atom, coefficient) in combination.coefficients {
                for part in [atom] + added[Int(atom)] {
                    guard let value = valueOf[part]?[combination.feature], value != .max else { return nil }
                    let weight = PrimeField.multiply(coefficient, value)
                    if weight != 0 { pairs.append((part, weight)) }
                }
            }
            guard !pairs.isEmpty else { continue }
            pairs.sort { $0.0 < $1.0 }
            weighed.vectors.append(WeightedVector(atoms: pairs.map(\.0), values: pairs.map(\.1)))
        }
        if newSample {
            let sample = (jobSample + jobSample.flatMap { added[Int($0)] }).sorted()
            for feature in jobFeatures { weighed.samples[feature] = [sample] }
        }
        return weighed
    }

    /// Finds the slack (see ``WeightedSums``) of each atom of a sample whose slack is not known.
    static func measureSlack(
        _ slack: inout WeightedSums.Slack, inSample: [Bool], rows: [UInt32], counts: [Int], columns: [FeatureValues]
    ) {
        let pending = slack.rows.indices.map { slack.rows[$0] < 0 && inSample[$0] }
        guard pending.contains(true) else { return }
        let k = columns.count
        // Each (atom, values) group's rows, and its hash without each feature; each atom's first
        // value of each feature, and which features vary.
        var rowsOf: [ClassKey: Int] = [:]
        var first = [UInt64](repeating: 0, count: counts.count * k)
        var seen = [Bool](repeating: false, count: counts.count)
        var varying = [UInt64](repeating: 0, count: counts.count)
        var values = [UInt64](repeating: 0, count: k)
        for row in 0..<rows.count where pending[Int(rows[row])] {
            let atom = Int(rows[row])
            for j in 0..<k { values[j] = columns[j](row) ?? .max }
            if !seen[atom] {
                seen[atom] = true
                for j in 0..<k { first[atom * k + j] = values[j] }
            } else {
                for j in 0..<k where first[atom * k + j] != values[j] { varying[atom] |= 1 << UInt64(j) }
            }
            rowsOf[ClassKey(mask: UInt64(atom), values: values), default: 0] += 1
        }
        // The largest hyperplane: over each varying feature, the sum over the other features'
        // combinations of its most numerous value there.
        var largest = [Int](repeating: 0, count: counts.count)
        for j in 0..<k {
            var most: [ClassKey: Int] = [:]
            for (key, count) in rowsOf where varying[Int(key.mask)] & (1 << UInt64(j)) != 0 {
                var others = key
                others.values[j] = .max
                most[others] = max(most[others] ?? 0, count)
            }
            var sum = [Int](repeating: 0, count: counts.count)
            for (key, rows) in most { sum[Int(key.mask)] += rows }
            for atom in sum.indices where sum[atom] > 0 { largest[atom] = max(largest[atom], sum[atom]) }
        }
        for atom in pending.indices where pending[atom] {
            // With no feature varying, no combination weights the atom beyond a constant.
            slack.rows[atom] = varying[atom] == 0 ? 0 : Int32(counts[atom] - largest[atom])
            slack.varying[atom] = varying[atom]
        }
    }

    /// A basis of the combinations of `samples` (those weighted by feature `feature`) that vanish
    /// on every firm region, each as its nonzero coefficients by atom. A combination is constant on
    /// each region (the atoms in the same samples); the firm ones are ranked first, so the rows of
    /// the echelon basis pivoting after every one of them span exactly the combinations zero there.
    static func firmCombinations(
        _ samples: [[UInt32]], feature: Int, slack: WeightedSums.Slack, threshold: Int
    ) -> [[UInt32: UInt64]] {
        guard !samples.isEmpty else { return [] }
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
            if slack.varying[Int(atom)] & (1 << UInt64(feature)) != 0 {
                regionSlack[region] += max(0, Int(slack.rows[Int(atom)]))
            }
        }
        let firm = regionSlack.map { $0 >= threshold }
        let firmCount = firm.filter { $0 }.count
        guard firmCount < firm.count else { return [] }
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
        return rows.map { row in
            var coefficients: [UInt32: UInt64] = [:]
            for (region, value) in zip(row.columns, row.values) {
                for atom in atomsOf[Int(region)] { coefficients[atom] = value }
            }
            return coefficients
        }
    }
}

/// Rows with the same values: of the features in `mask` for the split by values; in one atom
/// (`mask` holds the atom) when finding slack.
private struct ClassKey: Hashable {
    var mask: UInt64
    var values: [UInt64]
}
