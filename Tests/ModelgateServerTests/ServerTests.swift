import Foundation
import Hummingbird
import HummingbirdTesting
import ModelgateColumnar
import ModelgateCore
import ModelgateSandbox
import ModelgateStore
import ModelgateTestSupport
import Testing

@testable import ModelgateGateway
@testable import ModelgateServer

/// The HTTP API, through Hummingbird's router test client (no port): who may call what, the
/// application → agreement → job → suspension path, every refusal code, and the error statuses.
@Suite struct ServerTests {
    /// A gateway on a small demo dataset, with one principal per role (and a second researcher
    /// and an owner of another body), and the tokens to reach it.
    final class Fixture: Sendable {
        let folder: TemporaryFolder
        let server: APIServer
        let tokens: [String: String]

        /// With `policyText`, the dataset is ingested under that policy and no policies folder is read.
        init(concurrency: Int = 2, queue: Int = 4, worker: Worker? = nil, policyText: String? = nil) throws {
            folder = try TemporaryFolder()
            let policies = Fixtures.repository.appendingPathComponent("policies")
            let policy =
                try policyText
                ?? String(contentsOf: policies.appendingPathComponent("household-survey.yaml"), encoding: .utf8)
            _ = try DemoDataset.prepare(rows: 3000, policyText: policy, state: folder.url)
            server = try APIServer(
                state: folder.url, policies: policyText == nil ? policies : nil, worker: worker,
                concurrency: concurrency, queue: queue)
            _ = try server.start()
            var tokens: [String: String] = [:]
            for (name, role, body) in [
                ("rita", Role.researcher, nil), ("rob", .researcher, nil), ("olga", .owner, "statistics-bureau"),
                ("otto", .owner, "health-commission"), ("aude", .auditor, nil), ("adam", .admin, nil),
            ] as [(String, Role, String?)] {
                let (token, stored) = Tokens.make()
                try server.store.addPrincipal(Principal(name: name, role: role, body: body), token: stored, by: "test")
                tokens[name] = token
            }
            self.tokens = tokens
        }

        /// A second gateway on the same state folder and store, with the same principals.
        init(sharing other: Fixture) throws {
            folder = other.folder
            server = try APIServer(
                state: other.folder.url, policies: Fixtures.repository.appendingPathComponent("policies"))
            _ = try server.start()
            tokens = other.tokens
        }

        func another() throws -> Fixture { try Fixture(sharing: self) }

        /// The procedure as the server runs it, for steps a test takes without HTTP.
        var workflow: AccessWorkflow {
            AccessWorkflow(catalog: Catalog(datasets: DatasetStore(state: folder.url), store: server.store))
        }

        /// Requests through the router (`.router`), or over real HTTP connections on a port, many at
        /// once (`.ahc(.http)`, AsyncHTTPClient).
        func test<T: Sendable>(_ setup: TestingSetup = .router, _ body: @Sendable (Client) async throws -> T)
            async throws -> T
        {
            let app = Application(router: server.router())
            return try await app.test(setup) { client in try await body(Client(client: client, tokens: tokens)) }
        }
    }

    /// Requests as a named principal; answers as status and JSON.
    struct Client: Sendable {
        let client: any TestClientProtocol
        let tokens: [String: String]

        struct Answer: Sendable {
            var status: HTTPResponse.Status
            var text: String
            var headers: HTTPFields
            var json: [String: Any]? {
                (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
            }
            var errorCode: String? { (json?["error"] as? [String: Any])?["code"] as? String }
            /// A result document's `reason.code`.
            var reasonCode: String? { (json?["reason"] as? [String: Any])?["code"] as? String }
        }

        func call(
            _ method: HTTPRequest.Method, _ uri: String, as who: String? = nil, body: String? = nil,
            bytes: [UInt8]? = nil, headers extra: HTTPFields = [:]
        ) async throws -> Answer {
            var headers = extra
            if let who { headers[.authorization] = "Bearer \(tokens[who] ?? who)" }
            let buffer = bytes.map { ByteBuffer(bytes: $0) } ?? body.map { ByteBuffer(string: $0) }
            return try await client.execute(uri: uri, method: method, headers: headers, body: buffer) { response in
                Answer(status: response.status, text: String(buffer: response.body), headers: response.headers)
            }
        }

        /// GET of `who`'s job `job` until its status is no longer queued or running (10 s at
        /// most); every status seen on the way, and the last answer.
        func follow(_ job: String, as who: String) async throws -> (seen: Set<String>, last: Answer) {
            var seen: Set<String> = []
            var last = try await call(.get, "/v1/jobs/\(job)", as: who)
            for _ in 0..<200 {
                let status = last.json?["status"] as? String ?? "HTTP \(last.status)"
                seen.insert(status)
                guard ["queued", "running"].contains(status) else { break }
                try await Task.sleep(for: .milliseconds(50))
                last = try await call(.get, "/v1/jobs/\(job)", as: who)
            }
            return (seen, last)
        }

        func json(_ method: HTTPRequest.Method, _ uri: String, as who: String, _ object: [String: Any]) async throws
            -> Answer
        {
            let body = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
            return try await call(method, uri, as: who, body: body, headers: [.contentType: "application/json"])
        }

        /// Rita applies for summaries of the survey in 2026, and nobody has decided yet.
        func applyForSummaries() async throws -> Answer {
            try await json(
                .post, "/v1/applications", as: "rita",
                [
                    "datasets": ["household-survey"], "models": ["summary"], "purpose": "p", "scenario": "s",
                    "safeguards": "g", "starts": "2026-01-01", "ends": "2027-01-01",
                ])
        }

        /// Rita applies for the survey; Olga approves; returns the agreement id.
        func agreement(for who: String = "rita", models: [String] = ["crosstab", "summary"]) async throws -> String {
            let applied = try await json(
                .post, "/v1/applications", as: who,
                [
                    "datasets": ["household-survey"], "models": models, "purpose": "income study",
                    "scenario": "paper", "safeguards": "results only", "starts": "2020-01-01", "ends": "2099-01-01",
                ])
            let id = try #require(applied.json?["id"] as? String, "\(applied.text)")
            let approved = try await json(.post, "/v1/applications/\(id)/approve", as: "olga", [:])
            let agreement = (approved.json?["agreement"] as? [String: Any])?["id"] as? String
            return try #require(agreement, "\(approved.text)")
        }
    }

    static let spec = "model: crosstab\ndataset: household-survey\nrows: [district]\ncolumns: [sex]"

