/// One job's addition to a dataset version's release ledger, as the store keeps it: the atoms its
/// labels split off (each new atom with the atom it came from), its sets not released or withheld
/// before, what it released or withheld of measures' values, and the file holding every row's atom
/// after it when some atom split.
package struct LedgerEntry: Sendable, Equatable {
    package var generation: Int
    package var job: String
    package var splits: [(atom: UInt32, parent: UInt32)]
    package var released: [[UInt32]]
    package var protected: [[UInt32]]
    /// The columns whose values the job's figures tell something of (every column it read); nil
    /// for an entry written before they were recorded, whose sets count as revealing every one.
    package var measures: [String]?
    /// The job's released sets whose figures of some of `measures` were not released before.
    package var measured: [[UInt32]]
    /// For each column the job's figures are sums of (``ModelTask/measures``), the job's withheld
    /// sets not withheld for it before: a cell suppressed in a table of means, a group refused
    /// for its values.
    package var valueProtected: [String: [[UInt32]]]
    /// The job's regression samples, by the feature that weighted each.
    package var weightedSamples: [String: [[UInt32]]]
    /// The weighted vectors the job entered, each as its atoms and their weights.
    package var weighted: [(atoms: [UInt32], values: [UInt64])]
    /// Name of the file of row atoms written for this generation, in the ledger's folder.
    package var atomsFile: String?

    package init(
        generation: Int, job: String, splits: [(atom: UInt32, parent: UInt32)], released: [[UInt32]],
        protected: [[UInt32]], measures: [String]? = [], measured: [[UInt32]] = [],
        valueProtected: [String: [[UInt32]]] = [:], weightedSamples: [String: [[UInt32]]] = [:],
        weighted: [(atoms: [UInt32], values: [UInt64])] = [], atomsFile: String?
    ) {
        self.generation = generation
        self.job = job
        self.splits = splits
        self.released = released
        self.protected = protected
        self.measures = measures
        self.measured = measured
        self.valueProtected = valueProtected
        self.weightedSamples = weightedSamples
        self.weighted = weighted
        self.atomsFile = atomsFile
    }

    package static func == (a: Self, b: Self) -> Bool {
        a.generation == b.generation && a.job == b.job && a.splits.map(\.atom) == b.splits.map(\.atom)
            && a.splits.map(\.parent) == b.splits.map(\.parent) && a.released == b.released
            && a.protected == b.protected && a.measures == b.measures && a.measured == b.measured
            && a.valueProtected == b.valueProtected && a.weightedSamples == b.weightedSamples
            && a.weighted.map(\.atoms) == b.weighted.map(\.atoms)
            && a.weighted.map(\.values) == b.weighted.map(\.values)
            && a.atomsFile == b.atomsFile
    }
}

/// Which ledger: one per dataset version.
package struct LedgerKey: Sendable, Hashable {
    package var dataset: String
    package var version: String
    package init(dataset: String, version: String) {
        self.dataset = dataset
        self.version = version
    }
}

extension LedgerEntry {
    /// Little-endian `UInt32`s: the atoms of each set, each set preceded by its length.
    package static func encode(_ sets: [[UInt32]]) -> [UInt8] {
        var words: [UInt32] = []
        for set in sets {
            words.append(UInt32(set.count))
            words += set
        }
        return bytes(words)
    }

    package static func decodeSets(_ bytes: [UInt8]) -> [[UInt32]] {
        let words = self.words(bytes)
        var sets: [[UInt32]] = []
        var at = 0
        while at < words.count {
            let count = Int(words[at])
            let end = min(at + 1 + count, words.count)
            sets.append(Array(words[(at + 1)..<end]))
            at = end
        }
        return sets
    }

    /// Groups of sets, each group preceded by its number of sets: `valueProtected` in the order
    /// of `measures`.
    package static func encode(groups: [[[UInt32]]]) -> [UInt8] {
        groups.flatMap { encode([[UInt32($0.count)]] + $0) }
    }

    package static func decodeGroups(_ bytes: [UInt8]) -> [[[UInt32]]] {
        let sets = decodeSets(bytes)
        var groups: [[[UInt32]]] = []
        var at = 0
        while at < sets.count {
            // Each group's header decodes as a one-word set holding its number of sets.
            let count = sets[at].first.map(Int.init) ?? 0
            let end = min(at + 1 + count, sets.count)
            groups.append(Array(sets[(at + 1)..<end]))
            at = end
        }
        return groups
    }

    /// Each vector as one set: its atoms, then each weight as two words (low first).
    package static func encode(_ weighted: [(atoms: [UInt32], values: [UInt64])]) -> [UInt8] {
        encode(
            weighted.map { vector in
                vector.atoms + vector.values.flatMap { [UInt32(truncatingIfNeeded: $0), UInt32($0 >> 32)] }
            })
    }

    package static func decodeWeighted(_ bytes: [UInt8]) -> [(atoms: [UInt32], values: [UInt64])] {
        decodeSets(bytes).map { words in
            let count = words.count / 3
            let values = (0..<count).map { UInt64(words[count + 2 * $0]) | UInt64(words[count + 2 * $0 + 1]) << 32 }
            return (Array(words[..<count]), values)
        }
    }

    package static func encode(_ splits: [(atom: UInt32, parent: UInt32)]) -> [UInt8] {
        bytes(splits.flatMap { [$0.atom, $0.parent] })
    }

    package static func decodeSplits(_ bytes: [UInt8]) -> [(atom: UInt32, parent: UInt32)] {
        let words = self.words(bytes)
        return stride(from: 0, to: words.count - 1, by: 2).map { (words[$0], words[$0 + 1]) }
    }

    static func bytes(_ words: [UInt32]) -> [UInt8] {
        words.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> (8 * $0)) } }
    }

    static func words(_ bytes: [UInt8]) -> [UInt32] {
        stride(from: 0, to: bytes.count - 3, by: 4).map { at in
            (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[at + $1]) << (8 * UInt32($1)) }
        }
    }
}
