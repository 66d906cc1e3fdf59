import ModelgateCore

/// A released sum weighted by a feature's values, over atoms on which the feature is constant:
/// `values[i]` is the weight of every row of `atoms[i]` (sorted), in ``PrimeField``.
package struct WeightedVector: Sendable, Hashable {
    package var atoms: [UInt32]
    package var values: [UInt64]

    package init(atoms: [UInt32], values: [UInt64]) {
        self.atoms = atoms
        self.values = values
    }

    var sparse: SparseVector {
        var vector = SparseVector()
        vector.columns = atoms.map { Int32($0) }
        vector.values = values
        return vector
    }
}

/// What a regression tells by weighting rows with a feature's values, and how the release ledger
/// keeps it.
///
/// A regression's XᵀX and Xᵀy hold, for each numeric feature x, Σx·f over its estimation sample S
/// for every per-row f (the target, each feature, 1): the vector x·1_S, which no set is. Two
/// samples that differ by a group G on which x is constant and one person p give (x_p − c)·f_p from
/// x·1_S₁ − x·1_S₂ − c·(1_S₁ − 1_S₂), whatever G's size.
///
/// Every combination of released figures is v = g + Σ_x x·f_x: g a combination of sets, f_x one
/// of x's samples. g is constant on each atom; f_x on each **region** of x's samples (the atoms in
/// the same samples of x). On an atom A, v is γ + Σ φ_x·x, an affine function of the features that
/// vary on A (those constant there fold into γ), zero on one hyperplane's rows. Call A's **slack**
/// for x the rows that every hyperplane with φ_x ≠ 0 misses. If f_x ≠ 0 on a region, v reaches, in
/// every atom of the region, at least its slack for x. So where those slacks add up to
/// `threshold` or more (a **firm** region), v reaches `threshold` rows: it singles no one out, and
/// it cannot equal a set either (constant on each atom, which needs a zero slack). So only the f_x
/// that vanish on every firm region matter: the samples' span intersected with the vectors zero
/// there, a basis of which comes from eliminating the samples with firm regions ranked first
/// (``SpanBasis/reducedRows(from:budget:)``). Where such an f_x is not zero, its atoms are split by
/// the values of the features, and x·f_x enters the span like a released set, exactly. Nothing is
/// entered that was not released, and nothing that can matter is left out.
///
/// A slack is bounded from below, so firmness is only claimed where it holds (see
/// ``ReleaseLedger/measureSlack(_:inSample:rows:counts:columns:)``): a hyperplane whose nonzero
/// coefficients are on features Φ holds, for each j in Φ and each combination of the other
/// features of Φ, at most one value of j. With one feature, the slack is the rows outside its most
/// frequent value; a continuous feature beside it (income beside age) leaves few rows on any
/// hyperplane that weights both. Every feature any sample was weighted by counts for every atom.
///
/// Slack changes when atoms split (a table by age splits a firm region into atoms of one age
/// each), so a job that splits an atom of some sample, whatever its model, reads the weighting
/// features' values of that atom's rows and checks again. Values enter the field exactly: an
/// integer as itself, a `Double` (m·2ᵉ) as m times 2ᵉ modulo p, a ring map that keeps every
/// rational relation.
struct WeightedSums: Sendable {
    /// For each feature, the estimation samples of the regressions weighted by it, as sorted atom lists.
    private(set) var samples: [String: [[UInt32]]] = [:]
    /// The weighted vectors released, in atoms on which their feature is constant.
    private(set) var vectors: [WeightedVector] = []
    /// Each atom's slack for the features of `samples`, as far as known.
    var slack: Slack?
    /// Each feature's regions as last found, with their slack: what a job that only splits atoms
    /// needs to tell whether a firm region stopped being firm.
    var regions: [String: Regions] = [:]

    struct Regions: Sendable {
        var threshold: Int
        /// Each atom's region; −1 outside the feature's samples.
        var of: [Int32]
        /// Each region's slack: the sum of its atoms' known slack for the feature.
        var slack: [Int]
        /// Whether each region was firm when the combinations were last found.
        var firm: [Bool]

        /// Atoms split off take their parent's region (they are in the same samples).
        mutating func inherit(_ splits: [(atom: UInt32, parent: UInt32)], count: Int) {
            of += [Int32](repeating: -1, count: max(0, count - of.count))
            for (atom, parent) in splits { of[Int(atom)] = of[Int(parent)] }
        }

        /// The regions after `parents` split: what each parent's `slack` added to its region is
        /// taken out with it (its slack is measured again, with its parts', when next needed), and
        /// its parts take its region.
        mutating func split(_ children: AtomChildren, parents: [UInt32], count: Int, slack: [Int32]) {
            of += [Int32](repeating: -1, count: max(0, count - of.count))
            for parent in parents where of[Int(parent)] >= 0 {
                self.slack[Int(of[Int(parent)])] -= max(0, Int(slack[Int(parent)]))
                for child in children[parent] { of[Int(child)] = of[Int(parent)] }
            }
        }
    }

    struct Slack: Sendable {
        var features: [String]
        /// For each feature and atom, the rows every hyperplane weighting the feature misses (0 where
        /// the feature is constant); −1 not known yet.
        var rows: [[Int32]]

