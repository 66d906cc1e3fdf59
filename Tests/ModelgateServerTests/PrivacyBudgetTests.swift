import Foundation
import Hummingbird
import HummingbirdTesting
import ModelgateCore
import ModelgateStore
import ModelgateTestSupport
import Testing

@testable import ModelgateServer

/// The privacy budget under load, over real HTTP: many jobs at once against an agreement whose
/// ε fits exactly ten of them.
@Suite struct PrivacyBudgetTests {
    static let spec = "model: crosstab\ndataset: household-survey-dp\nrows: [sex]\nepsilon: 0.1"

    @Test func aHundredJobsAtOnceAgainstABudgetOfTenReleaseExactlyTen() async throws {
        // ε 1 for the agreement, 0.1 a job: ten fit. Slots and queue large enough that no job is
        // turned away for load: each is admitted or refused for its budget alone.
        let fixture = try ServerTests.Fixture(
            concurrency: 4, queue: 200, policyText: try Fixtures.dpPolicy(dataset: "5", agreement: "1", perJob: "0.1"))
        try await fixture.test(.ahc(.http)) { api in
            let applied = try await api.json(
                .post, "/v1/applications", as: "rita",
                [
                    "datasets": ["household-survey-dp"], "models": ["crosstab"], "purpose": "p", "scenario": "s",
                    "safeguards": "g", "starts": "2020-01-01", "ends": "2099-01-01",
                ])
            let id = try #require(applied.json?["id"] as? String, "\(applied.text)")
            let approved = try await api.json(.post, "/v1/applications/\(id)/approve", as: "olga", [:])
            let agreement = try #require((approved.json?["agreement"] as? [String: Any])?["id"] as? String)

            let answers = try await withThrowingTaskGroup(of: ServerTests.Client.Answer.self) { group in
                // A hundred different questions (the same one would be answered again at no cost).
                for n in 0..<100 {
                    let spec =
                        Self.spec + "\nwhere: [{ column: age, op: \">=\", value: \(16 + n % 70) }, "
                        + "{ column: household_size, op: \"<=\", value: \(8 - n / 70) }]"
                    group.addTask { try await api.call(.post, "/v1/jobs", as: "rita", body: spec) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let statuses = answers.map { $0.json?["status"] as? String ?? "HTTP \($0.status.code)" }
            #expect(
                statuses.filter { $0 == "released" }.count == 10,
                "\(Dictionary(grouping: statuses) { $0 }.mapValues(\.count))")
            #expect(answers.filter { $0.reasonCode == "privacy_budget_exhausted" }.count == 90)
            // What the store holds as spent is exactly ten jobs' ε, for the agreement and the dataset.
            let spent = try fixture.server.store.privacySpent(dataset: "household-survey-dp")
            #expect(spent[""] == MicroEpsilon(micros: 1_000_000) && spent[agreement] == MicroEpsilon(micros: 1_000_000))
            // And the researcher sees it: nothing left of the agreement's ε 1.
            let me = try await api.call(.get, "/v1/me", as: "rita")
            let budgets = me.json?["privacyBudgets"] as? [[String: Any]]
            #expect(budgets?.count == 1 && budgets?.first?["spent"] as? String == "1", "\(me.text)")
            #expect(budgets?.first?["left"] as? String == "0" && budgets?.first?["agreement"] as? String == agreement)
        }
    }

    /// A retried request with the same Idempotency-Key gets the first answer and spends nothing
    /// more; the same key with another spec is refused.
    @Test func anIdempotencyKeyMakesARetryReturnTheFirstAnswer() async throws {
        let fixture = try ServerTests.Fixture(
            policyText: try Fixtures.dpPolicy(dataset: "5", agreement: "1", perJob: "0.5"))
        try await fixture.test { api in
            let applied = try await api.json(
                .post, "/v1/applications", as: "rita",
                [
                    "datasets": ["household-survey-dp"], "models": ["crosstab", "histogram"], "purpose": "p",
                    "scenario": "s", "safeguards": "g", "starts": "2020-01-01", "ends": "2099-01-01",
                ])
            let id = try #require(applied.json?["id"] as? String, "\(applied.text)")
            _ = try await api.json(.post, "/v1/applications/\(id)/approve", as: "olga", [:])
            let key: HTTPFields = [HTTPFields.Element.Name("Idempotency-Key")!: "retry-7f3a"]
            let first = try await api.call(.post, "/v1/jobs", as: "rita", body: Self.spec, headers: key)
            let retry = try await api.call(.post, "/v1/jobs", as: "rita", body: Self.spec, headers: key)
            #expect(first.json?["status"] as? String == "released", "\(first.text)")
            #expect(retry.json?["job"] as? String == first.json?["job"] as? String)
            #expect(retry.json?["result"] as? NSDictionary == first.json?["result"] as? NSDictionary)
            let spent = try fixture.server.store.privacySpent(dataset: "household-survey-dp")
            #expect(spent[""] == MicroEpsilon(text: "0.1"), "\(spent)")
            let other = try await api.call(
                .post, "/v1/jobs", as: "rita",
                body: "model: histogram\ndataset: household-survey-dp\nvariable: age\nbins: 3", headers: key)
            #expect(other.status == .unprocessableContent && other.errorCode == "idempotency_key_reused")
            // A key must be visible ASCII.
            let bad = try await api.call(
                .post, "/v1/jobs", as: "rita", body: Self.spec,
                headers: [HTTPFields.Element.Name("Idempotency-Key")!: "a b"])
            #expect(bad.status == .badRequest && bad.errorCode == "invalid_idempotency_key")
        }
    }
}
