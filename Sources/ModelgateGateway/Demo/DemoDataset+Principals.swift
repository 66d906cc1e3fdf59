import Foundation
import ModelgateColumnar
import ModelgateCore
import ModelgateStore

/// `modelgate serve --demo`: on an empty state, the synthetic household survey ingested under
/// its policy, one principal per role, and an approved agreement for the demo researcher. The
/// tokens are written to `STATE/demo-tokens.json` (readable by its owner only).
extension DemoDataset {
    package struct DemoTokens: Codable, Sendable {
        package var researcher: String
        package var owner: String
        package var auditor: String
        package var admin: String
    }

    package static let tokensFile = "demo-tokens.json"

    /// Seeds the state if it holds no dataset yet: the survey under each of `policyTexts` (the
    /// exact one, and the same rows in privacy mode dp), the principals, and one agreement over
    /// every dataset; returns the demo tokens (new or kept).
    package static func seed(
        state: URL, store: any GatewayStore, policyTexts: [String], rows: Int = 100_000,
        progress: DatasetIngest.Progress? = nil
    ) throws -> DemoTokens {
        let file = state.appendingPathComponent(tokensFile)
        if let data = FileManager.default.contents(atPath: file.path),
            let tokens = try? JSONDecoder().decode(DemoTokens.self, from: data)
        {
            return tokens
        }
        let policies = try policyTexts.map { try Policy(yaml: $0) }
        guard let policy = policies.first else { throw ModelgateError("demo_failed", "the demo needs a policy") }
        for (text, each) in zip(policyTexts, policies) where try DatasetStore(state: state).open(each.dataset.id) == nil
        {
            _ = try prepare(rows: rows, policyText: text, state: state, store: store, progress: progress)
        }
        func add(_ principal: Principal) throws -> String {
            let (token, stored) = Tokens.make()
            try store.addPrincipal(principal, token: stored, by: "demo")
            return token
        }
        let researcher = Principal(name: "demo-researcher", role: .researcher)
        let owner = Principal(name: "demo-owner", role: .owner, body: policy.dataset.owner)
        let tokens = DemoTokens(
            researcher: try add(researcher), owner: try add(owner),
            auditor: try add(Principal(name: "demo-auditor", role: .auditor)),
            admin: try add(Principal(name: "demo-admin", role: .admin)))
        let now = Date()
        let workflow = AccessWorkflow(catalog: Catalog(datasets: DatasetStore(state: state), store: store))
        let application = try workflow.apply(
            .init(
                datasets: policies.map(\.dataset.id),
                models: ModelKind.allCases.filter { kind in policies.contains { $0.models.contains(kind) } },
                purpose: "Demonstration: income and insurance by district", scenario: "the modelgate demo",
                safeguards: "results only, checked for disclosure", starts: Timestamp.string(now),
                ends: Timestamp.string(now + 365 * 86400)), by: researcher)
        _ = try workflow.decide(application.id, approve: true, dataset: nil, reason: "demo", by: owner)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // Readable by its owner only from the start, never for a moment by anyone else.
        let bytes = Array(try encoder.encode(tokens))
        let fd = open(file.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ModelgateError("demo_failed", "cannot create \(file.path)") }
        defer { close(fd) }
        guard write(fd, bytes, bytes.count) == bytes.count else {
            throw ModelgateError("demo_failed", "cannot write \(file.path)")
        }
        return tokens
    }

    /// Three commands a newcomer can paste.
    package static func curlLines(_ tokens: DemoTokens, host: String, port: Int, spec: String) -> [String] {
        let base = "http://\(host):\(port)"
        return [
            "curl -s -H 'Authorization: Bearer \(tokens.researcher)' \(base)/v1/datasets",
            "curl -s -H 'Authorization: Bearer \(tokens.researcher)' -H 'Content-Type: application/yaml' --data-binary @\(spec) \(base)/v1/jobs",
            "curl -s -H 'Authorization: Bearer \(tokens.researcher)' -H 'Content-Type: application/yaml' --data-binary @models/dp/count-by-district-and-sex.yaml \(base)/v1/jobs/preview",
            "curl -s -H 'Authorization: Bearer \(tokens.auditor)' \(base)/v1/audit/verify",
        ]
    }
}
