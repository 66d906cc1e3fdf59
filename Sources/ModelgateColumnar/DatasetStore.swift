import Foundation
import ModelgateColumnFiles
import ModelgateCore
import ModelgateParsing

/// The ingested datasets under a state folder: `datasets/<id>/current` points at the folder of
/// the current version, which holds `manifest.json`, `policy.yaml` and one file per column.
public struct DatasetStore: Sendable {
    public let root: URL
    /// Datasets already read, shared by copies of this store (a server opens one per job).
    private let cache = OpenedDatasets()

    public init(state: URL) {
        root = state.appendingPathComponent("datasets", isDirectory: true)
    }

    func datasetFolder(_ id: String) -> URL { root.appendingPathComponent(id, isDirectory: true) }

    func currentFolder(_ id: String) -> URL { datasetFolder(id).appendingPathComponent("current") }

    /// A policy loaded after ingest (`POST /v1/policies/reload`), which replaces the one the
    /// current version was ingested under; same columns, other rules.
    public func policyOverride(_ id: String) -> URL { datasetFolder(id).appendingPathComponent("policy.yaml") }

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
        // The same version folder and the same policy override (by its change time) read the
        // same: parsing the policy is most of a job's admission otherwise.
        let key = OpenedDatasets.Key(folder: folder.path, override: Self.changeTime(policyOverride(id).path))
        if let dataset = cache[id, key] { return dataset }
        do {
            let manifest = try JSONDecoder().decode(DatasetManifest.self, from: Data(contentsOf: manifestURL))
            let override = policyOverride(id)
            let policyText = try String(
                contentsOf: FileManager.default.fileExists(atPath: override.path)
                    ? override : folder.appendingPathComponent("policy.yaml"), encoding: .utf8)
            let dataset = StoredDataset(
                folder: folder, manifest: manifest, policy: try Policy(yaml: policyText), policyText: policyText)
            cache[id, key] = dataset
            return dataset
        } catch let error as ModelgateError {
            throw error
        } catch {
            throw ModelgateError("dataset_unreadable", "dataset '\(id)' cannot be read from \(folder.path): \(error)")
        }
    }
}

extension DatasetStore {
    /// A file's change time in nanoseconds, nil when it does not exist.
    static func changeTime(_ path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_ctim.tv_sec * 1_000_000_000 + info.st_ctim.tv_nsec
    }
}

/// Datasets read by a ``DatasetStore``, each with what it was read from.
final class OpenedDatasets: @unchecked Sendable {
    struct Key: Equatable {
        var folder: String
        var override: Int?
    }

    private let lock = NSLock()
    private var entries: [String: (Key, StoredDataset)] = [:]

    subscript(id: String, key: Key) -> StoredDataset? {
        get { lock.withLock { entries[id].flatMap { $0.0 == key ? $0.1 : nil } } }
        set { lock.withLock { entries[id] = newValue.map { (key, $0) } } }
    }
}

/// One ingested dataset version, ready to map columns from.
public struct StoredDataset: Sendable {
    public let folder: URL
    public let manifest: DatasetManifest
    /// The policy the dataset was ingested under, and its text as the owner wrote it.
    public let policy: Policy
    public let policyText: String
}