        /// Unknown for every atom `count` and after, and for `atoms`.
        mutating func forget(_ atoms: [UInt32], count: Int) {
            for j in rows.indices {
                rows[j] += [Int32](repeating: -1, count: max(0, count - rows[j].count))
                for atom in atoms { rows[j][Int(atom)] = -1 }
            }
        }
    }

    var isEmpty: Bool { samples.isEmpty }

    mutating func add(samples new: [String: [[UInt32]]], vectors added: [WeightedVector]) {
        for (feature, sets) in new {
            for set in sets where !(samples[feature]?.contains(set) ?? false) {
                samples[feature, default: []].append(set)
            }
        }
        vectors += added
    }

    /// Every set and vector with each split atom's new siblings added (a sibling of an atom on which
    /// a feature is constant takes its value), and slack unknown for the atoms that split.
    mutating func grow(_ children: AtomChildren, atomCount: Int) {
        samples = samples.mapValues { $0.map(children.grow) }
        vectors = vectors.map(children.grow)
        let parents = children.parents
        if let known = slack {
            for (index, feature) in known.features.enumerated() where regions[feature] != nil {
                regions[feature]!.split(children, parents: parents, count: atomCount, slack: known.rows[index])
            }
        } else {
            regions = [:]
        }
        slack?.forget(parents, count: atomCount)
    }
}

/// One feature's values as field elements, read from its column.
///
/// The field keeps every rational relation between values, and can add one: two values that
/// differ by a multiple of p (an integer of 2⁶¹ or more, doubles 2⁶¹ times apart) become equal,
/// and a weighting would then look constant where it is not. So every value read is remembered
/// with its element, and two different values met as one element mark the feature `unsafe`: the
/// ledger then refuses rather than weighs. (A relation among many values that holds modulo p
/// alone, a minor divisible by p, is left to chance: about one in 2⁶¹ for values no one chose.)
final class FeatureValues {
    let column: ColumnVector
    // Unchecked: only one job's pass reads an instance, and a dynamic exclusivity check on every
    // access was a tenth of that pass.
    @exclusivity(unchecked) private(set) var unsafe = false
    /// Each element met and the bits of the value it was met as, by open addressing (elements are
    /// below p, so `.max` marks an empty slot): read for every row a weighting splits, where a
    /// dictionary's hashing was most of the cost.
    @exclusivity(unchecked) private var elements = [UInt64](repeating: .max, count: 1024)
    @exclusivity(unchecked) private var bitsOf = [UInt64](repeating: 0, count: 1024)
    @exclusivity(unchecked) private var met = 0

    init(column: ColumnVector) { self.column = column }

    /// nil where the row has no value.
    func callAsFunction(_ row: Int) -> UInt64? {
        guard column.isValid(row) else { return nil }
        let (element, bits): (UInt64, UInt64)
        if case .numbers(let values) = column.storage {
            let value = values[row] == 0 ? 0 : values[row]
            (element, bits) = (PrimeField.element(value), value.bitPattern)
        } else {
            let value = column.code(at: row)
            if value.magnitude >= 1 << 60 { unsafe = true }
            (element, bits) = (PrimeField.element(value), UInt64(bitPattern: Int64(value)))
        }
        remember(element, bits)
        return element
    }

    private func remember(_ element: UInt64, _ bits: UInt64) {
        var slot = Self.slot(element, elements.count)
        while elements[slot] != .max {
            if elements[slot] == element {
                if bitsOf[slot] != bits { unsafe = true }
                return
            }
            slot = (slot + 1) & (elements.count - 1)
        }
        elements[slot] = element
        bitsOf[slot] = bits
        met += 1
        if met * 2 > elements.count {
            let old = zip(elements, bitsOf).filter { $0.0 != .max }
            elements = [UInt64](repeating: .max, count: elements.count * 2)
            bitsOf = [UInt64](repeating: 0, count: elements.count)
            for (element, bits) in old {
                var slot = Self.slot(element, elements.count)
                while elements[slot] != .max { slot = (slot + 1) & (elements.count - 1) }
                (elements[slot], bitsOf[slot]) = (element, bits)
            }
        }
    }

    private static func slot(_ element: UInt64, _ capacity: Int) -> Int {
        let hash = element &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: hash ^ (hash >> 32)) & (capacity - 1)
    }
}

extension PrimeField {
    static func element(_ integer: Int) -> UInt64 {
        let magnitude = UInt64(integer.magnitude) % p
        return integer < 0 ? negate(magnitude) : magnitude
    }

    /// m·2ᵉ as m times 2ᵉ (2⁶¹ ≡ 1, so 2ᵉ is 2^(e mod 61)): exact for every finite `Double`.
    static func element(_ value: Double) -> UInt64 {
        guard value.isFinite, value != 0 else { return 0 }
        // significand in [1, 2) with 52 bits after the point, subnormals included.
        let mantissa = UInt64(value.magnitude.significand * 0x1p52)
        let exponent = Int(value.exponent) - 52
        let power = ((exponent % 61) + 61) % 61
        let magnitude = multiply(mantissa % p, UInt64(1) << UInt64(power))
        return value < 0 ? negate(magnitude) : magnitude
    }
}
