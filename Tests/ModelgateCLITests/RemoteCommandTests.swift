import Foundation
import Hummingbird
import HummingbirdTesting
import ModelgateCore
import ModelgateTestSupport
import Testing

@testable import ModelgateGateway

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `modelgate submit` and `modelgate jobs list|show|wait`, as a researcher runs them: the real
/// program against a real `modelgate serve --demo` on a free port.
@Suite(.serialized) struct RemoteCommandTests {
    /// A running demo gateway and the researcher's environment to reach it.
    final class Gateway: Sendable {
        let folder: TemporaryFolder
        let process: Process
        let url: String
        let tokens: [String: String]

        init() async throws {
            folder = try TemporaryFolder()
            let port = try Self.freePort()
            url = "http://127.0.0.1:\(port)"
            process = Process()
            process.executableURL = URL(fileURLWithPath: try Fixtures.builtProgram("modelgate"))
            process.arguments = [
                "serve", "--demo", "--state", folder.url.path, "--port", String(port), "--policies",
                Fixtures.repository.appendingPathComponent("policies").path,
            ]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Generous: the whole test suite runs beside it, on as few as two cores.
            let deadline = ContinuousClock.now + .seconds(180)
            var health = URLRequest(url: URL(string: "\(url)/health")!)
            health.timeoutInterval = 5
            while true {
                if let (_, response) = try? await URLSession.shared.data(for: health),
                    (response as? HTTPURLResponse)?.statusCode == 200
                {
                    break
                }
                guard process.isRunning else {
                    throw ModelgateError(
                        "no_gateway", "modelgate serve exited (status \(process.terminationStatus)) before it answered")
                }
                guard ContinuousClock.now < deadline else {
                    // Not left running: a gateway that failed to start has no deinit to stop it.
                    process.terminate()
                    throw ModelgateError("no_gateway", "modelgate serve did not answer /health within 180 s")
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            let tokens = try Data(contentsOf: folder.url.appendingPathComponent("demo-tokens.json"))
            self.tokens = try JSONDecoder().decode([String: String].self, from: tokens)
        }

        deinit { process.terminate() }

        /// A researcher's command line: the gateway and token in the environment.
        func modelgate(_ arguments: [String], as role: String = "researcher", input: String? = nil) throws
            -> AuditCommandTests.Run
        {
            try AuditCommandTests.modelgate(
                arguments, environment: ["MODELGATE_URL": url, "MODELGATE_TOKEN": tokens[role] ?? ""], input: input)
        }

        static func freePort() throws -> Int {
            let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(socket) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0
                }
            }
            guard bound else { throw ModelgateError("no_port", "no free port") }
            return Int(UInt16(bigEndian: address.sin_port))
        }
    }

    static let table = Fixtures.repository.appendingPathComponent("models/count-by-district-and-sex.yaml").path

