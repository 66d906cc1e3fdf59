import ModelgateTestSupport
import Testing

@testable import ModelgateCore

/// Every state of the procedure against every action and every role, as tables written out by
/// hand from the measures' rules: a researcher applies; an owner decides the datasets of its
/// body, once, and a refusal gives its reason and refuses the whole application; an agreement is
/// suspended, resumed by the body that suspended it, or terminated for good; a withdrawn dataset
/// stays withdrawn; an auditor reads everything and changes nothing; an admin sees no procedure.
@Suite struct AccessProcedureTests {
    /// Datasets `a` (body A) and `b` (body B); `c` is of body C.
    static let owners = ["a": "A", "b": "B", "c": "C"]
    /// The principals of every table: owners of bodies A, B and C, the applicant, another
    /// researcher, an auditor and an admin.
    static let principals: [String: Principal] = [
        "OA": Principal(name: "oa", role: .owner, body: "A"), "OB": Principal(name: "ob", role: .owner, body: "B"),
        "OC": Principal(name: "oc", role: .owner, body: "C"), "R": Principal(name: "r", role: .researcher),
        "R2": Principal(name: "r2", role: .researcher), "AU": Principal(name: "au", role: .auditor),
        "AD": Principal(name: "ad", role: .admin),
    ]

    /// What the outcome of a step shows in a table: the new state, or the error's code.
    func outcome(_ step: () throws -> String) -> String {
        do { return try step() } catch let error as ModelgateError { return error.code.rawValue } catch {
            return "unexpected \(error)"
        }
    }

