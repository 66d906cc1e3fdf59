import Foundation
import ModelgateTestSupport
import Testing

@testable import ModelgateCLI
@testable import ModelgateGateway
@testable import ModelgateServer
@testable import ModelgateStore

/// `modelgate audit verify|export|receipt` and `usage report`, run as an auditor would run
/// them: the real program, its output and its exit status.
@Suite struct AuditCommandTests {
    struct Run {
        var status: Int32
        var output: String
        var errors: String
    }

    static func modelgate(_ arguments: [String], environment: [String: String] = [:], input: String? = nil) throws
        -> Run
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Fixtures.builtProgram("modelgate"))
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let input {
            let pipe = Pipe()
            process.standardInput = pipe
            pipe.fileHandleForWriting.write(Data(input.utf8))
            try pipe.fileHandleForWriting.close()
        }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus, output: String(decoding: out, as: UTF8.self),
            errors: String(decoding: err, as: UTF8.self))
    }

    /// A demo state with three jobs run through `modelgate run`, one of them by another principal.
    func state() throws -> (TemporaryFolder, [String]) {
        let folder = try JobWorkerTests().demo()
        let table = try folder.write("table.yaml", "model: crosstab\ndataset: household-survey\nrows: [district]")
        let bad = try folder.write("bad.yaml", "model: crosstab\ndataset: household-survey\nrows: [person_id]")
        for name in ["alice", "bob"] {
            let added = try Self.modelgate([
                "principal", "add", "--role", "researcher", "--name", name, "--state", folder.url.path,
            ])
            #expect(added.status == 0, "\(added.errors)")
        }
        var results: [String] = []
        for (spec, principal) in [(table, "alice"), (bad, "alice"), (table, "bob")] {
            let run = try Self.modelgate(["run", spec.path, "--state", folder.url.path, "--principal", principal])
            results.append(run.output)
        }
        return (folder, results)
    }

    @Test func verifyPassesOnAnIntactLogAndNamesTheFirstBrokenEvent() throws {
        let (folder, _) = try state()
        let good = try Self.modelgate(["audit", "verify", "--state", folder.url.path])
        #expect(good.status == 0)
        // Dataset + policy, two principals, two jobs that ran (two events each), one refused
        // before running.
        #expect(good.output.contains("audit log intact: 9 events, head "))
        try StoreFixture.tamper(folder) { db in
            try db.execute(sql: "UPDATE audit_events SET principal = 'mallory' WHERE idx = 4")
        }
        let bad = try Self.modelgate(["audit", "verify", "--state", folder.url.path])
        #expect(bad.status == 1)
        #expect(bad.output.contains("BROKEN at event 4") && bad.output.contains("a field of this event was changed"))
    }

    /// Cutting the newest events off leaves a chain that verifies by itself; a receipt or a head
    /// noted earlier, given as an anchor, shows the cut.
    @Test func anAnchorCatchesATruncatedLog() throws {
        let (folder, results) = try state()
        let last = try #require(try JSONSerialization.jsonObject(with: Data(results[2].utf8)) as? [String: Any])
        let receipt = try #require(last["receipt"] as? [String: Any])
        let anchor = "\(receipt["index"] as! Int):\(receipt["hash"] as! String)"
        #expect(try Self.modelgate(["audit", "verify", "--state", folder.url.path, "--anchor", anchor]).status == 0)
        try StoreFixture.tamper(folder) { db in try db.execute(sql: "DELETE FROM audit_events WHERE idx >= 8") }
        #expect(try Self.modelgate(["audit", "verify", "--state", folder.url.path]).status == 0)
        let cut = try Self.modelgate(["audit", "verify", "--state", folder.url.path, "--anchor", anchor])
        #expect(cut.status == 1 && cut.output.contains("anchor event 9 is gone"))
        let malformed = try Self.modelgate(["audit", "verify", "--state", folder.url.path, "--anchor", "7:abc"])
        #expect(malformed.status != 0 && malformed.errors.contains("INDEX:HASH"))
    }

    @Test func exportFiltersAndEveryExportedEventRehashes() throws {
        let (folder, _) = try state()
        let all = try Self.modelgate(["audit", "export", "--state", folder.url.path])
        let events = try JSONDecoder().decode([AuditEvent].self, from: Data(all.output.utf8))
        #expect(events.map(\.index) == Array(1...9))
        // Everything the hash covers is in the export: each event checks out without the store.
        #expect(events.allSatisfy { $0.hashIsValid })
        #expect(zip(events.dropFirst(), events).allSatisfy { $0.previousHash == $1.hash })

        let bob = try Self.modelgate(["audit", "export", "--state", folder.url.path, "--principal", "bob"])
        let bobs = try JSONDecoder().decode([AuditEvent].self, from: Data(bob.output.utf8))
        #expect(bobs.map(\.kind) == [.jobAdmitted, .jobFinished] && bobs.allSatisfy { $0.principal == "bob" })
        let refused = try Self.modelgate(["audit", "export", "--state", folder.url.path, "--kind", "job_refused"])
        #expect(try JSONDecoder().decode([AuditEvent].self, from: Data(refused.output.utf8)).count == 1)
        let future = try Self.modelgate(["audit", "export", "--state", folder.url.path, "--since", "2999-01-01"])
        #expect(future.output == "[]\n")
        let past = try Self.modelgate([
            "audit", "export", "--state", folder.url.path, "--until", "2000-01-01T00:00:00Z",
        ])
        #expect(past.output == "[]\n")
        let badDay = try Self.modelgate(["audit", "export", "--state", folder.url.path, "--since", "yesterday"])
        #expect(badDay.status != 0 && badDay.errors.contains("--since 'yesterday'"))

        let csv = try Self.modelgate(["audit", "export", "--state", folder.url.path, "--format", "csv"])
        let lines = csv.output.split(separator: "\n")
        #expect(lines.first == "index,at,kind,principal,dataset,job,detail,previousHash,hash")
        #expect(lines.count == 10)
        // The detail is JSON, quoted with its quotes doubled (RFC 4180).
        #expect(lines[1].contains(#""{""owner"":""statistics-bureau"""#))
    }

    @Test func aReceiptChecksTheSavedResultAgainstTheLog() throws {
        let (folder, results) = try state()
        let saved = try folder.write("result.json", results[0])
        let good = try Self.modelgate(["audit", "receipt", saved.path, "--state", folder.url.path])
        #expect(good.status == 0 && good.output.contains("receipt valid"))
        // A released count changed after the fact no longer matches what was recorded.
        let original = try #require(results[0].range(of: #""value" : \d+"#, options: .regularExpression))
        var altered = results[0]
        altered.replaceSubrange(original, with: "\"value\" : 999999")
        let forged = try folder.write("forged.json", altered)
        let bad = try Self.modelgate(["audit", "receipt", forged.path, "--state", folder.url.path])
        #expect(bad.status == 1 && bad.output.contains("the result's content hashes to"))
        // A refusal turned into a release, keeping the refusal's receipt.
        var promoted = try #require(try JSONSerialization.jsonObject(with: Data(results[1].utf8)) as? [String: Any])
        #expect(promoted["status"] as? String == "refused")
        promoted["status"] = "released"
        promoted["reason"] = nil
        let fake = try folder.write(
            "promoted.json", String(decoding: try JSONSerialization.data(withJSONObject: promoted), as: UTF8.self))
        let caught = try Self.modelgate(["audit", "receipt", fake.path, "--state", folder.url.path])
        #expect(caught.status == 1, "\(caught.output)")
        // The genuine refusal's receipt is valid.
        let refusal = try folder.write("refusal.json", results[1])
        #expect(try Self.modelgate(["audit", "receipt", refusal.path, "--state", folder.url.path]).status == 0)
    }

    @Test func usageReportCountsWhatWasRecorded() throws {
        let (folder, _) = try state()
        let year = Timestamp.day(Date()).prefix(4)
        let json = try Self.modelgate([
            "usage", "report", "--state", folder.url.path, "--year", "\(year)", "--format", "json",
        ])
        let report = try JSONDecoder().decode(UsageReport.self, from: Data(json.output.utf8))
        #expect(report.totals.jobs == 3 && report.totals.researchers == 2)
        #expect(report.lines.first { $0.status == "released" }?.jobs == 2)
        #expect(report.reasons.map(\.code) == ["column_not_allowed"])
        // The suppressed share is in the JSON itself, not only computed by readers.
        #expect(json.output.contains("\"suppressionRate\""))
        let empty = try Self.modelgate(["usage", "report", "--state", folder.url.path, "--year", "1999"])
        #expect(empty.output.contains("0 jobs") && empty.output.contains("no jobs recorded"))
        let table = try Self.modelgate(["usage", "report", "--state", folder.url.path])
        #expect(table.output.contains("Reasons for refused and failed jobs"))
        #expect(table.output.contains("column_not_allowed"))
        // CSV: one row per dataset, model and status, the same counts as the JSON.
        let csv = try Self.modelgate(["usage", "report", "--state", folder.url.path, "--format", "csv"])
        let rows = csv.output.split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        #expect(rows.first == ["year", "dataset", "model", "status", "jobs", "cpu_seconds"])
        #expect(rows.dropFirst().map { Int($0[4]) ?? 0 }.reduce(0, +) == report.totals.jobs)
        #expect(rows.dropFirst().contains { $0[1] == "household-survey" && $0[3] == "released" && $0[4] == "2" })
        // A dataset that is not there is an error that lists those that are.
        let unknown = try Self.modelgate(["usage", "report", "--state", folder.url.path, "--dataset", "houshold"])
        #expect(
            unknown.status == 1 && unknown.errors.contains("its datasets are household-survey"), "\(unknown.errors)")
    }

    /// `run --principal` names a principal the store knows; without it the job is recorded for
    /// the operating-system user. A malformed anchor shows the verify command's own usage.
    @Test func theCommandLineRecordsJobsForKnownPrincipalsOnly() throws {
        let (folder, _) = try state()
        let spec = try folder.write("summary.yaml", "model: summary\ndataset: household-survey\nvariables: [age]")
        let typo = try Self.modelgate(["run", spec.path, "--state", folder.url.path, "--principal", "alcie"])
        #expect(typo.status == 1 && typo.errors.contains("no principal 'alcie'"), "\(typo.errors)")
        #expect(typo.errors.contains("alice"))
        let mine = try Self.modelgate(["run", spec.path, "--state", folder.url.path])
        #expect(mine.status == 0, "\(mine.errors)")
        let user = ProcessInfo.processInfo.userName
        let listed = try Self.modelgate([
            "audit", "export", "--state", folder.url.path, "--principal", "os:\(user)",
        ])
        #expect(listed.output.contains("job_finished"), "\(listed.output.prefix(300))")
        let anchor = try Self.modelgate(["audit", "verify", "--state", folder.url.path, "--anchor", "12:nothex"])
        #expect(anchor.status != 0 && anchor.errors.contains("Usage: modelgate audit verify"), "\(anchor.errors)")
    }

    /// A line break inside a field is quoted, so it cannot add rows to an auditor's sheet.
    @Test func csvQuotesLineBreaksOfEveryKind() {
        #expect(CSVText.field("a\r\nb") == "\"a\r\nb\"")
        #expect(CSVText.field("a\nb") == "\"a\nb\"")
        #expect(CSVText.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSVText.field("plain") == "plain")
    }

    @Test func readingCommandsRefuseAStateWithoutALog() throws {
        let folder = try TemporaryFolder()
        let run = try Self.modelgate(["audit", "verify", "--state", folder.url.appendingPathComponent("none").path])
        #expect(run.status == 1 && run.errors.contains("there is no audit log"))
        #expect(!FileManager.default.fileExists(atPath: folder.url.appendingPathComponent("none").path))
    }
}

