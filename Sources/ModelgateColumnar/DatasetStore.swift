import Foundation
import ModelgateCore

/// The ingested datasets under a state folder: `datasets/<id>/current` points at the folder of
/// the current version, which holds `manifest.json`, `policy.yaml` and one file per column.
public struct DatasetStore: Sendable {
    public let root: URL

    public init(state: URL) {
        root = state.appendingPathComponent("datasets", isDirectory: true)
    }

    func datasetFolder(_ id: String) -> URL { root.appendingPathComponent(id, isDirectory: true) }

    func currentFolder(_ id: String) -> URL { datasetFolder(id).appendingPathComponent("current") }

    /// The ids of every ingested dataset.
    public func list() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: currentFolder($0).path) }.sorted()
    }

    /// Opens the current version of a dataset; nil when it was never ingested.
    public func open(_ id: String) throws -> StoredDataset? {
        guard DatasetDescription.isValidID(id) else { return nil }
        let folder = currentFolder(id).resolvingSymlinksInPath()
        let manifestURL = folder.appendingPathComponent("manifest.json")
        guard FileManager.default.fileExists(atPath: manifestURL.path) else { return nil }
        do {
            let manifest = try JSONDecoder().decode(DatasetManifest.self, from: Data(contentsOf: manifestURL))
            let policyText = try String(contentsOf: folder.appendingPathComponent("policy.yaml"), encoding: .utf8)
            return StoredDataset(folder: folder, manifest: manifest, policy: try Policy(yaml: policyText))
        } catch let error as ModelgateError {
            throw error
        } catch {
            throw ModelgateError("dataset_unreadable", "dataset '\(id)' cannot be read from \(folder.path): \(error)")
        }
    }
}

/// One ingested dataset version, ready to map columns from.
public struct StoredDataset: Sendable {
    public let folder: URL
    public let manifest: DatasetManifest
    /// The policy the dataset was ingested under.
    public let policy: Policy

    /// Maps the named columns read-only. Nothing else of the dataset is touched.
    public func columns(_ names: [String]) throws -> ColumnSet {
        var vectors: [String: ColumnVector] = [:]
        for name in names {
            guard let stored = manifest.column(named: name) else {
                throw ModelgateError(
                    "column_not_stored", "column '\(name)' is not stored in dataset '\(manifest.id)'; re-ingest it")
            }
            vectors[name] = try map(stored)
        }
        return ColumnSet(rowCount: manifest.rowCount, columns: vectors)
    }

    private func map(_ stored: StoredColumn) throws -> ColumnVector {
        let data = try MappedFile(path: folder.appendingPathComponent(stored.file).path)
        let expected = manifest.rowCount * stored.width
        guard data.size == expected else {
            throw ModelgateError(
                "dataset_corrupt", "\(stored.file) has \(data.size) bytes, expected \(expected); re-ingest the dataset")
        }
        var owners: [AnyObject] = [data]
        var validity: UnsafePointer<UInt8>?
        if let validityFile = stored.validityFile {
            let bits = try MappedFile(path: folder.appendingPathComponent(validityFile).path)
            guard bits.size == (manifest.rowCount + 7) / 8 else {
                throw ModelgateError("dataset_corrupt", "\(validityFile) has the wrong size; re-ingest the dataset")
            }
            validity = bits.base?.assumingMemoryBound(to: UInt8.self)
            owners.append(bits)
        }
        // An empty dataset maps nothing; any non-null pointer serves for zero rows.
        let base = data.base ?? UnsafeRawPointer(bitPattern: 16)!
        let storage: ColumnVector.Storage
        switch stored.encoding {
        case .codes: storage = .codes(base, width: stored.width)
        case .integers: storage = .integers(base, width: stored.width)
        case .numbers: storage = .numbers(base.assumingMemoryBound(to: Double.self))
        case .booleans: storage = .booleans(base.assumingMemoryBound(to: UInt8.self))
        }
        return ColumnVector(
            count: manifest.rowCount, storage: storage, levels: stored.levels, validity: validity,
            owner: Owners(owners))
    }
}

/// Keeps a column's mappings (values and validity) alive together.
final class Owners {
    let items: [AnyObject]
    init(_ items: [AnyObject]) { self.items = items }
}