    @Test func theWholePathFromApplicationToSuspension() async throws {
        let fixture = try Fixture()
        try await fixture.test { api in
            // No agreement yet: refused with the code that says so, and recorded.
            let before = try await api.call(.post, "/v1/jobs", as: "rita", body: Self.spec)
            #expect(before.status == .ok && before.json?["status"] as? String == "refused")
            #expect(before.reasonCode == "no_agreement")

            let agreement = try await api.agreement()
            let released = try await api.call(.post, "/v1/jobs", as: "rita", body: Self.spec)
            #expect(released.json?["status"] as? String == "released", "\(released.text)")
            let receipt = try #require(released.json?["receipt"] as? [String: Any])
            #expect(receipt["index"] is Int)

            // Her own jobs, listed and fetched again; not someone else's.
            let listed = try await api.call(.get, "/v1/jobs", as: "rita")
            let jobs = try #require(listed.json?["jobs"] as? [[String: Any]])
            #expect(jobs.count == 2)
            let job = try #require(released.json?["job"] as? String)
            let fetched = try await api.call(.get, "/v1/jobs/\(job)", as: "rita")
            #expect(fetched.json?["status"] as? String == "released")
            // Fetched again, the same document in the same style as the answer to the POST; every
            // answer is pretty-printed with its keys sorted.
            #expect(fetched.text == released.text && released.text.hasPrefix("{\n  \""), "\(released.text.prefix(40))")
            #expect(listed.text.hasPrefix("{\n  \"jobs\" : ["), "\(listed.text.prefix(40))")
            #expect(try await api.call(.get, "/v1/jobs/\(job)", as: "rob").status == .notFound)
            #expect(try await api.call(.get, "/v1/jobs/\(job)", as: "aude").status == .ok)

            // A model the agreement does not name.
            let histogram = "model: histogram\ndataset: household-survey\nvariable: age\nbins: 5"
            let outside = try await api.call(.post, "/v1/jobs", as: "rita", body: histogram)
            #expect(outside.reasonCode == "model_not_in_agreement")

            // The owner pulls the brakes: the agreement, then the whole dataset.
            let suspend = try await api.json(
                .post, "/v1/agreements/\(agreement)/suspend", as: "olga", ["reason": "misuse"])
            #expect(suspend.status == .ok)
            let suspended = try await api.call(.post, "/v1/jobs", as: "rita", body: Self.spec)
            #expect(suspended.reasonCode == "agreement_suspended")
            _ = try await api.json(.post, "/v1/agreements/\(agreement)/resume", as: "olga", ["reason": "cleared"])
            #expect(
                try await api.call(.post, "/v1/jobs", as: "rita", body: Self.spec).json?["status"] as? String
                    == "released")

            let objection = try await api.json(
                .post, "/v1/datasets/household-survey/suspend", as: "olga", ["reason": "a resident objected"])
            #expect(objection.status == .ok)
            let blocked = try await api.call(.post, "/v1/jobs", as: "rita", body: Self.spec)
            #expect(blocked.reasonCode == "dataset_suspended")
            #expect(!blocked.text.contains("a resident objected"), "\(blocked.text)")
            let catalog = try await api.call(.get, "/v1/datasets/household-survey", as: "rita")
            #expect(catalog.json?["state"] as? String == "suspended")
            // Why is for the owner and auditors: the reason may name whoever objected.
            #expect(catalog.json?["stateReason"] == nil, "\(catalog.text)")
            let catalogList = try await api.call(.get, "/v1/datasets", as: "rita")
            #expect(!catalogList.text.contains("a resident objected"))
            for reader in ["olga", "aude"] {
                let seen = try await api.call(.get, "/v1/datasets/household-survey", as: reader)
                #expect(seen.json?["stateReason"] as? String == "a resident objected", "\(reader)")
            }
            // Suspending it again changes nothing and says so; no event is recorded.
            let again = try await api.json(
                .post, "/v1/datasets/household-survey/suspend", as: "olga", ["reason": "again"])
            #expect(again.status == .conflict && again.errorCode == "unchanged", "\(again.text)")

            _ = try await api.json(.post, "/v1/datasets/household-survey/resume", as: "olga", ["reason": "resolved"])
            _ = try await api.json(
                .post, "/v1/agreements/\(agreement)/terminate", as: "olga", ["reason": "ended early"])
            let ended = try await api.call(.post, "/v1/jobs", as: "rita", body: Self.spec)
            #expect(ended.reasonCode == "agreement_terminated")

            // Every step is in the audit log, and the chain holds.
            let verify = try await api.call(.get, "/v1/audit/verify", as: "aude")
            #expect(verify.json?["intact"] as? Bool == true)
            let events = try await api.call(.get, "/v1/audit/events?limit=1000", as: "aude")
            let kinds = Set(((events.json?["events"] as? [[String: Any]]) ?? []).compactMap { $0["kind"] as? String })
            for kind in [
                "application_submitted", "application_decided", "agreement_created", "agreement_changed",
                "dataset_state_changed", "job_admitted", "job_finished", "job_refused", "principal_added",
            ] { #expect(kinds.contains(kind), "no \(kind) event") }
        }
    }

    @Test func anExpiredOrNotYetStartedAgreementRefuses() async throws {
        let fixture = try Fixture()
        let workflow = fixture.workflow
        let rob = Principal(name: "rob", role: .researcher)
        let olga = Principal(name: "olga", role: .owner, body: "statistics-bureau")
        func agree(_ starts: String, _ ends: String) throws {
            let application = try workflow.apply(
                .init(
                    datasets: ["household-survey"], models: [.crosstab], purpose: "p", scenario: "s", safeguards: "g",
                    starts: starts, ends: ends), by: rob)
            _ = try workflow.decide(application.id, approve: true, dataset: nil, reason: nil, by: olga)
        }
        try agree("2020-01-01", "2021-01-01")
        try await fixture.test { api in
            let expired = try await api.call(.post, "/v1/jobs", as: "rob", body: Self.spec)
            #expect(expired.reasonCode == "agreement_expired")
        }
        try agree("2098-01-01", "2099-01-01")
        try await fixture.test { api in
            let early = try await api.call(.post, "/v1/jobs", as: "rob", body: Self.spec)
            #expect(early.reasonCode == "agreement_not_started")
        }
    }

    @Test func aRefusalWithoutAReasonIsRejectedAndOneWithARefusesTheApplication() async throws {
        let fixture = try Fixture()
        try await fixture.test { api in
            let applied = try await api.applyForSummaries()
            #expect(applied.status == .created)
            let id = try #require(applied.json?["id"] as? String)
            let bare = try await api.json(.post, "/v1/applications/\(id)/refuse", as: "olga", [:])
            #expect(bare.status == .badRequest && bare.errorCode == "reason_required")
            // Another body's owner may not decide it.
            #expect(try await api.json(.post, "/v1/applications/\(id)/approve", as: "otto", [:]).status == .forbidden)
            let refused = try await api.json(
                .post, "/v1/applications/\(id)/refuse", as: "olga", ["reason": "purpose too vague"])
            #expect((refused.json?["application"] as? [String: Any])?["status"] as? String == "refused")
            #expect(refused.json?["agreement"] == nil)
            // Decided is decided.
            #expect(try await api.json(.post, "/v1/applications/\(id)/approve", as: "olga", [:]).status == .conflict)
        }
    }