extension AuditCommandTests {
    /// `principal add` prints a token once and keeps only its hash; an owner needs its body.
    @Test func principalAddPrintsATokenAndKeepsOnlyItsHash() throws {
        let folder = try TemporaryFolder()
        let state = folder.url.path
        let added = try Self.modelgate(["principal", "add", "--role", "researcher", "--name", "ria", "--state", state])
        let token = added.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(added.status == 0 && token.hasPrefix("mg_") && token.count == 3 + 12 + 1 + 64)
        let stored = ["", "-wal"].map {
            FileManager.default.contents(atPath: folder.url.appendingPathComponent(SQLiteStore.fileName + $0).path)
                ?? Data()
        }.reduce(Data(), +)
        #expect(stored.range(of: Data(token.utf8)) == nil, "the token itself is stored")
        #expect(stored.range(of: Data(Tokens.hash(token).utf8)) != nil, "its hash is not stored")
        let ownerless = try Self.modelgate(["principal", "add", "--role", "owner", "--name", "o", "--state", state])
        #expect(ownerless.status != 0 && ownerless.errors.contains("an owner needs the body it answers for"))
        let twice = try Self.modelgate(["principal", "add", "--role", "auditor", "--name", "ria", "--state", state])
        #expect(twice.status != 0 && twice.errors.contains("already exists"))
        let list = try Self.modelgate(["principal", "list", "--state", state])
        #expect(list.output.contains("ria\tresearcher") && !list.output.contains(token))
    }
}
