import Foundation
import ModelgateColumnar
import ModelgateCore
import ModelgateParsing
import ModelgateStore

/// Loads the policies folder over the datasets already ingested. A policy whose text changed
/// replaces the current one (its columns must stay those the data was ingested with) and is an
/// audit event; an unchanged one is left; a policy for a dataset not yet ingested, or one that
/// does not parse, is reported and changes nothing.
package struct PolicyReload: Sendable {
    package let state: URL
    package let store: any GatewayStore

    package init(state: URL, store: any GatewayStore) {
        self.state = state
        self.store = store
    }

    package struct Outcome: Sendable, Codable, Equatable {
        package var loaded: [String] = []
        package var unchanged: [String] = []
        /// `file: what is wrong`.
        package var problems: [String] = []
    }

    package func load(from folder: URL, by actor: String) throws -> Outcome {
        var outcome = Outcome()
        let datasets = DatasetStore(state: state)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        for file in files {
            let text: String
            let policy: Policy
            do {
                text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                policy = try Policy(yaml: text)
            } catch {
                outcome.problems.append("\(file): \(error)")
                continue
            }
            guard let dataset = try datasets.open(policy.dataset.id) else {
                outcome.problems.append(
                    "\(file): dataset '\(policy.dataset.id)' is not ingested; run modelgate ingest with this policy")
                continue
            }
            if dataset.policyText == text {
                outcome.unchanged.append(policy.dataset.id)
                continue
            }
            // Ingest checked the values against the bounds and levels in force then, and the
            // worker's cells rely on them; a dp dataset's protection and budget are fixed for
            // its life. Either changes only with a new ingest.
            func shape(_ policy: Policy) -> [String] {
                policy.columns.map {
                    "\($0.name):\($0.type.rawValue):\($0.min.map { "\($0)" } ?? "-"):\($0.max.map { "\($0)" } ?? "-"):"
                        + ($0.levels?.joined(separator: ",") ?? "-")
                }
            }
            guard shape(dataset.policy) == shape(policy) else {
                outcome.problems.append(
                    "\(file): its columns, bounds or levels differ from those '\(policy.dataset.id)' was ingested with; ingest it again instead"
                )
                continue
            }
            guard dataset.policy.privacy == policy.privacy else {
                outcome.problems.append(
                    "\(file): its privacy block differs from the one '\(policy.dataset.id)' was ingested with; a dataset's protection and ε budget change only with a new ingest"
                )
                continue
            }
            let override = datasets.policyOverride(policy.dataset.id)
            try Data(text.utf8).write(to: override, options: .atomic)
            guard let reloaded = try datasets.open(policy.dataset.id) else { continue }
            _ = try store.recordPolicyReload(reloaded.versionRecord, by: actor)
            outcome.loaded.append(policy.dataset.id)
        }
        return outcome
    }
}
