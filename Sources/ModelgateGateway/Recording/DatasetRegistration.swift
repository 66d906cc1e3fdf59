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
        let manifest = try DatasetIngest(state: state).ingest(policyText: policyText, csv: csv, progress: progress)
        guard let dataset = try DatasetStore(state: state).open(manifest.id) else {
            throw ModelgateError("dataset_unreadable", "dataset '\(manifest.id)' vanished right after ingest")
        }
        return (manifest, try store.recordDatasetVersion(dataset.versionRecord, by: principal))
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
