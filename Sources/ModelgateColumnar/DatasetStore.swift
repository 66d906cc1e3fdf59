import Crypto
import Foundation
import ModelgateColumnFiles
import ModelgateCore
import ModelgateParsing

/// The ingested datasets under a state folder: `datasets/<id>/current` points at the folder of
/// the current version, which holds `manifest.json`, `policy.yaml` and one file per column.
package struct DatasetStore: Sendable {
    package let root: URL
    /// Datasets already read, shared by copies of this store (a server opens one per job).
    private let cache = OpenedDatasets()

    package init(state: URL) {
        root = state.appendingPathComponent("datasets", isDirectory: true)
    }

    func datasetFolder(_ id: String) -> URL { root.appendingPathComponent(id, isDirectory: true) }

    func currentFolder(_ id: String) -> URL { datasetFolder(id).appendingPathComponent("current") }

    /// A policy loaded after ingest (`POST /v1/policies/reload`), which replaces the one the
    /// current version was ingested under; same columns, other rules.
    package func policyOverride(_ id: String) -> URL { datasetFolder(id).appendingPathComponent("policy.yaml") }

    /// The folder `current` points at: read from the link alone (every job opens its dataset;
    /// resolving the whole path costs a system call per component).
    func currentVersionFolder(_ id: String) -> URL {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink(currentFolder(id).path, &buffer, buffer.count - 1)
        guard length > 0 else { return currentFolder(id).resolvingSymlinksInPath() }
        let target = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return target.hasPrefix("/")
            ? URL(fileURLWithPath: target, isDirectory: true)
            : datasetFolder(id).appendingPathComponent(target, isDirectory: true)
    }

    /// The ids of every ingested dataset.
    package func list() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: currentFolder($0).path) }.sorted()
    }

    /// Opens the current version of a dataset; nil when it was never ingested.
    package func open(_ id: String) throws -> StoredDataset? {
        guard DatasetDescription.isValidID(id) else { return nil }
        let folder = currentVersionFolder(id)
        // The same version folder and the same policy override (by its change time) read the
        // same: parsing the policy is most of a job's admission otherwise. A version folder is
        // never changed once published (a new version is a new folder), so the link is enough.
        let key = OpenedDatasets.Key(folder: folder.path, override: Self.changeTime(policyOverride(id).path))
        if let dataset = cache[id, key] { return dataset }
        let manifestURL = folder.appendingPathComponent("manifest.json")
        guard FileManager.default.fileExists(atPath: manifestURL.path) else { return nil }
        do {
            let manifest = try JSONDecoder().decode(DatasetManifest.self, from: Data(contentsOf: manifestURL))
            let override = policyOverride(id)
            let policyText = try String(
                contentsOf: FileManager.default.fileExists(atPath: override.path)
                    ? override : folder.appendingPathComponent("policy.yaml"), encoding: .utf8)
            let dataset = StoredDataset(
                folder: folder, manifest: manifest, policy: try Policy(yaml: policyText), policyText: policyText,
                secret: try secret(id))
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
    /// The dataset's secret (32 random bytes, `datasets/<id>/secret`, readable by the gateway's
    /// user only), made on first use and kept across versions: the key of the order in which
    /// withheld cells' complements are taken (see `ComplementOrder`). It never reaches a worker,
    /// a result or the log. Published with `link`, which fails if another process made it first;
    /// then that one is read, so every process uses the same.
    func secret(_ id: String) throws -> [UInt8] {
        let url = datasetFolder(id).appendingPathComponent("secret")
        if let existing = try? Data(contentsOf: url), existing.count == Self.secretSize { return Array(existing) }
        let draft = datasetFolder(id).appendingPathComponent(".secret-\(getpid())-\(UUID().uuidString)")
        defer { unlink(draft.path) }
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<Self.secretSize).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let descriptor = Glibc.open(draft.path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw Self.secretError(id, "create", url) }
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard written == Self.secretSize, synced else { throw Self.secretError(id, "write", url) }
        if link(draft.path, url.path) != 0 && errno != EEXIST { throw Self.secretError(id, "publish", url) }
        // The folder too, so that a power loss cannot take the secret back after it was used.
        try? DatasetIngest.sync(folder: datasetFolder(id))
        guard let kept = try? Data(contentsOf: url), kept.count == Self.secretSize else {
            throw ModelgateError(
                "dataset_unreadable",
                "dataset '\(id)': \(url.path) must hold \(Self.secretSize) bytes; restore it from a backup of the state, or remove it to have a new one made (which changes the cells that later tables withhold beside small ones)"
            )
        }
        return Array(kept)
    }

    static let secretSize = 32

    static func secretError(_ id: String, _ action: String, _ url: URL) -> ModelgateError {
        ModelgateError(
            "dataset_unreadable", "dataset '\(id)': cannot \(action) \(url.path): \(String(cString: strerror(errno)))")
    }

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
package struct StoredDataset: Sendable {
    package let folder: URL
    package let manifest: DatasetManifest
    /// The policy the dataset was ingested under, and its text as the owner wrote it.
    package let policy: Policy
    package let policyText: String
    /// The dataset's secret, for the gateway alone (see `DatasetStore.secret`).
    package let secret: [UInt8]

    /// Names the dataset version, for what is keyed by its secret.
    package var versionContext: String { "\(manifest.id)@\(manifest.version)" }

    /// The version as researchers see it. In exact mode the content hash itself; in privacy mode
    /// dp a keyed hash of it (HMAC-SHA-256 with the dataset's secret): someone who knows every row
    /// but one could otherwise test each candidate for that row against the content hash.
    package var publicVersion: String {
        guard policy.privacy.mode == .dp else { return manifest.version }
        let code = HMAC<SHA256>.authenticationCode(
            for: Data("public version of \(versionContext)".utf8), using: SymmetricKey(data: secret))
        return Hex.string(code)
    }
}
