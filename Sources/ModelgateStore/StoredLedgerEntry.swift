import Foundation
import ModelgateCore

/// A release ledger entry as both stores keep it: its sets as little-endian UInt32 blobs and its
/// names (measures, weighted features) as JSON arrays, one column each.
package struct StoredLedgerEntry {
    package var generation: Int
    package var job: String
    package var splits: Data
    package var released: Data
    package var protected: Data
    /// Nil for entries from before measures were kept: their sets reveal every measure.
    package var measures: String?
    package var measured: Data
    package var valueProtected: Data
    package var weightedFeatures: String
    package var weightedSamples: Data
    package var weighted: Data
    package var atomsFile: String?

    /// The columns, in the order ``init(columns:)`` and the stores' statements use.
    package static let columns = """
        generation, job, splits, released, protected, measures, measured, value_protected, \
        weighted_features, weighted_samples, weighted, atoms_file
        """

    package init(_ entry: LedgerEntry) throws {
        let features = entry.weightedSamples.keys.sorted()
        generation = entry.generation
        job = entry.job
        splits = Data(LedgerEntry.encode(entry.splits))
        released = Data(LedgerEntry.encode(entry.released))
        protected = Data(LedgerEntry.encode(entry.protected))
        measures = try entry.measures.map(StoredText.list)
        measured = Data(LedgerEntry.encode(entry.measured))
        valueProtected = Data(
            LedgerEntry.encode(groups: (entry.measures ?? []).map { entry.valueProtected[$0] ?? [] }))
        weightedFeatures = try StoredText.list(features)
        weightedSamples = Data(LedgerEntry.encode(groups: features.map { entry.weightedSamples[$0] ?? [] }))
        weighted = Data(LedgerEntry.encode(entry.weighted))
        atomsFile = entry.atomsFile
    }

    package init(
        generation: Int, job: String, splits: Data, released: Data, protected: Data, measures: String?,
        measured: Data, valueProtected: Data, weightedFeatures: String, weightedSamples: Data, weighted: Data,
        atomsFile: String?
    ) {
        self.generation = generation
        self.job = job
        self.splits = splits
        self.released = released
        self.protected = protected
        self.measures = measures
        self.measured = measured
        self.valueProtected = valueProtected
        self.weightedFeatures = weightedFeatures
        self.weightedSamples = weightedSamples
        self.weighted = weighted
        self.atomsFile = atomsFile
    }

    /// The entry it stores.
    package func entry() throws -> LedgerEntry {
        let measures = try measures.map(StoredText.list(from:))
        let valueProtected = LedgerEntry.decodeGroups(Array(valueProtected))
        let features = try StoredText.list(from: weightedFeatures)
        let samples = LedgerEntry.decodeGroups(Array(weightedSamples))
        return LedgerEntry(
            generation: generation, job: job, splits: LedgerEntry.decodeSplits(Array(splits)),
            released: LedgerEntry.decodeSets(Array(released)), protected: LedgerEntry.decodeSets(Array(protected)),
            measures: measures, measured: LedgerEntry.decodeSets(Array(measured)),
            valueProtected: Dictionary(
                zip(measures ?? [], valueProtected).filter { !$0.1.isEmpty }, uniquingKeysWith: { a, _ in a }),
            weightedSamples: Dictionary(
                zip(features, samples).filter { !$0.1.isEmpty }, uniquingKeysWith: { a, _ in a }),
            weighted: LedgerEntry.decodeWeighted(Array(weighted)), atomsFile: atomsFile)
    }
}