    @Test func errorStatusesSayWhatIsWrong() async throws {
        let fixture = try Fixture()
        try await fixture.test { api in
            #expect(try await api.call(.get, "/v1/datasets").status == .unauthorized)
            let bad = try await api.call(
                .get, "/v1/datasets", as: "mg_000000000000_" + String(repeating: "0", count: 64))
            #expect(bad.status == .unauthorized && bad.errorCode == "unauthorized")
            #expect(try await api.call(.get, "/v1/datasets", as: "not-a-token").status == .unauthorized)
            #expect(try await api.call(.get, "/v1/datasets/nowhere", as: "rita").status == .notFound)
            #expect(try await api.call(.get, "/v1/audit/verify", as: "rita").status == .forbidden)

            // Malformed specs: 400 naming what is wrong.
            let yaml = try await api.call(.post, "/v1/jobs", as: "rita", body: "model: [crosstab\n")
            #expect(yaml.status == .badRequest && yaml.errorCode == "invalid_spec")
            let key = try await api.call(
                .post, "/v1/jobs", as: "rita",
                body: #"{"model": "crosstab", "dataset": "household-survey", "rowz": ["x"]}"#,
                headers: [.contentType: "application/json"])
            #expect(key.status == .badRequest && key.text.contains("rowz"), "\(key.text)")
            let unknown = try await api.call(
                .post, "/v1/jobs", as: "rita", body: "model: summary\ndataset: nowhere\nvariables: [x]")
            #expect(unknown.status == .notFound && unknown.errorCode == "unknown_dataset")
            // A malformed application names the key.
            let application = try await api.json(
                .post, "/v1/applications", as: "rita", ["datasets": ["household-survey"]])
            #expect(application.status == .badRequest && application.text.contains("models"), "\(application.text)")
            // An unknown model is named as the jobs endpoint names it, not in the decoder's words.
            let model = try await api.json(
                .post, "/v1/applications", as: "rita",
                [
                    "datasets": ["household-survey"], "models": ["crosstab", "regression"], "purpose": "p",
                    "scenario": "s", "safeguards": "g", "starts": "2026-01-01", "ends": "2027-01-01",
                ])
            #expect(model.status == .badRequest && model.errorCode == "unknown_model", "\(model.text)")
            #expect(
                model.text.contains("unknown model 'regression'; the built-in models are summary, crosstab")
                    && !model.text.contains("Cannot initialize"), "\(model.text)")
            // A period that ends before it starts, dressed so that its text sorts the other way
            // (the start is in the year 10000): refused, not an agreement that never starts.
            let backwards = try await api.json(
                .post, "/v1/applications", as: "rita",
                [
                    "datasets": ["household-survey"], "models": ["summary"], "purpose": "p", "scenario": "s",
                    "safeguards": "g", "starts": "9999-12-31T23:00:00-05:00", "ends": "2027-01-01",
                ])
            #expect(backwards.status == .badRequest && backwards.errorCode == "invalid_body", "\(backwards.text)")

            // Too large: 413.
            let huge =
                "model: summary\ndataset: household-survey\nvariables: [income]\n#"
                + String(repeating: "x", count: 70_000)
            let large = try await api.call(.post, "/v1/jobs", as: "rita", body: huge)
            #expect(large.status == .contentTooLarge && large.errorCode == "body_too_large")

            // Every error has the same shape.
            for answer in [bad, yaml, unknown, large] {
                let error = answer.json?["error"] as? [String: Any]
                #expect(error?["code"] is String && error?["message"] is String, "\(answer.text)")
            }
        }
    }

    /// Every route, called by every role: the roles it does not name get 403, the others get
    /// through to the route (whatever it then answers).
    @Test func everyRouteRefusesEveryRoleItShould() async throws {
        let fixture = try Fixture()
        try await fixture.test { api in
            let agreement = try await api.agreement()
            let applied = try await api.applyForSummaries()
            let application = try #require(applied.json?["id"] as? String)
            let job = try #require(
                try await api.call(.post, "/v1/jobs", as: "rita", body: Self.spec).json?["job"] as? String)
            let reason = #"{"reason": "test"}"#
            let doubtBody = #"{"dataset": "household-survey", "description": "test"}"#
            let doubt = try #require(
                try await api.call(.post, "/v1/doubts", as: "rita", body: doubtBody).json?["id"] as? String)
            let routes: [(HTTPRequest.Method, String, String?, Set<String>)] = [
                (.get, "/v1/me", nil, ["rita", "olga", "aude", "adam"]),
                (.post, "/v1/doubts", doubtBody, ["rita"]),
                (.get, "/v1/doubts", nil, ["rita", "olga", "aude"]),
                (.get, "/v1/doubts/\(doubt)", nil, ["rita", "olga", "aude"]),
                (.post, "/v1/doubts/\(doubt)/answer", #"{"confirmed": false, "reason": "test"}"#, ["olga"]),
                (.get, "/v1/datasets", nil, ["rita", "olga", "aude", "adam"]),
                (.get, "/v1/datasets/household-survey", nil, ["rita", "olga", "aude", "adam"]),
                (.post, "/v1/jobs", Self.spec, ["rita", "olga"]),
                (.post, "/v1/jobs/preview", Self.spec, ["rita", "olga"]),
                (.get, "/v1/jobs", nil, ["rita", "olga", "aude"]),
                (.get, "/v1/jobs/\(job)", nil, ["rita", "olga", "aude"]),
                (.post, "/v1/applications", #"{"datasets": []}"#, ["rita"]),
                (.get, "/v1/applications", nil, ["rita", "olga", "aude"]),
                (.get, "/v1/applications/\(application)", nil, ["rita", "olga", "aude"]),
                (.post, "/v1/applications/\(application)/approve", "{}", ["olga"]),
                (.post, "/v1/applications/\(application)/refuse", reason, ["olga"]),
                (.get, "/v1/agreements", nil, ["rita", "olga", "aude"]),
                (.get, "/v1/agreements/\(agreement)", nil, ["rita", "olga", "aude"]),
                (.post, "/v1/agreements/\(agreement)/suspend", reason, ["olga"]),
                (.post, "/v1/agreements/\(agreement)/resume", reason, ["olga"]),
                (
                    .post, "/v1/agreements/\(agreement)/privacy",
                    #"{"dataset": "household-survey", "epsilon": "1", "reason": "test"}"#, ["olga"]
                ),
                (.get, "/v1/datasets/household-survey/privacy", nil, ["aude", "olga"]),
                (.post, "/v1/agreements/\(agreement)/terminate", reason, ["olga"]),
                (.post, "/v1/datasets/household-survey/suspend", reason, ["olga"]),
                (.post, "/v1/datasets/household-survey/resume", reason, ["olga"]),
                (.post, "/v1/receipts/verify", "{}", ["rita", "olga", "aude", "adam"]),
                (.get, "/v1/audit/events", nil, ["aude"]),
                (.get, "/v1/audit/verify", nil, ["aude"]),
                (.get, "/v1/usage/report?dataset=household-survey", nil, ["aude", "olga"]),
                (.post, "/v1/policies/reload", nil, ["adam"]),
                (.post, "/v1/datasets/household-survey/withdraw", reason, ["olga"]),
            ]
            #expect(Set(routes.map { "\($0.0.rawValue) \(Self.template($0.1))" }) == Self.documentedV1)
            for (method, uri, body, allowed) in routes {
                for who in ["rita", "olga", "aude", "adam"] {
                    let answer = try await api.call(method, uri, as: who, body: body)
                    if allowed.contains(who) {
                        #expect(
                            answer.status != .forbidden && answer.status != .unauthorized,
                            "\(who) \(method) \(uri): \(answer.text)")
                    } else {
                        #expect(answer.status == .forbidden, "\(who) \(method) \(uri) answered \(answer.status)")
                    }
                }
                // An owner of another body is refused whatever it owns elsewhere.
                if allowed == ["olga"] {
                    #expect(try await api.call(method, uri, as: "otto", body: body).status == .forbidden, "otto \(uri)")
                }
            }
        }
    }

    /// A route's path with its ids replaced by the placeholders of `openapi.yaml`.
    static func template(_ uri: String) -> String {
        let path = uri.split(separator: "?")[0]
        let parts = path.split(separator: "/").map(String.init)
        return "/"
            + parts.enumerated().map { index, part in
                guard index == 2, parts.count > 2 else { return part }
                switch parts[1] {
                case "jobs" where part == "preview": return part
                case "jobs", "applications", "agreements", "datasets", "doubts": return "{id}"
                default: return part
                }
            }.joined(separator: "/")
    }

    /// No answer to a researcher ever holds a value of an identifier column, whatever the
    /// researcher asks for.
    @Test func noResearcherResponseHoldsAnIdentifierValue() async throws {
        let fixture = try Fixture()
        let csv = try String(
            contentsOf: fixture.folder.url.appendingPathComponent("demo/household-survey.csv"), encoding: .utf8)
        let identifiers = csv.split(separator: "\n").dropFirst().map { String($0.split(separator: ",")[0]) }
        #expect(identifiers.count == 3000)
        try await fixture.test { api in
            _ = try await api.agreement(models: ["crosstab", "summary", "histogram", "linear_regression"])
            var answers: [String] = []
            for body in [
                Self.spec, "model: crosstab\ndataset: household-survey\nrows: [person_id]",
                "model: summary\ndataset: household-survey\nvariables: [person_id]",
                "model: crosstab\ndataset: household-survey\nrows: [district]\nwhere: [{column: person_id, op: eq, value: \(identifiers[0])}]",
                "model: histogram\ndataset: household-survey\nvariable: person_id\nbins: 3",
                "model: summary\ndataset: household-survey\nvariables: [income]",
            ] {
                answers.append(try await api.call(.post, "/v1/jobs", as: "rita", body: body).text)
            }
            for uri in ["/v1/datasets", "/v1/datasets/household-survey", "/v1/jobs", "/v1/me", "/v1/agreements"] {
                answers.append(try await api.call(.get, uri, as: "rita").text)
            }
            let everything = answers.joined(separator: "\n")
            let leaked = identifiers.filter { everything.contains($0) }
            #expect(leaked.isEmpty, "identifier values in researcher responses: \(leaked.prefix(3))")
        }
    }

    /// More jobs than slots and queue: the rest get 429 with Retry-After, none piles up.
    @Test func aFullQueueAnswers429WithRetryAfter() async throws {
        let folder = try TemporaryFolder()
        let slow = try folder.executable("slow-worker.sh", "#!/bin/sh\nexec sleep 2\n")
        let fixture = try Fixture(concurrency: 1, queue: 1, worker: Worker(executable: slow.path))
        try await fixture.test { api in
            _ = try await api.agreement()
            let statuses = try await withThrowingTaskGroup(of: Client.Answer.self) { group in
                for _ in 0..<5 { group.addTask { try await api.call(.post, "/v1/jobs", as: "rita", body: Self.spec) } }
                var answers: [Client.Answer] = []
                for try await answer in group { answers.append(answer) }
                return answers
            }
            let rejected = statuses.filter { $0.status == .tooManyRequests }
            #expect(rejected.count == 3, "\(statuses.map(\.status))")
            #expect(rejected.allSatisfy { $0.headers[.retryAfter] == "1" && $0.errorCode == "too_many_jobs" })
            // The two that got a slot ran (their stand-in worker fails, which is a result).
            #expect(statuses.filter { $0.status == .ok }.count == 2)
        }
    }

    @Test func healthMetricsAndTheAPIDocumentNeedNoToken() async throws {
        let fixture = try Fixture()
        try await fixture.test { api in
            let health = try await api.call(.get, "/health")
            #expect(health.status == .ok && health.json?["status"] as? String == "ok")
            #expect((health.json?["store"] as? [String: Any])?["kind"] as? String == "sqlite")
            _ = try await api.agreement()
            _ = try await api.call(.post, "/v1/jobs", as: "rita", body: Self.spec)
            let metrics = try await api.call(.get, "/metrics")
            #expect(metrics.text.contains(#"modelgate_jobs_total{status="released"} 1"#), "\(metrics.text)")
            #expect(metrics.text.contains("modelgate_job_duration_seconds_count 1"))
            let document = try await api.call(.get, "/openapi.yaml")
            #expect(document.status == .ok && document.text.hasPrefix("openapi: 3"))
        }
    }
}

