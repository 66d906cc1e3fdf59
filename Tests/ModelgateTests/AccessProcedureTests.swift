import Testing

@testable import ModelgateCore

/// Every state of the procedure against every action, as a table written out by hand: what the
/// measures allow (an owner decides its own datasets once; one refusal refuses; an agreement
/// is suspended, resumed by the body that suspended it, or terminated for good; a withdrawn
/// dataset stays withdrawn).
@Suite struct AccessProcedureTests {
    func application(_ status: Application.Status, decided: [String] = []) -> Application {
        Application(
            id: "app-1", researcher: "r", datasets: ["a", "b"], models: [.summary], purpose: "p", scenario: "s",
            safeguards: "g", starts: "2026-01-01", ends: "2027-01-01", status: status,
            decisions: decided.map { .init(dataset: $0, owner: "o", approved: true, reason: nil, at: "t") },
            submittedAt: "t")
    }

    @Test func everyDecisionOnEveryApplication() {
        // (status, datasets decided before, decision's dataset, approve) → status after, or the error code;
        // and whether an agreement is created.
        let table: [(Application.Status, [String], String, Bool, String, Bool)] = [
            (.pending, [], "a", true, "pending", false),
            (.pending, [], "a", false, "refused", false),
            (.pending, ["a"], "b", true, "approved", true),
            (.pending, ["a"], "b", false, "refused", false),
            (.pending, ["a"], "a", true, "application_decided", false),
            (.pending, [], "c", true, "not_in_application", false),
            (.approved, ["a", "b"], "a", true, "application_decided", false),
            (.approved, ["a", "b"], "c", false, "application_decided", false),
            (.refused, [], "a", true, "application_decided", false),
            (.refused, [], "b", false, "application_decided", false),
        ]
        for (status, decided, dataset, approve, expected, creates) in table {
            let decision = Application.Decision(
                dataset: dataset, owner: "o", approved: approve, reason: approve ? nil : "no", at: "t")
            let before = application(status, decided: decided)
            do {
                let (after, agreement) = try before.deciding(decision, agreementID: "agr-1")
                #expect(after.status.rawValue == expected, "\(status) \(decided) \(dataset) \(approve)")
                #expect((agreement != nil) == creates)
                #expect(after.decisions.count == decided.count + 1)
                if let agreement {
                    #expect(agreement.datasets == ["a", "b"] && agreement.researcher == "r")
                    #expect(agreement.starts == "2026-01-01" && agreement.expires == "2027-01-01")
                    #expect(after.agreement == "agr-1" && agreement.status == .active)
                }
            } catch let error as ModelgateError {
                #expect(error.code.rawValue == expected, "\(status) \(decided) \(dataset) \(approve)")
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }

    @Test func everyChangeOfEveryAgreement() {
        // (status, suspended by, new status, by body) → status after and who holds the brake, or the error code.
        let table: [(Agreement.Status, String?, Agreement.Status, String, String)] = [
            (.active, nil, .active, "X", "active"),
            (.active, nil, .suspended, "X", "suspended by X"),
            (.active, nil, .terminated, "Y", "terminated"),
            (.suspended, "X", .active, "X", "active"),
            (.suspended, "X", .active, "Y", "suspended_by_another_body"),
            (.suspended, "X", .suspended, "Y", "suspended by Y"),
            (.suspended, "X", .terminated, "Y", "terminated"),
            (.terminated, nil, .active, "X", "agreement_terminated"),
            (.terminated, nil, .suspended, "X", "agreement_terminated"),
            (.terminated, nil, .terminated, "X", "agreement_terminated"),
        ]
        for (status, suspender, next, body, expected) in table {
            var agreement = Agreement(
                id: "agr-1", application: "app-1", researcher: "r", datasets: ["a"], models: [.summary], purpose: "p",
                starts: "2026-01-01", expires: "2027-01-01", status: status)
            agreement.suspendedBy = suspender
            do {
                let after = try agreement.changing(to: next, reason: "why", by: body)
                let shown = after.status.rawValue + (after.suspendedBy.map { " by \($0)" } ?? "")
                #expect(shown == expected, "\(status) \(suspender ?? "-") → \(next) by \(body)")
                #expect(after.reason == "why")
            } catch let error as ModelgateError {
                #expect(error.code.rawValue == expected, "\(status) \(suspender ?? "-") → \(next) by \(body)")
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }

    @Test func everyChangeOfEveryDatasetState() throws {
        for from in DatasetState.allCases {
            for to in DatasetState.allCases {
                if from == .withdrawn {
                    #expect(throws: ModelgateError.self) { try from.changing(to: to, dataset: "d") }
                } else {
                    #expect(try from.changing(to: to, dataset: "d") == to)
                }
            }
        }
    }
}