    /// `submit --wait` prints what `run` prints for the same spec on the same state (the table,
    /// the disclosure notes, the citation); only the job's own receipt differs.
    @Test func submitWaitPrintsTheTableRunPrints() async throws {
        let gateway = try await Gateway()
        let remote = try gateway.modelgate(["submit", Self.table, "--wait"])
        #expect(remote.status == 0, "\(remote.errors)")
        let local = try AuditCommandTests.modelgate([
            "run", Self.table, "--format", "table", "--state", gateway.folder.url.path,
        ])
        #expect(local.status == 0, "\(local.errors)")
        func withoutReceipt(_ text: String) -> [String] {
            text.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("receipt:") }
        }
        #expect(withoutReceipt(remote.output) == withoutReceipt(local.output))
        #expect(remote.output.contains("Chengkou") && remote.output.contains("·"))
    }

    /// Without --wait the job's id comes back at once; `jobs wait`, `show` and `list` find it;
    /// the JSON printed is the recorded document (it verifies), the CSV its values.
    @Test func aQueuedJobIsFoundAgainAndItsDocumentVerifies() async throws {
        let gateway = try await Gateway()
        let queued = try gateway.modelgate(["submit", Self.table, "--label", "table 1, as sent", "--format", "json"])
        #expect(queued.status == 0, "\(queued.errors)")
        let job = try #require(
            (try JSONSerialization.jsonObject(with: Data(queued.output.utf8)) as? [String: Any])?["job"] as? String)

        let waited = try gateway.modelgate(["jobs", "wait", job, "--format", "json", "--timeout", "60"])
        #expect(waited.status == 0, "\(waited.errors)")
        let document = try JobResult(jsonText: waited.output)
        #expect(document.job == job && document.spec?.label == "table 1, as sent")
        let shown = try gateway.modelgate(["jobs", "show", job, "--format", "json"])
        #expect(shown.output == waited.output)
        let saved = try gateway.folder.write("result.json", waited.output)
        let receipt = try AuditCommandTests.modelgate([
            "audit", "receipt", saved.path, "--state", gateway.folder.url.path,
        ])
        #expect(receipt.status == 0, "\(receipt.output) \(receipt.errors)")

        // CSV: a row per cell, each released count the one counted here from the demo's raw rows
        // (its CSV, kept in the state folder), cells under the threshold of 10 withheld (empty).
        let csv = try gateway.modelgate(["jobs", "show", job, "--format", "csv"])
        let lines = csv.output.split(separator: "\n").map(String.init)
        #expect(lines.first == "district,sex,value,suppressed")
        let raw = try String(
            contentsOf: gateway.folder.url.appendingPathComponent("demo/household-survey.csv"), encoding: .utf8)
        let rows = raw.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let (district, sex) = (rows[0].firstIndex(of: "district")!, rows[0].firstIndex(of: "sex")!)
        var counts: [String: Int] = [:]
        for row in rows.dropFirst() { counts["\(row[district]),\(row[sex])", default: 0] += 1 }
        #expect(lines.count == 1 + counts.count)
        var withheld = 0
        for line in lines.dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let count = counts["\(fields[0]),\(fields[1])"] ?? 0
            if fields[3] == "true" {
                #expect(fields[2].isEmpty)
                withheld += 1
            } else {
                #expect(fields[2] == String(count) && count >= 10, "\(line)")
            }
        }
        #expect(withheld >= counts.values.filter { $0 < 10 }.count && withheld > 0)

        let listed = try gateway.modelgate(["jobs", "list", "--format", "csv"])
        #expect(listed.output.contains("\(job),"))
        #expect(listed.output.contains("\"table 1, as sent\""))
    }

    /// A refusal is a result (exit 3, its reason); what is not a decision is an error (exit 1)
    /// that says what to fix.
    @Test func refusalsAndErrorsSayWhatToFix() async throws {
        let gateway = try await Gateway()
        let identifier = Fixtures.repository.appendingPathComponent("models/refused-identifier.yaml").path
        let refused = try gateway.modelgate(["submit", identifier, "--wait", "--format", "csv"])
        #expect(refused.status == 3)
        #expect(refused.output.isEmpty && refused.errors.contains("refused [column_not_allowed]"))

        let unreadable = try gateway.modelgate(["submit", "-"], input: "model: crosstab\ndatset: household-survey\n")
        #expect(unreadable.status == 1 && unreadable.errors.contains("unknown key 'datset'"), "\(unreadable.errors)")

        let stranger = try AuditCommandTests.modelgate(
            [
                "submit", Self.table, "--server", gateway.url, "--token",
                "mg_000000000000_" + String(repeating: "0", count: 64),
            ],
            environment: ["MODELGATE_TOKEN": ""])
        #expect(stranger.status == 1 && stranger.errors.contains("check --token"), "\(stranger.errors)")

        let auditor = try gateway.modelgate(["submit", Self.table], as: "auditor")
        #expect(auditor.status == 1 && auditor.errors.contains("forbidden"), "\(auditor.errors)")

        let nowhere = try AuditCommandTests.modelgate(
            ["jobs", "list", "--server", "http://127.0.0.1:9", "--token", "x"], environment: ["MODELGATE_URL": ""])
        #expect(nowhere.status == 1 && nowhere.errors.contains("could not reach the gateway"), "\(nowhere.errors)")

        let unnamed = try AuditCommandTests.modelgate(["jobs", "list"], environment: ["MODELGATE_URL": ""])
        #expect(unnamed.status == 1 && unnamed.errors.contains("--server URL, or set MODELGATE_URL"))
    }

    /// A gateway address that redirects elsewhere: the command stops and names the new
    /// address; the token never reaches the server redirected to.
    @Test func aRedirectIsNotFollowedWithTheToken() async throws {
        let seen = Seen()
        let elsewhere = Router()
        elsewhere.get("**") { request, _ -> Response in
            await seen.add(request.headers[.authorization] ?? "")
            return Response(status: .ok)
        }
        try await Application(router: elsewhere).test(.live) { target in
            let port = try #require(target.port)
            let redirecting = Router()
            redirecting.get("**") { request, _ -> Response in
                Response(status: .found, headers: [.location: "http://localhost:\(port)\(request.uri.path)"])
            }
            try await Application(router: redirecting).test(.live) { gateway in
                let run = try AuditCommandTests.modelgate([
                    "jobs", "list", "--server", "http://127.0.0.1:\(try #require(gateway.port))", "--token",
                    "mg_secret",
                ])
                #expect(
                    run.status == 1 && run.errors.contains("redirects to http://localhost:\(port)"), "\(run.errors)")
            }
        }
        #expect(await seen.values.isEmpty)
    }

    actor Seen {
        var values: [String] = []
        func add(_ value: String) { values.append(value) }
    }
}
