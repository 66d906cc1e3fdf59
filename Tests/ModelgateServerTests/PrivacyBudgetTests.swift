import Foundation
import Hummingbird
import HummingbirdTesting
import ModelgateCore
import ModelgateStore
import ModelgateTestSupport
import Testing

@testable import ModelgateServer

#if canImport(Glibc)
    import Glibc
#endif

/// The privacy budget under load, over real HTTP: many jobs at once against an agreement whose
/// ε fits exactly ten of them.
@Suite struct PrivacyBudgetTests {
    static let spec = "model: crosstab\ndataset: household-survey-dp\nrows: [sex]\nepsilon: 0.1"

    @Test func aHundredJobsAtOnceAgainstABudgetOfTenReleaseExactlyTen() async throws {
        // ε 1 for the agreement, 0.1 a job: ten fit. Slots and queue large enough that no job is
        // turned away for load: each is admitted or refused for its budget alone.
        let fixture = try ServerTests.Fixture(
            concurrency: 4, queue: 200, policyText: try Fixtures.dpPolicy(dataset: "5", agreement: "1", perJob: "0.1"))
        try await fixture.test(.live) { api in
            let applied = try await api.json(
                .post, "/v1/applications", as: "rita",
                [
                    "datasets": ["household-survey-dp"], "models": ["crosstab"], "purpose": "p", "scenario": "s",
                    "safeguards": "g", "starts": "2020-01-01", "ends": "2099-01-01",
                ])
            let id = try #require(applied.json?["id"] as? String, "\(applied.text)")
            let approved = try await api.json(.post, "/v1/applications/\(id)/approve", as: "olga", [:])
            let agreement = try #require((approved.json?["agreement"] as? [String: Any])?["id"] as? String)

            // A hundred different questions (the same one would be answered again at no cost), each
            // on its own connection from its own thread, all at once.
            let port = try #require(api.client.port)
            let token = try #require(fixture.tokens["rita"])
            let specs = (0..<100).map { n in
                Self.spec + "\nwhere: [{ column: age, op: \">=\", value: \(16 + n % 70) }, "
                    + "{ column: household_size, op: \"<=\", value: \(8 - n / 70) }]"
            }
            let answers = try await RawHTTP.postAtOnce(specs, port: port, path: "/v1/jobs", token: token)
            let statuses = answers.map { $0.json?["status"] as? String ?? "HTTP \($0.status)" }
            #expect(
                statuses.filter { $0 == "released" }.count == 10,
                "\(Dictionary(grouping: statuses) { $0 }.mapValues(\.count))")
            #expect(answers.filter { $0.reasonCode == "privacy_budget_exhausted" }.count == 90)
            #expect(answers.allSatisfy { $0.status == 200 })
            // What the store holds as spent is exactly ten jobs' ε, for the agreement and the dataset.
            let spent = try fixture.server.store.privacyAccount(dataset: "household-survey-dp").spent
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
            // The very same answer, receipt included.
            #expect(retry.text == first.text && first.json?["receipt"] != nil, "\(retry.text.prefix(200))")
            #expect(retry.json?["result"] as? NSDictionary == first.json?["result"] as? NSDictionary)
            let spent = try fixture.server.store.privacyAccount(dataset: "household-survey-dp").spent
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

/// A plain HTTP/1.1 client over POSIX sockets, one connection and one thread per request, so that
/// many requests reach the server at the same moment; no client library's connection pool queues
/// them (AsyncHTTPClient's did, and timed out waiting under a loaded CI machine). Test code only.
enum RawHTTP {
    struct Answer: Sendable {
        var status: Int
        var text: String
        var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] }
        var reasonCode: String? { (json?["reason"] as? [String: Any])?["code"] as? String }
    }

    /// POSTs each body to `path` at once, each from its own thread; the answers in order.
    static func postAtOnce(_ bodies: [String], port: Int, path: String, token: String) async throws -> [Answer] {
        try await withCheckedThrowingContinuation { continuation in
            let results = Results(count: bodies.count)
            let group = DispatchGroup()
            for (index, body) in bodies.enumerated() {
                group.enter()
                Thread.detachNewThread {
                    results.set(index, Result { try post(body, port: port, path: path, token: token) })
                    group.leave()
                }
            }
            group.notify(queue: .global()) {
                continuation.resume(with: Result { try results.all.map { try $0!.get() } })
            }
        }
    }

    final class Results: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [Result<Answer, any Error>?]
        init(count: Int) { values = Array(repeating: nil, count: count) }
        func set(_ index: Int, _ value: Result<Answer, any Error>) { lock.withLock { values[index] = value } }
        var all: [Result<Answer, any Error>?] { lock.withLock { values } }
    }

    static func post(_ body: String, port: Int, path: String, token: String) throws -> Answer {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ModelgateError("test", "socket failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw ModelgateError("test", "connect failed: \(errno)") }
        let request = Array(
            ("POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
                + "Content-Type: application/yaml\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
                + body).utf8)
        var sent = 0
        while sent < request.count {
            let written = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            guard written > 0 else { throw ModelgateError("test", "send failed: \(errno)") }
            sent += written
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let got = recv(fd, &buffer, buffer.count, 0)
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { break }
            response += buffer[..<got]
        }
        let text = String(decoding: response, as: UTF8.self)
        guard let head = text.range(of: "\r\n\r\n"),
            let status = Int(text.split(separator: " ").dropFirst().first ?? "")
        else { throw ModelgateError("test", "not an HTTP response: \(text.prefix(80))") }
        return Answer(status: status, text: String(text[head.upperBound...]))
    }
}

