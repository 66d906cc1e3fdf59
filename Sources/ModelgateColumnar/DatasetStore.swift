import Foundation
import ModelgateColumnFiles
import ModelgateCore
import ModelgateParsing

/// The ingested datasets under a state folder: `datasets/<id>/current` points at the folder of
/// the current version, which holds `manifest.json`, `policy.yaml` and one file per column.
public struct DatasetStore: Sendable {
    public let root: URL

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
        do {
            let manifest = try JSONDecoder().decode(DatasetManifest.self, from: Data(contentsOf: manifestURL))
            let override = policyOverride(id)
            let policyText = try String(
                contentsOf: FileManager.default.fileExists(atPath: override.path)
                    ? override : folder.appendingPathComponent("policy.yaml"), encoding: .utf8)
            return StoredDataset(
                folder: folder, manifest: manifest, policy: try Policy(yaml: policyText), policyText: policyText)
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
    /// The policy the dataset was ingested under, and its text as the owner wrote it.
    public let policy: Policy
    public let policyText: String
}
