import Foundation
import ModelgateColumnFiles
import ModelgateColumnar
import ModelgateCore
import ModelgateParsing
import ModelgateStore

/// Sets up the demo: a synthetic household survey, generated and ingested under its policy.
package enum DemoDataset {
    /// Generates `rows` rows into the state folder, ingests them and records the version in
    /// the state's store; returns the manifest.
    package static func prepare(
        rows: Int, policyText: String, state: URL, store: (any GatewayStore)? = nil,
        progress: DatasetIngest.Progress? = nil
    ) throws -> DatasetManifest {
        let policy = try Policy(yaml: policyText)
        let folder = state.appendingPathComponent("demo", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let csv = folder.appendingPathComponent("\(policy.dataset.id).csv")
        try HouseholdSurvey.write(rows: rows, to: csv)
        let registration = DatasetRegistration(state: state, store: try store ?? SQLiteStore(state: state))
        return try registration.ingest(policyText: policyText, csv: csv, progress: progress).0
    }
}