extension ServerTests {
    /// The documented operations under /v1.
    static var documentedV1: Set<String> { OpenAPIDocument.operations.filter { $0.contains(" /v1/") } }

    /// openapi.yaml and the router agree: every route is documented, every documented route exists.
    /// The console's pages (`/console`) are a web application, not the API, and are not in it.
    @Test func theAPIDocumentListsExactlyTheRoutes() throws {
        let fixture = try Fixture()
        let routes = Set(
            fixture.server.router().routes.map { route -> String in
                let path = "\(route.path)".split(separator: "/").map { $0.hasPrefix(":") ? "{id}" : String($0) }
                return "\(route.method.rawValue) /" + path.joined(separator: "/")
            }
        ).filter { !$0.contains(" /console") }
        #expect(routes == OpenAPIDocument.operations)
        #expect(OpenAPIDocument.operations.count > 20)
        // The repository's top-level openapi.yaml is that document.
        let top = Fixtures.repository.appendingPathComponent("openapi.yaml")
        #expect(try String(contentsOf: top, encoding: .utf8) == OpenAPIDocument.text)
    }
}

extension ServerTests {
    @Test func aWithdrawnDatasetRefusesEveryJobAndCannotReopen() async throws {
        let fixture = try Fixture()
        try await fixture.test { api in
            _ = try await api.agreement()
            let withdrawn = try await api.json(
                .post, "/v1/datasets/household-survey/withdraw", as: "olga", ["reason": "retired"])
            #expect(withdrawn.status == .ok)
            let job = try await api.call(.post, "/v1/jobs", as: "rita", body: Self.spec)
            #expect(job.reasonCode == "dataset_withdrawn")
            let reopen = try await api.json(
                .post, "/v1/datasets/household-survey/resume", as: "olga", ["reason": "oops"])
            #expect(reopen.status == .conflict && reopen.errorCode == "dataset_withdrawn")
        }
    }

    /// A disabled principal's token stops working; a rotated token replaces the old one.
    @Test func disabledAndRotatedTokensStopWorking() async throws {
        let fixture = try Fixture()
        let store = fixture.server.store
        try store.setPrincipal("rob", disabled: true, by: "test")
        let (fresh, stored) = Tokens.make()
        try store.replaceToken(of: "rita", with: stored, by: "test")
        try await fixture.test { api in
            #expect(try await api.call(.get, "/v1/me", as: "rob").status == .unauthorized)
            #expect(try await api.call(.get, "/v1/me", as: "rita").status == .unauthorized)
            let me = try await api.call(.get, "/v1/me", as: fresh)
            #expect(me.status == .ok && me.json?["name"] as? String == "rita")
        }
    }

