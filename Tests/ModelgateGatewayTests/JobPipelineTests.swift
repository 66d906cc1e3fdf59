import Foundation
import ModelgateColumnar
import ModelgateTestSupport
import Testing

@testable import ModelgateCore
@testable import ModelgateGateway

/// The whole pipeline on the demo dataset, through the shipped policy and example specs.
@Suite struct JobPipelineTests {

    /// Runs `body` with a fresh demo dataset that lives as long as the body runs.
    func withDemo(rows: Int = 3000, _ body: (TemporaryFolder, JobPipeline) throws -> Void) throws {
        let folder = try TemporaryFolder()
        let policy = try String(
            contentsOf: Fixtures.repository.appendingPathComponent("policies/household-survey.yaml"), encoding: .utf8)
        _ = try DemoDataset.prepare(rows: rows, policyText: policy, state: folder.url)
        try withExtendedLifetime(folder) { try body(folder, try JobPipeline(state: folder.url)) }
    }

    @Test func everyExampleSpecRunsToItsExpectedStatus() throws {
        try withDemo(rows: 20000) { _, pipeline in
            let specs = try Fixtures.exampleSpecs()
            #expect(specs.count >= 6)
            for (name, text) in specs {
                let result = try pipeline.run(specText: text)
                let expected: JobResult.Status = name.hasPrefix("refused") ? .refused : .released
                #expect(result.status == expected, "\(name): \(result.reason?.description ?? "")")
                #expect(result.dataset?.id == "household-survey")
            }
        }
    }

    /// The document sent is made once, by putting the receipt into the recorded text; it must be
    /// byte for byte what encoding the result with its receipt gives (receipts are checked so).
    @Test func theDocumentSentIsTheResultEncodedWithItsReceipt() throws {
        try withDemo(rows: 20000) { _, pipeline in
            var texts = try Fixtures.exampleSpecs().map(\.text)
            texts += [
                "model: [unreadable",
                "model: crosstab\ndataset: nowhere\nrows: [sex]",
                "model: crosstab\ndataset: household-survey\nrows: [district]\nlabel: \"a label\"",
                // Released, then refused by the release ledger: the same rows but one.
                "model: crosstab\ndataset: household-survey\nrows: [sex]",
                "model: crosstab\ndataset: household-survey\nrows: [sex]\nwhere: [{ column: age, op: '>', value: 16 }]",
            ]
            var statuses = Set<String>()
            for text in texts {
                let answer = try pipeline.answer(specText: text)
                #expect(answer.result.receipt != nil, "\(text)")
                #expect(answer.text == (try answer.result.jsonText()), "\(text)")
                statuses.insert(answer.result.status.rawValue + "/" + (answer.result.reason?.code.rawValue ?? ""))
            }
            #expect(statuses.count >= 3, "\(statuses)")
            // A request sent again with its Idempotency-Key is answered from the stored document.
            let first = try pipeline.answer(specText: texts[0], idempotencyKey: "k-1")
            let again = try pipeline.answer(specText: texts[0], idempotencyKey: "k-1")
            #expect(again.text == first.text)
            #expect(again.text == (try again.result.jsonText()))
        }
    }