/// An owner raises one agreement's ε allocation, saying why: audited, within the dataset's
/// lifetime cap, and shown to the owner and the auditor with every agreement's spending.
extension PrivacyBudgetTests {
    @Test func anOwnerRaisesAnAllocationWithinTheCapAndEveryoneSeesIt() async throws {
        let fixture = try ServerTests.Fixture(
            policyText: try Fixtures.dpPolicy(dataset: "1", agreement: "0.2", perJob: "0.1"))
        try await fixture.test { api in
            var agreements: [String: String] = [:]
            for researcher in ["rita", "rob"] {
                let applied = try await api.json(
                    .post, "/v1/applications", as: researcher,
                    [
                        "datasets": ["household-survey-dp"], "models": ["crosstab"], "purpose": "p", "scenario": "s",
                        "safeguards": "g", "starts": "2020-01-01", "ends": "2099-01-01",
                    ])
                let id = try #require(applied.json?["id"] as? String, "\(applied.text)")
                let approved = try await api.json(.post, "/v1/applications/\(id)/approve", as: "olga", [:])
                agreements[researcher] = try #require((approved.json?["agreement"] as? [String: Any])?["id"] as? String)
            }
            func job(_ n: Int) async throws -> String? {
                let spec = Self.spec + "\nwhere: [{ column: age, op: \">=\", value: \(16 + n) }]"
                let answer = try await api.call(.post, "/v1/jobs", as: "rita", body: spec)
                return answer.json?["status"] as? String ?? answer.json?["reason"].map { "\($0)" }
            }
            // Rita's 0.2 pays two jobs at 0.1; the third is refused.
            #expect(try await job(0) == "released")
            #expect(try await job(1) == "released")
            #expect(try await job(2) == "refused")
            let rita = try #require(agreements["rita"])
            let raise = { (epsilon: Any, who: String, reason: String?) in
                try await api.json(
                    .post, "/v1/agreements/\(rita)/privacy", as: who,
                    ["dataset": "household-survey-dp", "epsilon": epsilon, "reason": reason as Any])
            }
            // Only the dataset's owner, with a reason, never above the cap of 1.
            #expect(try await raise("0.5", "otto", "more").errorCode == "forbidden")
            #expect(try await raise("0.5", "rita", "more").errorCode == "forbidden")
            #expect(try await raise("0.5", "olga", nil).errorCode == "reason_required")
            let above = try await raise("1.1", "olga", "more")
            #expect(above.status == .unprocessableContent && above.errorCode == "invalid_allocation")
            let raised = try await raise(0.5, "olga", "the panel study needs three more tables")
            #expect(raised.status == .ok && raised.json?["epsilon"] as? String == "0.5", "\(raised.text)")
            #expect(raised.json?["left"] as? String == "0.3" && raised.json?["setByOwner"] as? Bool == true)
            // Now three more jobs fit, and no fourth.
            for n in 3..<6 { #expect(try await job(n) == "released") }
            #expect(try await job(6) == "refused")
            // The owner and the auditor see the cap, the total and each agreement; Rita does not.
            for who in ["olga", "aude"] {
                let view = try await api.call(.get, "/v1/datasets/household-survey-dp/privacy", as: who)
                #expect(
                    view.json?["spent"] as? String == "0.5" && view.json?["left"] as? String == "0.5", "\(view.text)")
                let lines = try #require(view.json?["agreements"] as? [[String: Any]])
                let byResearcher = Dictionary(uniqueKeysWithValues: lines.map { ($0["researcher"] as! String, $0) })
                #expect(byResearcher["rita"]?["epsilon"] as? String == "0.5")
                #expect(byResearcher["rob"]?["epsilon"] as? String == "0.2")
                #expect(byResearcher["rob"]?["setByOwner"] as? Bool == false)
            }
            #expect(
                try await api.call(.get, "/v1/datasets/household-survey-dp/privacy", as: "rita").status == .forbidden)
            #expect(
                try await api.call(.get, "/v1/datasets/household-survey-dp/privacy", as: "otto").status == .forbidden)
            // The change is in the audit log, with who, from, to and why.
            var events: [String] = []
            try fixture.server.store.forEachEvent(
                AuditFilter(kind: AuditEvent.Kind(rawValue: "privacy_allocation_changed"))
            ) {
                events.append("\($0.principal ?? "") \($0.detail)")
            }
            #expect(events.count == 1 && events[0].hasPrefix("olga "), "\(events)")
            #expect(
                events.first?.contains("\"from\":\"0.2\"") == true && events.first?.contains("\"to\":\"0.5\"") == true)
        }
    }
}
