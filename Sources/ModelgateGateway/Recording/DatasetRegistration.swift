import Crypto
import Foundation
import ModelgateColumnFiles
import ModelgateColumnar
import ModelgateCore
import ModelgateStore

/// Ingests a dataset and records the new version, and its policy if new, in the store's catalog
/// and audit log.
package struct DatasetRegistration: Sendable {
    package let state: URL
    package let store: any GatewayStore

    package init(state: URL, store: any GatewayStore) {
        self.state = state
        self.store = store
    }

    /// Ingest then record. A crash between the two leaves the version unrecorded only until its
    /// first job, which records it before it is admitted.
    package func ingest(
        policyText: String, csv: URL, by principal: String = "operator", progress: DatasetIngest.Progress? = nil
    ) throws -> (DatasetManifest, [AuditEvent]) {
        try requireSamePrivacy(policyText)
        let manifest = try DatasetIngest(state: state).ingest(policyText: policyText, csv: csv, progress: progress)
        guard let dataset = try DatasetStore(state: state).open(manifest.id) else {
            throw ModelgateError("dataset_unreadable", "dataset '\(manifest.id)' vanished right after ingest")
        }
        return (manifest, try store.recordDatasetVersion(dataset.versionRecord, by: principal))
    }

    /// A dataset whose ε has been spent, or whose allocations an owner has set, keeps its privacy
    /// block in a new ingest: what was spent counts against that cap, and was spent on the
    /// sensitivities its unit gave. (A policy reload cannot change it either.)
    private func requireSamePrivacy(_ policyText: String) throws {
        let policy = try Policy(yaml: policyText)
        let id = policy.dataset.id
        guard let current = try DatasetStore(state: state).open(id), current.policy.privacy != policy.privacy else {
            return
        }
        let account = try store.privacyAccount(dataset: id)
        guard account.total > .zero || !account.allocations.isEmpty else { return }
        throw ModelgateError(
            "privacy_block_changed",
            "dataset '\(id)' has spent ε \(account.total) under its privacy block; a new ingest must keep that block as it is (mode, budgets and unit), since what was spent counts against it"
        )
    }
}

extension StoredDataset {

    /// This version as the catalog records it.
    var versionRecord: DatasetVersionRecord {
        DatasetVersionRecord(
            id: manifest.id, title: policy.dataset.title, owner: policy.dataset.owner, version: manifest.version,
            rowCount: manifest.rowCount, policyHash: Hex.string(SHA256.hash(data: Data(policyText.utf8))),
            policyText: policyText,
            ingestedAt: manifest.ingestedAt, source: manifest.source)
    }
}