    /// The admin reloads the policies folder: a changed policy for an ingested dataset takes
    /// effect at once and is an audit event; one whose columns changed is reported, not loaded.
    @Test func aReloadedPolicyTakesEffectAndIsAnEvent() async throws {
        let fixture = try Fixture()
        let folder = try TemporaryFolder()
        let original = try String(
            contentsOf: Fixtures.repository.appendingPathComponent("policies/household-survey.yaml"),
            encoding: .utf8)
        try Data(original.replacingOccurrences(of: "jobsPerDay: 200", with: "jobsPerDay: 1").utf8).write(
            to: folder.url.appendingPathComponent("household-survey.yaml"))
        let server = try APIServer(state: fixture.folder.url, policies: folder.url, concurrency: 2, queue: 4)
        let app = Application(router: server.router())
        try await app.test(.router) { client in
            let api = Client(client: client, tokens: fixture.tokens)
            let reload = try await api.call(.post, "/v1/policies/reload", as: "adam")
            #expect(reload.json?["loaded"] as? [String] == ["household-survey"], "\(reload.text)")
            _ = try await api.agreement()
            #expect(
                try await api.call(.post, "/v1/jobs", as: "rita", body: Self.spec).json?["status"] as? String
                    == "released")
            let second = try await api.call(.post, "/v1/jobs", as: "rita", body: Self.spec)
            #expect(second.reasonCode == "quota_exceeded")
            let events = try await api.call(.get, "/v1/audit/events?kind=policy_loaded", as: "aude")
            #expect(((events.json?["events"] as? [[String: Any]]) ?? []).count == 2)
            // Unchanged the second time.
            let again = try await api.call(.post, "/v1/policies/reload", as: "adam")
            #expect(again.json?["unchanged"] as? [String] == ["household-survey"])
        }
        try Data(original.replacingOccurrences(of: "  sector:", with: "  branch:").utf8).write(
            to: folder.url.appendingPathComponent("household-survey.yaml"))
        let outcome = try PolicyReload(state: fixture.folder.url, store: fixture.server.store).load(
            from: folder.url, by: "test")
        #expect(outcome.loaded.isEmpty && outcome.problems.first?.contains("columns, bounds or levels differ") == true)
    }
}

extension ServerTests {
    @Test func decisionBodiesRefuseUnknownKeysAndAllowNone() async throws {
        let fixture = try Fixture()
        try await fixture.test { api in
            let applied = try await api.applyForSummaries()
            let id = try #require(applied.json?["id"] as? String)
            let typo = try await api.json(.post, "/v1/applications/\(id)/approve", as: "olga", ["datset": "x"])
            #expect(typo.status == .badRequest && typo.text.contains("datset"), "\(typo.text)")
            let empty = try await api.call(.post, "/v1/applications/\(id)/approve", as: "olga")
            #expect(empty.status == .ok, "\(empty.text)")
            // No such route, in the same error shape.
            let missing = try await api.call(.get, "/v1/nothing-here", as: "rita")
            #expect(missing.status == .notFound && missing.errorCode == "not_found", "\(missing.text)")
        }
    }
}

extension ServerTests {
    /// A result stands alone: it says what was asked (defaults written out, the label), the job
    /// list shows model and label, and anyone holding the result can check it against the log —
    /// and a changed figure fails the check.
    @Test func aResultSaysWhatWasAskedAndCanBeCheckedAgainstTheLog() async throws {
        let fixture = try Fixture()
        try await fixture.test { api in
            _ = try await api.agreement()
            let spec =
                "model: crosstab\ndataset: household-survey\nrows: [sex]\nlabel: table 2 of the paper\n"
                + "where: [{ column: age, op: \">=\", value: 30 }]"
            let answer = try await api.call(.post, "/v1/jobs", as: "rita", body: spec)
            #expect(answer.json?["status"] as? String == "released", "\(answer.text)")
            let asked = try #require(answer.json?["spec"] as? [String: Any])
            #expect(asked["statistic"] as? String == "count" && asked["label"] as? String == "table 2 of the paper")
            let condition = try #require((asked["where"] as? [[String: Any]])?.first)
            #expect(condition["column"] as? String == "age" && condition["value"] as? [String] == ["30"])

            let listed = try await api.call(.get, "/v1/jobs", as: "rita")
            let first = try #require((listed.json?["jobs"] as? [[String: Any]])?.first)
            #expect(first["model"] as? String == "crosstab" && first["label"] as? String == "table 2 of the paper")

            // Checked by someone else entirely (an auditor here; any role may).
            let valid = try await api.call(.post, "/v1/receipts/verify", as: "aude", body: answer.text)
            #expect(valid.json?["valid"] as? Bool == true, "\(valid.text)")
            // One released count changed by one: no longer the recorded result.
            let value = try #require(
                ((answer.json?["result"] as? [String: Any])?["cells"] as? [[String: Any]])?.first?["value"] as? Int)
            let forged = answer.text.replacingOccurrences(
                of: "\"value\" : \(value)\n", with: "\"value\" : \(value + 1)\n")
            #expect(forged != answer.text)
            let invalid = try await api.call(.post, "/v1/receipts/verify", as: "rita", body: forged)
            #expect(invalid.json?["valid"] as? Bool == false, "\(invalid.text)")
            #expect((invalid.json?["problems"] as? [String])?.isEmpty == false)
            // Another researcher learns only that it is not the recorded result, not why.
            let probed = try await api.call(.post, "/v1/receipts/verify", as: "rob", body: forged)
            #expect(probed.json?["problems"] as? [String] == ["this is not the result the audit log recorded"])
            // A key the recorded document did not have is not dropped silently.
            let padded = "{\n  \"note\" : \"certified\"," + answer.text.dropFirst()
            let extra = try await api.call(.post, "/v1/receipts/verify", as: "rita", body: padded)
            #expect(extra.json?["valid"] as? Bool == false, "\(extra.text)")
            let bare = try await api.call(.post, "/v1/receipts/verify", as: "rita", body: "{}")
            #expect(bare.status == .badRequest)
            // A byte that is not UTF-8 is refused, not read as U+FFFD (which might then match).
            var broken = Array(answer.text.utf8)
            broken.insert(0xFF, at: broken.count / 2)
            let notText = try await api.call(.post, "/v1/receipts/verify", as: "rita", bytes: broken)
            #expect(notText.status == .badRequest, "\(notText.text)")
            // The same JSON values written another way are not the document: reformatted, or a
            // second receipt after the first (readers differ on which of two keys counts).
            let object = try JSONSerialization.jsonObject(with: Data(answer.text.utf8))
            let compact = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
            let reformatted = try await api.call(.post, "/v1/receipts/verify", as: "rita", body: compact)
            #expect(reformatted.json?["valid"] as? Bool == false, "\(reformatted.text)")
            let twice =
                String(answer.text.dropLast())
                + ",\n  \"receipt\" : {\"index\" : 1, \"hash\" : \"\(String(repeating: "f", count: 64))\"}\n}"
            let doubled = try await api.call(.post, "/v1/receipts/verify", as: "aude", body: twice)
            #expect(doubled.json?["valid"] as? Bool == false, "\(doubled.text)")
            // Fetched again, the document is the same text and verifies.
            let job = try #require(answer.json?["job"] as? String)
            let fetched = try await api.call(.get, "/v1/jobs/\(job)", as: "rita")
            #expect(fetched.text == answer.text)
            // An owner pointing its own dry run's receipt at rita's event learns nothing of it.
            let dry = try await api.call(.post, "/v1/jobs", as: "olga", body: spec)
            let receipt = try #require(answer.json?["receipt"] as? [String: Any])
            let hash = try #require(receipt["hash"] as? String)
            let index = try #require(receipt["index"] as? Int)
            let dryReceipt = try #require(dry.json?["receipt"] as? [String: Any])
            let pointed = dry.text.replacingOccurrences(
                of: "\"index\" : \(try #require(dryReceipt["index"] as? Int))", with: "\"index\" : \(index)")
            let probe = try await api.call(.post, "/v1/receipts/verify", as: "olga", body: pointed)
            #expect(probe.json?["problems"] as? [String] == ["this is not the result the audit log recorded"])
            #expect(!probe.text.contains(hash.prefix(16)), "\(probe.text)")
        }
    }
}

