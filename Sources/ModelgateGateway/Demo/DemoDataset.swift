import Foundation
import ModelgateColumnFiles
import ModelgateColumnar
import ModelgateCore
import ModelgateParsing

/// Sets up the demo: a synthetic household survey, generated and ingested under its policy.
public enum DemoDataset {
    /// Generates `rows` rows into the state folder and ingests them; returns the manifest.
    public static func prepare(
        rows: Int, policyText: String, state: URL, progress: DatasetIngest.Progress? = nil
    ) throws -> DatasetManifest {
        let policy = try Policy(yaml: policyText)
        let folder = state.appendingPathComponent("demo", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let csv = folder.appendingPathComponent("\(policy.dataset.id).csv")
        try HouseholdSurvey.write(rows: rows, to: csv)
        return try DatasetIngest(state: state).ingest(policyText: policyText, csv: csv, progress: progress)
    }
}
