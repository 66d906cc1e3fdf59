import Foundation
import GRDB
import ModelgateCore
import ModelgateStore

/// Stores with recorded jobs, and a way to tamper with them as someone holding the file would.
package enum StoreFixture {
    package static let dataset = DatasetVersionRecord(
        id: "survey", title: "Test survey", owner: "test-bureau", version: String(repeating: "1", count: 64),
        rowCount: 100, policyHash: String(repeating: "2", count: 64), policyText: "dataset: {id: survey}",
        ingestedAt: "2026-01-01T00:00:00Z", source: "survey.csv")

    package static func admission(_ job: String, principal: String = "alice", jobsPerDay: Int = 1000) -> JobAdmission {
        JobAdmission(
            job: job, principal: principal, dataset: dataset, model: "crosstab", jobsPerDay: jobsPerDay,
            wallSeconds: 60, runner: "elsewhere/boot/1/1")
    }

    /// A store in a fresh folder with `jobs` jobs admitted and released.
    package static func store(jobs: Int, clock: @escaping @Sendable () -> Date = { Date() }) throws -> (
        TemporaryFolder, SQLiteStore
    ) {
        let folder = try TemporaryFolder()
        let store = try SQLiteStore(state: folder.url, clock: clock)
        for index in 0..<jobs {
            guard case .admitted = try store.admit(admission("job-\(index)")) else {
                throw ModelgateError("test", "job \(index) not admitted")
            }
            _ = try store.finish(JobCompletion(job: "job-\(index)", status: .released, verdict: "pass"))
        }
        return (folder, store)
    }

    /// The store's file opened directly, with the append-only triggers dropped: what someone
    /// holding the file could do.
    package static func tamperer(_ folder: TemporaryFolder) throws -> DatabaseQueue {
        let queue = try DatabaseQueue(path: folder.url.appendingPathComponent(SQLiteStore.fileName).path)
        try queue.write { db in
            try db.execute(sql: "DROP TRIGGER IF EXISTS audit_events_no_update")
            try db.execute(sql: "DROP TRIGGER IF EXISTS audit_events_no_delete")
        }
        return queue
    }

    /// One committed change to the store's file, bypassing the store.
    package static func tamper(_ folder: TemporaryFolder, _ change: (Database) throws -> Void) throws {
        try tamperer(folder).write(change)
    }
}
