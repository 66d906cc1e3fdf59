import ArgumentParser
import Foundation
import ModelgateGateway
import ModelgateTestSupport
import Testing

@testable import ModelgateCLI
@testable import ModelgateCore

@Suite struct ModelgateCommandTests {
    @Test func runHelpTeachesTheSpecAndTheExitStatus() {
        let help = ModelgateCommand.helpMessage(for: RunCommand.self)
        #expect(help.contains("model: crosstab"))
        #expect(help.contains("Exit status: 0 released, 3 refused"))
        #expect(help.contains("--format <format>"))
        let words = help.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(words.contains("(values: table, json, csv; default: json)"))
    }

    @Test func submitHelpTeachesWhereTheGatewayAndTokenComeFrom() {
        let help = ModelgateCommand.helpMessage(for: SubmitCommand.self)
        for text in ["MODELGATE_URL", "MODELGATE_TOKEN", "--wait", "Exit status: 0 released", "modelgate jobs wait"] {
            #expect(help.contains(text), "\(text)")
        }
    }

    @Test func rootHelpListsEveryCommand() {
        let help = ModelgateCommand.helpMessage()
        for command in ["demo", "run", "ingest", "policy", "audit", "usage", "sandbox", "submit", "jobs"] {
            #expect(help.contains("  \(command)"))
        }
    }

    @Test func lintFailsOnABadPolicyAndPassesAGoodOne() throws {
        let folder = try TemporaryFolder()
        let good = try folder.write("good.yaml", Fixtures.policyText)
        let bad = try folder.write("bad.yaml", Fixtures.policyText + "\nthreshold: 5\n")
        try PolicyCommand.Lint.parse([good.path]).run()
        #expect(throws: ExitCode.failure) { try PolicyCommand.Lint.parse([good.path, bad.path]).run() }
    }

    @Test func runExitsThreeOnARefusalAndZeroOnARelease() throws {
        let folder = try TemporaryFolder()
        let policy = try folder.write("policy.yaml", Fixtures.policyText)
        let rows = (0..<200).map { "P\($0),D\($0 % 3),\(20 + $0 % 50),s\($0 % 2),\(1000 + $0),\($0 % 2),x" }
        let csv = try folder.write(
            "data.csv", (["person_id,district,age,sector,income,insured,notes"] + rows).joined(separator: "\n"))
        let state = ["--state", folder.url.path]
        try IngestCommand.parse(["--policy", policy.path, "--csv", csv.path] + state).run()
        let released = try folder.write("ok.yaml", "model: crosstab\ndataset: survey\nrows: [district]")
        try RunCommand.parse([released.path, "--format", "table"] + state).run()
        let refused = try folder.write("no.yaml", "model: crosstab\ndataset: survey\nrows: [person_id]")
        #expect(throws: ExitCode(3)) { try RunCommand.parse([refused.path] + state).run() }
    }

    @Test func aMissingFileIsAnErrorNotAUsageMistake() {
        // ArgumentParser exits 64 with the usage text for a ValidationError; a missing file is an
        // ordinary error (exit 1) that names the file.
        #expect {
            try RunCommand.parse(["/nonexistent/spec.yaml"]).run()
        } throws: { error in
            (error as? ModelgateError)?.message.contains("'/nonexistent/spec.yaml'") == true
        }
    }

    @Test func ingestOfABadFileFailsWithTheLine() throws {
        let folder = try TemporaryFolder()
        let policy = try folder.write("policy.yaml", Fixtures.policyText)
        let csv = try folder.write(
            "data.csv", "person_id,district,age,sector,income,insured,notes\nP1,D,20,s,10,1,x\nP2,D,200,s,10,1,x\n")
        #expect {
            try IngestCommand.parse(["--policy", policy.path, "--csv", csv.path, "--state", folder.url.path]).run()
        } throws: { error in
            (error as? ModelgateError)?.message.contains("line 3, column 'age'") == true
        }
    }
}

extension ModelgateCommandTests {
    @Test func sandboxCheckRunsTheNamedProbesAndRejectsUnknownOnes() throws {
        try SandboxCommand.Check.parse(["--only", "socket,hang"]).run()
        #expect(throws: ValidationError.self) { try SandboxCommand.Check.parse(["--only", "socket,teleport"]).run() }
    }
}

extension ModelgateCommandTests {
    /// `modelgate run --preview --format table` lists each noisy figure with its share of ε and
    /// its scale, worked out here by hand: a regression of visits (clamped to 0–10) on age (16–90)
    /// has six figures at ε 0.5/6; the count moves by 1, age × visits by 90 · 10.
    @Test func aPreviewListsEachFigureAndItsNoise() throws {
        let folder = try TemporaryFolder()
        _ = try DemoDataset.prepare(rows: 300, policyText: try Fixtures.dpPolicy(), state: folder.url)
        let pipeline = try JobPipeline(state: folder.url)
        let spec = try #require(try Fixtures.exampleSpecs(in: "models/dp").first { $0.name.hasPrefix("regression") })
        let text = RunCommand.text(
            try pipeline.preview(specText: spec.text, principal: "operator", needsAgreement: false))
        #expect(text.hasPrefix("ε 0.5, discrete_laplace noise:\n"), "\(text)")
        #expect(text.contains("  count (ε 0.5/6, scale 12): within ±36 of the exact one 95 times in 100"), "\(text)")
        #expect(text.contains("  sum of age × hospital_visits (ε 0.5/6, scale 10800): within ±"), "\(text)")
        #expect(try pipeline.store.privacyAccount(dataset: "household-survey-dp").total == .zero)
    }
}

extension ModelgateCommandTests {
    @Test func theProgramSaysItsVersion() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Fixtures.builtProgram("modelgate"))
        process.arguments = ["--version"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0 && text == ModelgateCommand.version + "\n", "\(text)")
        #expect(ModelgateCommand.version.split(separator: ".").count == 3)
    }
}