extension ServerTests {
    /// `Prefer: respond-async`: 202 at once with the job's URL; GET follows the job from queued or
    /// running to its result, which is the document a synchronous request would have answered.
    @Test func anAsynchronousJobIsAcceptedAtOnceAndFollowedToItsResult() async throws {
        let fixture = try Fixture()
        try await fixture.test { api in
            _ = try await api.agreement()
            let prefer: HTTPFields = [HTTPFields.Element.Name("Prefer")!: "respond-async"]
            let accepted = try await api.call(.post, "/v1/jobs", as: "rita", body: Self.spec, headers: prefer)
            #expect(accepted.status == .accepted, "\(accepted.text)")
            let job = try #require(accepted.json?["job"] as? String)
            #expect(accepted.json?["location"] as? String == "/v1/jobs/\(job)")
            #expect(["queued"].contains(accepted.json?["status"] as? String))
            let (seen, last) = try await api.follow(job, as: "rita")
            #expect(last.json?["status"] as? String == "released", "\(seen) \(last.text.prefix(200))")
            #expect(last.json?["job"] as? String == job && last.json?["receipt"] != nil)
            #expect(seen.isSubset(of: ["queued", "running", "released"]), "\(seen)")
            // Another researcher cannot follow it.
            #expect(try await api.call(.get, "/v1/jobs/\(job)", as: "rob").status == .notFound)
            // A spec that does not read, or names no dataset, is answered at once, as without
            // the header: nothing is queued that can only be refused.
            let bad = try await api.call(.post, "/v1/jobs", as: "rita", body: "model: nothing", headers: prefer)
            #expect(bad.status == .badRequest && bad.errorCode == "unknown_model", "\(bad.text)")
            let nowhere = try await api.call(
                .post, "/v1/jobs", as: "rita", body: "model: summary\ndataset: nowhere\nvariables: [age]",
                headers: prefer)
            #expect(nowhere.status == .notFound && nowhere.errorCode == "unknown_dataset", "\(nowhere.text)")
            // A spec that reads but is refused by the policy is queued, and ends refused.
            let refusedSpec = "model: crosstab\ndataset: household-survey\nrows: [person_id]"
            let queued = try await api.call(.post, "/v1/jobs", as: "rita", body: refusedSpec, headers: prefer)
            let queuedJob = try #require(queued.json?["job"] as? String, "\(queued.text)")
            let refused = try await api.follow(queuedJob, as: "rita").last
            #expect(refused.json?["status"] as? String == "refused", "\(refused.text.prefix(200))")
            // An error the synchronous request would have answered (a key reused for another
            // spec: 422) is what GET says of the asynchronous one.
            let key: HTTPFields = [HTTPFields.Element.Name("Idempotency-Key")!: "key-1"]
            _ = try await api.call(.post, "/v1/jobs", as: "rita", body: Self.spec, headers: key)
            var both = prefer
            both[HTTPFields.Element.Name("Idempotency-Key")!] = "key-1"
            let reused = try await api.call(
                .post, "/v1/jobs", as: "rita", body: "model: summary\ndataset: household-survey\nvariables: [age]",
                headers: both)
            let reusedJob = try #require(reused.json?["job"] as? String)
            let failed = try await api.follow(reusedJob, as: "rita").last
            #expect(
                (failed.json?["error"] as? [String: Any])?["code"] as? String == "idempotency_key_reused",
                "\(failed.text)")
            #expect(failed.json?["status"] as? String == "failed" && failed.json?["reason"] == nil)
            #expect(try await api.call(.get, "/v1/jobs/\(reusedJob)", as: "rob").status == .notFound)
        }
    }
}

