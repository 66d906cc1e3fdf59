import Foundation
import ModelgateColumnar
import ModelgateCore
import ModelgateParsing
import ModelgateStore

/// Loads the policies folder over the datasets already ingested. A policy whose text changed
/// replaces the current one (its columns must stay those the data was ingested with) and is an
/// audit event; an unchanged one is left; a policy for a dataset not yet ingested, or one that
/// does not parse, is reported and changes nothing. A policy that weakens the one in force (see
/// ``ModelgateCore/Policy/weakenings(to:)``) loads only when confirmed, and its event names what
/// weakened; without confirmation it is reported with its diff. An ingested dataset with no file
/// in the folder stays open on its stored policy, and is reported as such.
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
        /// Policies that weaken the one in force: loaded (confirmed) or held back (not).
        package var weakened: [Change] = []
        package var awaitingConfirmation: [Change] = []
        /// Ingested datasets that no file in the folder is the policy of: they stay open on the
        /// policy stored with them.
        package var withoutFile: [String] = []
    }

    /// A weakening policy: the dataset, what weakened, and the policy's text as a line diff
    /// (`- ` the line in force, `+ ` the new one).
    package struct Change: Sendable, Codable, Equatable {
        package var dataset: String
        package var weakenings: [String]
        package var diff: [String]
    }

    package func load(from folder: URL, by actor: String, confirmWeaker: Bool = false) throws -> Outcome {
        var outcome = Outcome()
        let datasets = DatasetStore(state: state)
        var named: Set<String> = []
        for file in try Self.policyFiles(in: folder) {
            let text: String
            let policy: Policy
            do {
                text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                policy = try Policy(yaml: text)
            } catch {
                outcome.problems.append("\(file): \(error)")
                continue
            }
            named.insert(policy.dataset.id)
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
            let weakenings = dataset.policy.weakenings(to: policy)
            if !weakenings.isEmpty {
                let change = Change(
                    dataset: policy.dataset.id, weakenings: weakenings, diff: Self.diff(dataset.policyText, text))
                guard confirmWeaker else {
                    outcome.awaitingConfirmation.append(change)
                    outcome.problems.append(
                        "\(file): weakens the policy of '\(policy.dataset.id)' (\(weakenings.joined(separator: "; "))); "
                            + "not loaded: confirm it with --confirm-weaker, or ?confirmWeaker=true on the API")
                    continue
                }
                outcome.weakened.append(change)
            }
            let override = datasets.policyOverride(policy.dataset.id)
            try Data(text.utf8).write(to: override, options: .atomic)
            guard let reloaded = try datasets.open(policy.dataset.id) else { continue }
            _ = try store.recordPolicyReload(reloaded.versionRecord, by: actor, weakened: weakenings)
            outcome.loaded.append(policy.dataset.id)
        }
        outcome.withoutFile = datasets.list().filter { !named.contains($0) }
        return outcome
    }

    /// The ingested datasets that no policy file in `folder` is the policy of: they stay open on
    /// the policy stored with them.
    package func withoutFile(in folder: URL) throws -> [String] {
        let named = Set(
            try Self.policyFiles(in: folder).compactMap {
                try? Policy(yaml: String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8))
            }.map(\.dataset.id))
        return DatasetStore(state: state).list().filter { !named.contains($0) }
    }

    /// The policy files of `folder` (`.yaml`, `.yml`), by name.
    static func policyFiles(in folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
    }

    /// `new` against `old`, line by line: the lines removed (`- `) and added (`+ `), in order.
    /// Swift's `CollectionDifference` finds them.
    package static func diff(_ old: String, _ new: String) -> [String] {
        let (before, after) = (old.split(separator: "\n").map(String.init), new.split(separator: "\n").map(String.init))
        return after.difference(from: before).map { change in
            switch change {
            case .remove(_, let line, _): "- " + line
            case .insert(_, let line, _): "+ " + line
            }
        }
    }
}