    @Test func whoMayTakeWhichAction() {
        // R = researcher, O = owner, AU = auditor, AD = admin.
        let table: [(AccessAction, Set<String>)] = [
            (.readCatalog, ["R", "O", "AU", "AD"]), (.runJob, ["R", "O"]), (.readJobs, ["R", "O", "AU"]),
            (.apply, ["R"]), (.readApplications, ["R", "O", "AU"]), (.decideApplication, ["O"]),
            (.readAgreements, ["R", "O", "AU"]), (.changeAgreement, ["O"]), (.changeDataset, ["O"]),
            (.readAudit, ["AU"]), (.readUsage, ["O", "AU"]), (.reloadPolicies, ["AD"]),
            (.fileDoubt, ["R"]), (.answerDoubt, ["O"]), (.readDoubts, ["R", "O", "AU"]),
        ]
        #expect(Set(table.map(\.0)) == Set(AccessAction.allCases))
        let short: [Role: String] = [.researcher: "R", .owner: "O", .auditor: "AU", .admin: "AD"]
        for (action, allowed) in table {
            for role in Role.allCases {
                #expect(role.may(action) == allowed.contains(short[role]!), "\(role) \(action)")
                let principal = Principal(name: "p", role: role)
                #expect((try? principal.require(action)) != nil || !allowed.contains(short[role]!))
            }
        }
        let refused = #expect(throws: ModelgateError.self) { try Principal(name: "p", role: .auditor).require(.apply) }
        #expect(refused?.code == .forbidden && refused?.message.contains("researcher") == true)
        // Messages name roles with the right article.
        #expect(refused?.message.hasPrefix("an auditor may not apply") == true, "\(refused?.message ?? "")")
        for (role, article) in [(Role.owner, "an owner"), (.admin, "an admin"), (.researcher, "a researcher")] {
            let error = #expect(throws: ModelgateError.self) {
                try Principal(name: "p", role: role).require(.readAudit)
            }
            #expect(error?.message.hasPrefix("\(article) may not") == true, "\(error?.message ?? "")")
        }
    }

    @Test func whoCanBeAPrincipal() {
        let table: [(String, Role, String?, String)] = [
            ("olga", .owner, "statistics-bureau", "ok"), ("olga", .owner, nil, "invalid_principal"),
            ("olga", .owner, "", "invalid_principal"), ("rita", .researcher, "statistics-bureau", "invalid_principal"),
            ("rita.k@unit-2_b", .researcher, nil, "ok"), ("", .auditor, nil, "invalid_principal"),
            ("a b", .admin, nil, "invalid_principal"), ("a/b", .admin, nil, "invalid_principal"),
            ("研究员", .researcher, nil, "ok"),
        ]
        for (name, role, body, expected) in table {
            #expect(
                outcome {
                    _ = try Principal(checking: name, role: role, body: body); return "ok"
                } == expected, "\(name)")
        }
    }

    @Test func applying() {
        let (starts, ends) = ("2026-01-01T00:00:00.000Z", "2027-01-01T00:00:00.000Z")
        func apply(_ who: String, _ datasets: [String], purpose: String = "p", ends: String = ends) -> String {
            outcome {
                let (application, record) = try Application.submitted(
                    id: "app-1", by: Self.principals[who]!, datasets: datasets, models: [.summary], purpose: purpose,
                    scenario: "s", safeguards: "g", starts: starts, ends: ends, at: "t", owners: Self.owners)
                #expect(
                    record.kind == .applicationSubmitted
                        && record.dataset == application.datasets.joined(separator: ","))
                return "\(application.status.rawValue) \(application.researcher) \(application.datasets)"
            }
        }
        #expect(apply("R", ["b", "a", "b"]) == #"pending r ["a", "b"]"#)
        #expect(apply("R", []) == "invalid_body")
        #expect(apply("R", ["a"], purpose: " \n") == "invalid_body")
        #expect(apply("R", ["a"], ends: starts) == "invalid_body")
        #expect(apply("R", ["a", "z"]) == "unknown_dataset")
        for who in ["OA", "AU", "AD"] { #expect(apply(who, ["a"]) == "forbidden", "\(who)") }
    }

    func application(_ state: String) -> Application {
        let decided: [String] = ["pending·a": ["a"], "approved": ["a", "b"], "refused": ["a"]][state] ?? []
        let status: Application.Status = ["approved": .approved, "refused": .refused][state] ?? .pending
        return Application(
            id: "app-1", researcher: "r", datasets: ["a", "b"], models: [.summary], purpose: "p", scenario: "s",
            safeguards: "g", starts: "2026-01-01", ends: "2027-01-01", status: status,
            decisions: decided.map {
                .init(dataset: $0, owner: "o", approved: state != "refused", reason: nil, at: "t")
            },
            submittedAt: "t")
    }

    @Test func everyDecisionOnEveryApplicationByEveryone() {
        // Per principal, per state (pending, pending with `a` approved, approved, refused), the
        // outcome of: approve its datasets, approve a, approve b, refuse its datasets (with a reason).
        let states = ["pending", "pending·a", "approved", "refused"]
        let forbidden = Array(repeating: "forbidden forbidden forbidden forbidden", count: 4)
        let decided = "application_decided application_decided application_decided application_decided"
        let table: [String: [String]] = [
            "OA": [
                "pending pending forbidden refused",
                "application_decided application_decided forbidden application_decided", decided, decided,
            ],
            "OB": [
                "pending forbidden pending refused", "approved forbidden approved refused", decided, decided,
            ],
            "OC": forbidden, "R": forbidden, "R2": forbidden, "AU": forbidden, "AD": forbidden,
        ]
        #expect(Set(table.keys) == Set(Self.principals.keys))
        for (who, rows) in table {
            for (state, row) in zip(states, rows) {
                let actions: [(Bool, String?)] = [(true, nil), (true, "a"), (true, "b"), (false, nil)]
                let got = actions.map { approve, dataset in
                    outcome {
                        let decided = try application(state).deciding(
                            approve: approve, dataset: dataset, reason: approve ? nil : "no",
                            by: Self.principals[who]!, owners: Self.owners, at: "t", agreementID: "agr-1")
                        // Each decision is recorded, and the agreement when one is made.
                        let kinds = decided.records.map(\.kind)
                        let made = decided.agreement != nil
                        #expect(made == (decided.application.status == .approved))
                        #expect(kinds.last == (made ? .agreementCreated : .applicationDecided))
                        #expect(kinds.filter { $0 == .applicationDecided }.count == 1)
                        return decided.application.status.rawValue
                    }
                }
                #expect(got.joined(separator: " ") == row, "\(who) on \(state)")
            }
        }
    }

    @Test func aRefusalGivesItsReasonAndAnOwnerOfEveryDatasetDecidesAllAtOnce() throws {
        let owner = Self.principals["OA"]!
        for reason in [nil, "", "  \n"] {
            #expect(
                outcome {
                    try application("pending").deciding(
                        approve: false, dataset: nil, reason: reason, by: owner, owners: Self.owners, at: "t",
                        agreementID: "agr-1"
                    ).application.status.rawValue
                } == "reason_required")
        }
        // White space is trimmed scalar by scalar: a combining mark after a space is kept.
        #expect(Application.trimmed(" \n ok \u{301}\t") == "ok \u{301}" && Application.trimmed(" \u{3000} ").isEmpty)
        // Body A owns both datasets: one approval decides both and makes the agreement.
        let both = ["a": "A", "b": "A"]
        let approved = try application("pending").deciding(
            approve: true, dataset: nil, reason: nil, by: owner, owners: both, at: "t", agreementID: "agr-9")
        #expect(approved.application.decisions.map(\.dataset) == ["a", "b"] && approved.agreement?.id == "agr-9")
        #expect(approved.records.map(\.kind) == [.applicationDecided, .applicationDecided, .agreementCreated])
        let agreement = try #require(approved.agreement)
        #expect(agreement.datasets == ["a", "b"] && agreement.researcher == "r" && agreement.status == .active)
        #expect(agreement.starts == "2026-01-01" && agreement.expires == "2027-01-01")
        // A refusal stops at the first dataset: the application is refused, nothing more decided.
        let refused = try application("pending").deciding(
            approve: false, dataset: nil, reason: " vague ", by: owner, owners: both, at: "t", agreementID: "x")
        #expect(refused.application.status == .refused && refused.application.decisions.count == 1)
        #expect(refused.application.decisions[0].reason == "vague" && refused.agreement == nil)
    }

    @Test func everyChangeOfEveryAgreementByEveryone() {
        // Per principal, per state (active, suspended by A, suspended by B, terminated), the
        // outcome of suspend, resume and terminate: the status after (·body holding the brake).
        let states: [(Agreement.Status, String?)] = [
            (.active, nil), (.suspended, "A"), (.suspended, "B"), (.terminated, nil),
        ]
        let forbidden = Array(repeating: "forbidden forbidden forbidden", count: 4)
        let ended = "agreement_terminated agreement_terminated agreement_terminated"
        let table: [String: [String]] = [
            "OA": [
                "suspended·A unchanged terminated", "unchanged active terminated",
                "unchanged suspended_by_another_body terminated", ended,
            ],
            "OB": [
                "suspended·B unchanged terminated", "unchanged suspended_by_another_body terminated",
                "unchanged active terminated", ended,
            ],
            "OC": forbidden, "R": forbidden, "R2": forbidden, "AU": forbidden, "AD": forbidden,
        ]
        #expect(Set(table.keys) == Set(Self.principals.keys))
        for (who, rows) in table {
            for ((status, suspender), row) in zip(states, rows) {
                var agreement = Agreement(
                    id: "agr-1", application: "app-1", researcher: "r", datasets: ["a", "b"], models: [.summary],
                    purpose: "p", starts: "2026-01-01", expires: "2027-01-01", status: status)
                agreement.suspendedBy = suspender
                let got = [Agreement.Status.suspended, .active, .terminated].map { next in
                    outcome {
                        let (after, record) = try agreement.changing(
                            to: next, reason: "why", by: Self.principals[who]!, owners: Self.owners)
                        #expect(record.kind == .agreementChanged && record.dataset == "a,b" && after.reason == "why")
                        return after.status.rawValue + (after.suspendedBy.map { "·\($0)" } ?? "")
                    }
                }
                #expect(got.joined(separator: " ") == row, "\(who) on \(status) \(suspender ?? "")")
            }
        }
        let active = Agreement(
            id: "agr-1", application: "app-1", researcher: "r", datasets: ["a"], models: [.summary], purpose: "p",
            starts: "2026-01-01", expires: "2027-01-01")
        #expect(
            outcome {
                try active.changing(to: .suspended, reason: " ", by: Self.principals["OA"]!, owners: Self.owners)
                    .0.status.rawValue
            } == "reason_required")
    }

    @Test func everyChangeOfEveryDatasetStateByEveryone() {
        // Dataset `a` (body A). Per principal, per state (open, suspended, withdrawn), the outcome of
        // suspend, resume and withdraw.
        let forbidden = Array(repeating: "forbidden forbidden forbidden", count: 3)
        let table: [String: [String]] = [
            // Setting the state a dataset is in is refused: it would record a change that did
            // not happen.
            "OA": [
                "suspended unchanged withdrawn", "unchanged open withdrawn",
                "dataset_withdrawn dataset_withdrawn dataset_withdrawn",
            ],
            "OB": forbidden, "OC": forbidden, "R": forbidden, "R2": forbidden, "AU": forbidden, "AD": forbidden,
        ]
        #expect(Set(table.keys) == Set(Self.principals.keys))
        for (who, rows) in table {
            for (state, row) in zip(DatasetState.allCases, rows) {
                let got = [DatasetState.suspended, .open, .withdrawn].map { next in
                    outcome {
                        let (after, reason, record) = try state.changing(
                            to: next, dataset: "a", owner: "A", reason: " why ", by: Self.principals[who]!)
                        #expect(reason == "why" && record.kind == .datasetStateChanged && record.dataset == "a")
                        return after.rawValue
                    }
                }
                #expect(got.joined(separator: " ") == row, "\(who) on \(state)")
            }
        }
        #expect(
            outcome {
                try DatasetState.open.changing(
                    to: .suspended, dataset: "a", owner: "A", reason: nil, by: Self.principals["OA"]!
                )
                .0.rawValue
            } == "reason_required")
    }

    @Test func whoReadsWhichApplicationOrAgreement() {
        // An application of researcher r over a dataset; whether each principal may read it.
        let table: [(String, [String], Set<String>)] = [
            ("r", ["a"], ["R", "OA", "AU"]), ("r", ["a", "b"], ["R", "OA", "OB", "AU"]),
            ("r2", ["c"], ["R2", "OC", "AU"]), ("r", ["z"], ["R", "AU"]),
        ]
        for (researcher, datasets, readers) in table {
            for (who, principal) in Self.principals {
                #expect(
                    principal.mayRead(researcher: researcher, datasets: datasets, owners: Self.owners)
                        == readers.contains(who), "\(who) reading \(researcher)'s \(datasets)")
            }
        }
    }
}