    /// The receipt put into a document whose members all sort before it goes last, as an encoder
    /// puts it; one that sorts after it is put after it.
    @Test func aReceiptIsPutWhereTheEncoderWouldPutIt() throws {
        struct Document: Codable {
            var job: String
            var receipt: Receipt?
            var zone: [String: Int]?
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let receipt = Receipt(index: 7, hash: "ab")
        for zone in [nil, ["b": 2, "a": 1]] {
            let without = String(decoding: try encoder.encode(Document(job: "x", zone: zone)), as: UTF8.self)
            let with = String(
                decoding: try encoder.encode(Document(job: "x", receipt: receipt, zone: zone)), as: UTF8.self)
            #expect(try JobResult.document(without, receipt: receipt) == with)
            #expect(try JobResult.document(without, receipt: nil) == without)
        }
    }

    @Test func releasedResultCarriesTheContractFields() throws {
        try withDemo() { folder, pipeline in
            let manifest = try #require(try DatasetStore(state: folder.url).open("household-survey")).manifest
            let result = try pipeline.run(
                specText: "model: crosstab\ndataset: household-survey\nrows: [district]\ncolumns: [sex]", job: "job-1")
            let json = try #require(
                try JSONSerialization.jsonObject(with: Data(result.jsonText().utf8)) as? [String: Any])
            #expect(json["status"] as? String == "released")
            #expect(json["job"] as? String == "job-1")
            #expect(json["model"] as? String == "crosstab")
            let dataset = try #require(json["dataset"] as? [String: Any])
            #expect(dataset["version"] as? String == manifest.version)
            #expect((dataset["citation"] as? String)?.isEmpty == false)
            let body = try #require(json["result"] as? [String: Any])
            let cells = try #require(body["cells"] as? [[String: Any]])
            #expect(cells.count == 38 * 2)
            // Two districts are deliberately tiny: their cells are suppressed, without saying why.
            let suppressed = cells.filter { $0["suppressed"] as? Bool == true }
            #expect(!suppressed.isEmpty)
            #expect(suppressed.allSatisfy { $0["value"] == nil && $0["rule"] == nil })
            let disclosure = try #require(json["disclosure"] as? [String: Any])
            #expect(disclosure["verdict"] as? String == "suppressed")
            let usage = try #require(json["usage"] as? [String: Any])
            #expect(usage["rowsScanned"] as? Int == 3000)
            // Results only: no identifier ever appears.
            #expect(!(try result.jsonText()).contains("P000000"))
        }
    }

    @Test func sumOfReleasedCellsMatchesAnIndependentCount() throws {
        try withDemo(rows: 2000) { folder, pipeline in
            let csv = try String(
                contentsOf: folder.url.appendingPathComponent("demo/household-survey.csv"), encoding: .utf8)
            var byEducation: [String: Int] = [:]
            for line in csv.split(separator: "\n").dropFirst() {
                byEducation[String(line.split(separator: ",")[4]), default: 0] += 1
            }
            let result = try pipeline.run(specText: "model: crosstab\ndataset: household-survey\nrows: [education]")
            guard case .table(let table)? = result.result else { Issue.record("no table"); return }
            for cell in table.cells where !cell.suppressed {
                #expect(cell.value == Double(byEducation[cell.keys["education"]!]!))
            }
        }
    }

    @Test func unknownDatasetIsARefusalNamingTheKnownOnes() throws {
        try withDemo(rows: 100) { _, pipeline in
            let result = try pipeline.run(specText: "model: summary\ndataset: census\nvariables: [income]")
            #expect(result.status == .refused)
            #expect(result.reason?.code == .unknownDataset)
            #expect(result.reason?.message.contains("household-survey") == true)
        }
    }

    @Test func filterThatLeavesOutAFewPeopleIsRefused() throws {
        try withDemo(rows: 3000) { folder, pipeline in
            // Everyone but the residents of a tiny district: n and the dataset's size would tell
            // how many live there.
            let csv = try String(
                contentsOf: folder.url.appendingPathComponent("demo/household-survey.csv"), encoding: .utf8)
            let residents = csv.split(separator: "\n").filter { $0.split(separator: ",")[1] == "Chengkou" }.count
            #expect(residents > 0 && residents < 10)
            let result = try pipeline.run(
                specText: """
                    model: summary
                    dataset: household-survey
                    variables: [income]
                    where: [{ column: district, op: "!=", value: Chengkou }]
                    """)
            #expect(result.reason?.code == .smallComplement)
            #expect(result.result == nil)
        }
    }

    @Test func filterThatIsolatesAFewPeopleIsRefused() throws {
        try withDemo(rows: 3000) { _, pipeline in
            let result = try pipeline.run(
                specText: """
                    model: summary
                    dataset: household-survey
                    variables: [income]
                    where: [{ column: district, op: "=", value: Wuxi }, { column: age, op: ">", value: 85 }]
                    """)
            #expect(result.status == .refused)
            #expect(result.reason?.code == .belowThreshold)
            #expect(result.result == nil)
        }
    }
}