extension ServerTests {
    /// An asynchronous job waiting for a slot when its principal is disabled never runs: nothing
    /// is admitted or recorded for it, and it ends `unauthorized`.
    @Test func aDisabledPrincipalsWaitingJobDoesNotRun() async throws {
        let (worker, go) = try Self.heldWorker()
        let fixture = try Fixture(concurrency: 1, queue: 1, worker: worker)
        try await fixture.test { api in
            _ = try await api.agreement()
            let prefer: HTTPFields = [HTTPFields.Element.Name("Prefer")!: "respond-async"]
            let first = try await api.call(.post, "/v1/jobs", as: "rita", body: Self.spec, headers: prefer)
            let second = try await api.call(.post, "/v1/jobs", as: "rita", body: Self.spec, headers: prefer)
            let jobs = [try #require(first.json?["job"] as? String), try #require(second.json?["job"] as? String)]
            // One of them holds the only slot (admitted, its worker sleeping) before rita is disabled.
            while try jobs.allSatisfy({ try fixture.server.store.job($0) == nil }) {
                try await Task.sleep(for: .milliseconds(10))
            }
            try fixture.server.store.setPrincipal("rita", disabled: true, by: "adam")
            try go()
            // The held one ends; the waiting one then gets the slot and is turned away.
            var queued: [QueuedJob] = []
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                queued = try jobs.compactMap { try fixture.server.store.queuedJob($0) }
                if queued.count == 1, queued[0].failure != nil { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            let recorded = try jobs.filter { try fixture.server.store.job($0) != nil }
            #expect(recorded.count == 1)
            #expect(queued.map(\.id) == jobs.filter { !recorded.contains($0) })
            #expect(queued.first?.failure?.code == "unauthorized")
        }
    }

    /// A job accepted by one gateway and run by another: the queue is the store's, not a
    /// gateway's. The first gateway never runs it (it is stopped before its runner could); a
    /// second gateway on the same store claims it and its researcher follows it there.
    @Test func aQueuedJobIsRunByAnotherGatewayOnTheSameStore() async throws {
        let fixture = try Fixture()
        try await fixture.test { api in
            _ = try await api.agreement()
        }
        // Queued straight into the store, as a gateway that accepted it and died would leave it.
        try fixture.server.store.enqueue(
            QueuedJob(
                id: "queued-elsewhere", principal: "rita", spec: Self.spec, needsAgreement: true,
                idempotencyKey: nil), capacity: 10, perPrincipal: 10)
        let second = try fixture.another()
        // The second gateway's runner, as its ticker would wake it.
        await QueueRunner(server: second.server).claim()
        try await second.test { api in
            let (_, last) = try await api.follow("queued-elsewhere", as: "rita")
            #expect(last.json?["status"] as? String == "released", "\(last.text.prefix(300))")
        }
        #expect(try second.server.store.queuedJob("queued-elsewhere") == nil)
    }
}

extension ServerTests {
    /// A retried asynchronous request (the same Idempotency-Key and spec) sent while the first
    /// still runs waits for it and shows its answer, instead of failing `job_in_progress`.
    @Test func aRetryWhileTheFirstRunsIsAnsweredByTheFirst() async throws {
        let (worker, go) = try Self.heldWorker()
        let fixture = try Fixture(concurrency: 2, queue: 2, worker: worker)
        try await fixture.test { api in
            _ = try await api.agreement()
            var headers: HTTPFields = [HTTPFields.Element.Name("Prefer")!: "respond-async"]
            headers[HTTPFields.Element.Name("Idempotency-Key")!] = "retry-1"
            let first = try await api.call(.post, "/v1/jobs", as: "rita", body: Self.spec, headers: headers)
            let firstJob = try #require(first.json?["job"] as? String)
            // Until the first is admitted, a retry would run it again by its id; wait for that.
            while try fixture.server.store.job(firstJob) == nil { try await Task.sleep(for: .milliseconds(20)) }
            let retry = try await api.call(.post, "/v1/jobs", as: "rita", body: Self.spec, headers: headers)
            let retryJob = try #require(retry.json?["job"] as? String)
            // The retry meets the first still running (its worker held), then the first ends.
            try await Task.sleep(for: .milliseconds(500))
            try go()
            let answer = try await api.follow(retryJob, as: "rita").last
            #expect(answer.json?["job"] as? String == firstJob, "\(answer.text.prefix(300))")
            #expect(answer.json?["error"] == nil)
        }
    }
}

extension ServerTests {
    /// A retry whose first attempt waits in the store's queue (accepted, claimed by another
    /// gateway, not yet admitted) is told the first is in progress: it does not run the first
    /// again under its id, which would leave the claimed one failing on the taken id.
    @Test func aRetryOfAJobStillQueuedWaitsForIt() async throws {
        let fixture = try Fixture()
        let store = fixture.server.store
        try await fixture.test { api in
            _ = try await api.agreement()
            let request = Tokens.hash(Self.spec)  // the SHA-256 of the spec, as the pipeline keys a request
            #expect(try store.claimIdempotencyKey("k", principal: "rita", job: "first", request: request) == .claimed)
            try store.enqueue(
                QueuedJob(id: "first", principal: "rita", spec: Self.spec, needsAgreement: true, idempotencyKey: "k"),
                capacity: 10, perPrincipal: 10)
            #expect(try store.claimQueued(runner: "elsewhere/boot/1/1", seconds: 30, limit: 1).map(\.id) == ["first"])
            let retry = try await api.call(
                .post, "/v1/jobs", as: "rita", body: Self.spec,
                headers: [HTTPFields.Element.Name("Idempotency-Key")!: "k"])
            #expect(retry.status == .conflict && retry.errorCode == "job_in_progress", "\(retry.text.prefix(300))")
            #expect(try store.job("first") == nil)
            #expect(try store.queuedJob("first") != nil)
        }
    }

    /// Queued jobs take every free slot: with two slots, a second asynchronous job runs while
    /// the first still holds its slot (a job running here is not counted twice against them).
    @Test func queuedJobsTakeEveryFreeSlot() async throws {
        let (worker, go) = try Self.heldWorker()
        let fixture = try Fixture(concurrency: 2, queue: 2, worker: worker)
        try await fixture.test { api in
            _ = try await api.agreement()
            let prefer: HTTPFields = [HTTPFields.Element.Name("Prefer")!: "respond-async"]
            var jobs: [String] = []
            for _ in 0..<2 {
                let accepted = try await api.call(.post, "/v1/jobs", as: "rita", body: Self.spec, headers: prefer)
                jobs.append(try #require(accepted.json?["job"] as? String))
                try await Task.sleep(for: .milliseconds(300))
            }
            let deadline = ContinuousClock.now + .seconds(10)
            while try jobs.contains(where: { try fixture.server.store.job($0) == nil }), ContinuousClock.now < deadline
            {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(try jobs.allSatisfy { try fixture.server.store.job($0)?.status == "admitted" })
            try go()
            for job in jobs { _ = try await api.follow(job, as: "rita") }
        }
    }

    /// A stand-in worker that holds its slot (and then fails) until the test calls `release`.
    /// The release keeps the worker's folder alive until it is called.
    static func heldWorker() throws -> (worker: Worker, release: @Sendable () throws -> Void) {
        let folder = try TemporaryFolder()
        let go = folder.url.appendingPathComponent("go")
        let script = try folder.executable(
            "held-worker.sh", "#!/bin/sh\nwhile [ ! -e '\(go.path)' ]; do sleep 0.05; done\nexit 1\n")
        return (Worker(executable: script.path), { try Data().write(to: folder.url.appendingPathComponent("go")) })
    }
}

extension ServerTests {
    /// An owner's dry runs are not researchers' use: they do not wait on the daily quota and the
    /// usage report does not count the owner as a researcher. A mistyped dataset name is counted
    /// as a refused job but is not a dataset of the report.
    @Test func anOwnersDryRunsAreNeitherUnderTheQuotaNorResearchers() async throws {
        let policy = try String(
            contentsOf: Fixtures.repository.appendingPathComponent("policies/household-survey.yaml"), encoding: .utf8
        ).replacingOccurrences(of: "jobsPerDay: 200", with: "jobsPerDay: 1")
        #expect(policy.contains("jobsPerDay: 1 "))
        let fixture = try Fixture(policyText: policy)
        try await fixture.test { api in
            _ = try await api.agreement()
            for _ in 0..<2 {
                let dry = try await api.call(.post, "/v1/jobs", as: "olga", body: Self.spec)
                #expect(dry.json?["status"] as? String == "released", "\(dry.text.prefix(300))")
            }
            #expect(
                try await api.call(.post, "/v1/jobs", as: "rita", body: Self.spec).json?["status"] as? String
                    == "released")
            #expect(try await api.call(.post, "/v1/jobs", as: "rita", body: Self.spec).reasonCode == "quota_exceeded")
            let typo = "model: summary\ndataset: houshold-survey\nvariables: [age]"
            #expect(try await api.call(.post, "/v1/jobs", as: "rita", body: typo).status == .notFound)

            let report = try await api.call(.get, "/v1/usage/report", as: "aude")
            let totals = try #require(report.json?["totals"] as? [String: Any])
            #expect(totals["researchers"] as? Int == 1 && totals["jobs"] as? Int == 5, "\(totals)")
            let datasets = try #require(report.json?["datasets"] as? [[String: Any]])
            #expect(datasets.compactMap { $0["dataset"] as? String } == ["household-survey"])
            // CPU seconds are whole milliseconds, as the worker measures them, not float sums.
            for seconds in datasets.compactMap({ $0["cpuSeconds"] as? Double }) + [totals["cpuSeconds"] as? Double ?? 0]
            {
                #expect((seconds * 1000).rounded() / 1000 == seconds, "\(seconds)")
            }
            let unknown = try await api.call(.get, "/v1/usage/report?dataset=nope", as: "aude")
            #expect(unknown.status == .notFound && unknown.errorCode == "unknown_dataset")
        }
    }
}

extension ServerTests {
    /// A reload that weakens the policy in force (here a lower threshold and a sensitive column
    /// made groupable) is held back with its diff until the administrator confirms it; then it
    /// loads and its event names what weakened. A stricter one loads without asking.
    @Test func aWeakeningReloadNeedsConfirmationAndIsRecordedAsSuch() async throws {
        let fixture = try Fixture()
        let folder = try TemporaryFolder()
        let original = try String(
            contentsOf: Fixtures.repository.appendingPathComponent("policies/household-survey.yaml"), encoding: .utf8)
        let weaker =
            original
            .replacingOccurrences(of: "  threshold: 10", with: "  threshold: 5")
            .replacingOccurrences(
                of: "income:          { class: sensitive,", with: "income:          { class: ordinary, ")
        #expect(weaker.contains("threshold: 5") && weaker.contains("class: ordinary, "))
        try Data(weaker.utf8).write(to: folder.url.appendingPathComponent("household-survey.yaml"))
        let server = try APIServer(state: fixture.folder.url, policies: folder.url, concurrency: 2, queue: 4)
        try await Application(router: server.router()).test(.router) { client in
            let api = Client(client: client, tokens: fixture.tokens)
            let held = try await api.call(.post, "/v1/policies/reload", as: "adam")
            #expect((held.json?["loaded"] as? [String])?.isEmpty == true, "\(held.text)")
            let waiting = try #require((held.json?["awaitingConfirmation"] as? [[String: Any]])?.first)
            let weakenings = try #require(waiting["weakenings"] as? [String])
            #expect(weakenings.contains("disclosure.threshold: 10 → 5"))
            #expect(weakenings.contains { $0.hasPrefix("columns.income: sensitive → ordinary") })
            #expect((waiting["diff"] as? [String])?.contains("+   threshold: 5") == true, "\(waiting)")
            // Still the old rules: income cannot group rows.
            _ = try await api.agreement()
            let grouped = "model: crosstab\ndataset: household-survey\nrows: [income]"
            #expect(try await api.call(.post, "/v1/jobs", as: "rita", body: grouped).reasonCode == "column_not_allowed")

            let confirmed = try await api.call(.post, "/v1/policies/reload?confirmWeaker=true", as: "adam")
            #expect(confirmed.json?["loaded"] as? [String] == ["household-survey"], "\(confirmed.text)")
            let events = try await api.call(.get, "/v1/audit/events?kind=policy_loaded", as: "aude")
            let last = try #require((events.json?["events"] as? [[String: Any]])?.last)
            #expect((last["detail"] as? String)?.contains("disclosure.threshold: 10 → 5") == true, "\(last)")
            #expect(last["principal"] as? String == "adam")
        }
        // Stricter than what is in force now: loads without confirmation.
        try Data(original.utf8).write(to: folder.url.appendingPathComponent("household-survey.yaml"))
        let stricter = try PolicyReload(state: fixture.folder.url, store: fixture.server.store).load(
            from: folder.url, by: "test")
        #expect(stricter.loaded == ["household-survey"] && stricter.awaitingConfirmation.isEmpty, "\(stricter)")
        // A dataset whose policy file is gone stays open on its stored policy, and is said so.
        try FileManager.default.removeItem(at: folder.url.appendingPathComponent("household-survey.yaml"))
        let orphaned = try PolicyReload(state: fixture.folder.url, store: fixture.server.store).load(
            from: folder.url, by: "test")
        #expect(orphaned.withoutFile == ["household-survey"])
    }
}

extension ServerTests {
    /// Art. 22: a researcher files a doubt; the dataset's owner and auditors see it with its due
    /// time (10 working days), another researcher and another body's owner do not; the owner
    /// answers it once, with a reason; both steps are audit events.
    @Test func aDataDoubtIsFiledSeenAndAnsweredByTheRightPeople() async throws {
        let fixture = try Fixture()
        try await fixture.test { api in
            let filed = try await api.json(
                .post, "/v1/doubts", as: "rita",
                ["dataset": "household-survey", "column": "income", "description": "Wuxi incomes look too high"])
            #expect(filed.status == .created, "\(filed.text)")
            let id = try #require(filed.json?["id"] as? String)
            #expect(filed.json?["status"] as? String == "open" && filed.json?["overdue"] as? Bool == false)
            let filedAt = try #require(Timestamp.parse(filed.json?["filedAt"] as? String ?? ""))
            #expect(
                filed.json?["dueBy"] as? String == Timestamp.string(Timestamp.endOfWorkingDays(10, after: filedAt)))
            let noColumn = try await api.json(
                .post, "/v1/doubts", as: "rita",
                ["dataset": "household-survey", "column": "salary", "description": "x"])
            #expect(noColumn.status == .badRequest && noColumn.text.contains("salary"))

            for (who, sees) in [("rita", true), ("olga", true), ("aude", true), ("rob", false), ("otto", false)] {
                let listed = try await api.call(.get, "/v1/doubts", as: who)
                let ids = (listed.json?["doubts"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
                #expect(ids.contains(id) == sees, "\(who)")
                #expect((try await api.call(.get, "/v1/doubts/\(id)", as: who).status == .ok) == sees, "\(who)")
            }
            let unreasoned = try await api.json(.post, "/v1/doubts/\(id)/answer", as: "olga", ["confirmed": false])
            #expect(unreasoned.status == .badRequest)
            let answered = try await api.json(
                .post, "/v1/doubts/\(id)/answer", as: "olga",
                ["confirmed": false, "reason": "checked against the tax records"])
            #expect(answered.json?["status"] as? String == "not_confirmed", "\(answered.text)")
            let again = try await api.json(
                .post, "/v1/doubts/\(id)/answer", as: "olga", ["confirmed": true, "reason": "on second thought"])
            #expect(again.status == .conflict)

            let events = try await api.call(.get, "/v1/audit/events?limit=1000", as: "aude")
            let kinds = ((events.json?["events"] as? [[String: Any]]) ?? []).compactMap { $0["kind"] as? String }
            #expect(kinds.filter { $0 == "data_doubt_filed" }.count == 1)
            #expect(kinds.filter { $0 == "data_doubt_answered" }.count == 1)
        }
    }
}

extension ServerTests {
    /// An owner approves with conditions over the API: only the summary of the two models asked
    /// for, ending sooner; the agreement says so, the event records the conditions, and a job
    /// outside them is refused.
    @Test func anApprovalWithConditionsNarrowsTheAgreement() async throws {
        let fixture = try Fixture()
        try await fixture.test { api in
            let applied = try await api.json(
                .post, "/v1/applications", as: "rita",
                [
                    "datasets": ["household-survey"], "models": ["summary", "crosstab"], "purpose": "p",
                    "scenario": "s", "safeguards": "g", "starts": "2026-01-01", "ends": "2030-01-01",
                ])
            let id = try #require(applied.json?["id"] as? String)
            let unreasoned = try await api.json(
                .post, "/v1/applications/\(id)/approve", as: "olga", ["models": ["summary"]])
            #expect(unreasoned.status == .badRequest && unreasoned.errorCode == "reason_required")
            let approved = try await api.json(
                .post, "/v1/applications/\(id)/approve", as: "olga",
                ["models": ["summary"], "ends": "2029-01-01", "reason": "tables wait for the next review"])
            let agreement = try #require(approved.json?["agreement"] as? [String: Any], "\(approved.text)")
            #expect(agreement["models"] as? [String] == ["summary"])
            #expect(agreement["expires"] as? String == "2029-01-01T00:00:00.000Z")
            let crosstab = try await api.call(.post, "/v1/jobs", as: "rita", body: Self.spec)
            #expect(crosstab.reasonCode == "model_not_in_agreement", "\(crosstab.text.prefix(300))")
            let events = try await api.call(.get, "/v1/audit/events?kind=application_decided", as: "aude")
            let detail = ((events.json?["events"] as? [[String: Any]])?.last?["detail"] as? String) ?? ""
            #expect(detail.contains("\"models\":\"summary\"") && detail.contains("\"ends\":\"2029-01-01"), "\(detail)")
        }
    }
}
