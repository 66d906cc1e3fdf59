import ModelgateTestSupport
import Testing

@testable import ModelgateCore

/// An owner approves with conditions: fewer of its datasets (the others dropped, not refused),
/// fewer models, an earlier end. The agreement covers what every approval leaves, worked out here
/// by hand for each case.
@Suite struct ConditionalApprovalTests {
    let ownerA = Principal(name: "oa", role: .owner, body: "A")
    let ownerB = Principal(name: "ob", role: .owner, body: "B")
    /// `a1` and `a2` are body A's, `b` body B's.
    let owners = ["a1": "A", "a2": "A", "b": "B"]

    /// When the decisions are taken: after the period starts, before it ends.
    static let now = "2026-03-01T00:00:00.000Z"

    func application() -> Application {
        Application(
            id: "app-1", researcher: "r", datasets: ["a1", "a2", "b"], models: [.summary, .crosstab, .histogram],
            purpose: "p", scenario: "s", safeguards: "g", starts: "2026-01-01T00:00:00.000Z",
            ends: "2027-01-01T00:00:00.000Z", submittedAt: "t")
    }

    @Test func bothOwnersConditionsBindTheAgreement() throws {
        let afterA = try application().deciding(
            approve: true, dataset: nil, reason: "a2 holds names", by: ownerA, owners: owners, at: Self.now,
            agreementID: "agr-1", conditions: .init(models: [.summary, .crosstab]), only: ["a1"])
        #expect(afterA.application.status == .pending && afterA.agreement == nil)
        let a2 = try #require(afterA.application.decisions.first { $0.dataset == "a2" })
        #expect(a2.dropped == true && !a2.approved)
        let afterB = try afterA.application.deciding(
            approve: true, dataset: nil, reason: "a shorter study", by: ownerB, owners: owners, at: Self.now,
            agreementID: "agr-1",
            conditions: .init(models: [.crosstab, .histogram], ends: "2026-07-01T00:00:00.000Z"))
        let agreement = try #require(afterB.agreement)
        // a2 dropped; models asked ∩ {summary, crosstab} ∩ {crosstab, histogram}; the earliest end.
        #expect(agreement.datasets == ["a1", "b"])
        #expect(agreement.models == [.crosstab])
        #expect(agreement.expires == "2026-07-01T00:00:00.000Z" && agreement.starts == "2026-01-01T00:00:00.000Z")
        #expect(afterB.application.status == .approved)
    }

    @Test func conditionsThatDoNotNarrowOrHaveNoReasonAreRefused() {
        func code(
            _ conditions: Application.Conditions?, only: [String]? = nil, reason: String? = "why", approve: Bool = true
        )
            -> String
        {
            do {
                _ = try application().deciding(
                    approve: approve, dataset: nil, reason: reason, by: ownerA, owners: owners, at: Self.now,
                    agreementID: "agr", conditions: conditions, only: only)
                return "ok"
            } catch let error as ModelgateError { return error.code.rawValue } catch { return "\(error)" }
        }
        #expect(code(.init(models: [.logisticRegression])) == "invalid_body")  // not asked for
        #expect(code(.init(models: [])) == "invalid_body")
        #expect(code(.init(ends: "2028-01-01T00:00:00.000Z")) == "invalid_body")  // later, not sooner
        #expect(code(.init(ends: "2025-01-01T00:00:00.000Z")) == "invalid_body")  // before it starts
        #expect(code(.init(ends: "2026-02-01T00:00:00.000Z")) == "invalid_body")  // already past
        #expect(code(nil, only: ["b"]) == "invalid_body")  // another body's dataset
        #expect(code(nil, only: []) == "invalid_body")
        #expect(code(.init(models: [.summary]), reason: nil) == "reason_required")
        #expect(code(.init(models: [.summary]), approve: false) == "invalid_body")
        #expect(code(.init(models: [.summary]), only: ["a2"]) == "ok")
    }

    @Test func approvingSomeOfItsDatasetsDropsTheOthers() throws {
        let single = Application(
            id: "app-2", researcher: "r", datasets: ["a1", "a2"], models: [.summary], purpose: "p", scenario: "s",
            safeguards: "g", starts: "2026-01-01T00:00:00.000Z", ends: "2027-01-01T00:00:00.000Z", submittedAt: "t")
        let onlyA1 = try single.deciding(
            approve: true, dataset: nil, reason: "one is enough", by: ownerA, owners: owners, at: Self.now,
            agreementID: "agr-2", only: ["a1"])
        #expect(onlyA1.agreement?.datasets == ["a1"])
    }

    /// Two owners whose allowed models have none in common: the second approval is refused with
    /// what the first allowed, and nothing is decided by it.
    @Test func approvalsWithNoModelInCommonAreRefusedWithTheModelsLeft() throws {
        let afterA = try application().deciding(
            approve: true, dataset: nil, reason: "summaries only", by: ownerA, owners: owners, at: Self.now,
            agreementID: "agr", conditions: .init(models: [.summary]))
        let error = #expect(throws: ModelgateError.self) {
            try afterA.application.deciding(
                approve: true, dataset: nil, reason: "tables only", by: ownerB, owners: owners, at: Self.now,
                agreementID: "agr", conditions: .init(models: [.crosstab]))
        }
        #expect(error?.code == .invalidBody && error?.message.contains("(summary)") == true, "\(error?.message ?? "")")
    }
}
