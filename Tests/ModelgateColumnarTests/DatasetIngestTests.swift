import Foundation
import ModelgateColumnFiles
import ModelgateTestSupport
import Synchronization
import Testing

@testable import ModelgateColumnar
@testable import ModelgateCore

@Suite struct DatasetIngestTests {
    let header = "person_id,district,age,sector,income,insured,notes"

    func ingest(_ rows: [String], in folder: TemporaryFolder, chunkBytes: Int? = nil) throws -> DatasetManifest {
        let csv = try folder.write("data.csv", ([header] + rows).joined(separator: "\n") + "\n")
        var ingest = DatasetIngest(state: folder.url)
        if let chunkBytes { ingest.chunkBytes = chunkBytes }
        return try ingest.ingest(policyText: Fixtures.policyText, csv: csv)
    }

    func failure(_ rows: [String], chunkBytes: Int? = nil) throws -> String {
        let folder = try TemporaryFolder()
        do {
            _ = try ingest(rows, in: folder, chunkBytes: chunkBytes)
        } catch let error as ModelgateError {
            #expect(error.code == "csv_invalid")
            #expect(DatasetStore(state: folder.url).list().isEmpty, "a failed ingest left a dataset")
            return error.message
        }
        Issue.record("ingest accepted bad rows")
        return ""
    }

    @Test func storesTypedColumnsThatReadBackExactly() throws {
        let folder = try TemporaryFolder()
        let manifest = try ingest(
            [
                "P1,North,34,it,1234.56,1,hello",
                "P2,South,,retail,,0,",
                "P3,\"North\",70,it,0.1,true,\"a, b\"",
            ], in: folder)
        #expect(manifest.rowCount == 3)
        // Identifier and free-text columns are checked but never stored.
        #expect(manifest.columns.map(\.name) == ["district", "age", "sector", "income", "insured"])
        #expect(manifest.column(named: "age")?.width == 1)
        #expect(manifest.column(named: "age")?.missing == 1)

        let dataset = try #require(try DatasetStore(state: folder.url).open("survey"))
        #expect(dataset.manifest == manifest)
        let columns = try dataset.columns(["district", "age", "income", "insured"])
        let district = try #require(columns["district"])
        #expect(district.levels == ["North", "South"])
        #expect((0..<3).map { district.code(at: $0) } == [0, 1, 0])
        let age = try #require(columns["age"])
        #expect(age.isValid(0) && !age.isValid(1) && age.isValid(2))
        #expect(age.double(at: 2) == 70)
        let income = try #require(columns["income"])
        #expect(income.double(at: 0) == 1234.56)
        #expect(income.double(at: 2) == 0.1)
        #expect(!income.isValid(1))
        #expect((0..<3).map { columns["insured"]!.double(at: $0) } == [1, 0, 1])
    }

    @Test func versionIsAHashOfTheContent() throws {
        let rows = ["P1,North,34,it,10,1,", "P2,South,40,it,20,0,"]
        let first = try ingest(rows, in: TemporaryFolder())
        let again = try ingest(rows, in: TemporaryFolder())
        let changed = try ingest(["P1,North,34,it,10,1,", "P2,South,40,it,21,0,"], in: TemporaryFolder())
        #expect(first.version == again.version)
        #expect(first.version != changed.version)
        #expect(first.version.count == 64)
    }

    @Test(arguments: [
        (
            ["P1,North,34,it,10,1,", "P2,North,34,it,10,1,", "P3,North,thirty,it,10,1,"],
            "line 4, column 'age': 'thirty' is not a whole number"
        ),
        (["P1,North,130,it,10,1,"], "line 2, column 'age': 130 is outside the policy's range"),
        (["P1,North,34,it,-5,1,"], "line 2, column 'income': -5 is outside the policy's range [0, 1000000]"),
        (["P1,North,34,it,1e400,1,"], "column 'income': '1e400' is not a number"),
        (["P1,North,34,it,10,maybe,"], "line 2, column 'insured': 'maybe' is not a boolean"),
        (["P1,North,34,it,10,1,", "P2,North,34,it"], "line 3: only 4 fields"),
        (["P1,North,34,it,10,1,,extra"], "line 2: more than 7 fields"),
        (["P1,\"North,34,it,10,1,"], "unterminated quote"),
    ])
    func badRowsStopIngestWithTheirLineNumber(rows: [String], message: String) throws {
        let text = try failure(rows)
        #expect(text.contains(message), "\(text)")
        #expect(text.contains("nothing was ingested"))
    }

    @Test func headerMustMatchThePolicy() throws {
        let folder = try TemporaryFolder()
        let csv = try folder.write("data.csv", "person_id,district,age,sector,income,salary\nP1,N,1,x,2,3\n")
        do {
            _ = try DatasetIngest(state: folder.url).ingest(policyText: Fixtures.policyText, csv: csv)
            Issue.record("a header with an unclassified column was accepted")
        } catch let error as ModelgateError {
            #expect(error.message.contains("line 1 (header)"))
            #expect(error.message.contains("'salary' has no entry in the policy"))
            #expect(error.message.contains("policy column 'insured' is not in the CSV header"))
        }
    }

    @Test(arguments: [
        // Row 1500 is line 1502 (the header is line 1).
        (2000, 1500, "P1500,North,40,it,oops,1,", "line 1502, column 'income'"),
        (400, 200, "", "line 202: blank line"),
    ])
    func lineNumbersCountAcrossParallelChunks(rows count: Int, bad: Int, row: String, message: String) throws {
        var rows = (0..<count).map { "P\($0),North,\($0 % 90),it,\($0),1," }
        rows[bad] = row
        let text = try failure(rows, chunkBytes: 1024)
        #expect(text.contains(message), "\(text)")
    }

    @Test func parallelChunksGiveTheSameDatasetAsOne() throws {
        let rows = (0..<3000).map { "P\($0),D\($0 % 7),\($0 % 90),s\($0 % 3),\($0).5,\($0 % 2)," }
        let whole = try ingest(rows, in: TemporaryFolder())
        let chunked = try ingest(rows, in: TemporaryFolder(), chunkBytes: 1024)
        #expect(whole.version == chunked.version)
    }

    @Test func aFailedIngestLeavesThePreviousVersionInPlace() throws {
        let folder = try TemporaryFolder()
        let good = try ingest(["P1,North,34,it,10,1,", "P2,South,40,it,20,0,"], in: folder)
        #expect(throws: ModelgateError.self) {
            _ = try ingest(["P1,North,34,it,10,1,", "P2,South,old,it,20,0,"], in: folder)
        }
        let current = try #require(try DatasetStore(state: folder.url).open("survey"))
        #expect(current.manifest.version == good.version)
        #expect(current.manifest.rowCount == 2)
        let entries = try FileManager.default.contentsOfDirectory(
            atPath: folder.url.appendingPathComponent("datasets/survey").path)
        // The secret was made when the dataset was first opened (see the next test).
        #expect(
            entries.sorted() == ["current", "secret", "v-\(good.version.prefix(16))-\(good.policySHA256.prefix(8))"])
    }

    @Test func theDatasetSecretIsMadeOnceReadableByItsOwnerAloneAndKeptAcrossVersions() throws {
        let folder = try TemporaryFolder()
        _ = try ingest(["P1,North,34,it,10,1,", "P2,South,40,it,20,0,"], in: folder)
        // Stores opened at once (as concurrent jobs do) must agree on one secret.
        let opened = Mutex<[[UInt8]]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            let secret = (try? DatasetStore(state: folder.url).open("survey"))??.secret ?? []
            opened.withLock { $0.append(secret) }
        }
        let secrets = opened.withLock { $0 }
        #expect(secrets.count == 8 && Set(secrets).count == 1 && secrets[0].count == 32)
        #expect(Set(secrets[0]).count > 8)
        let path = folder.url.appendingPathComponent("datasets/survey/secret").path
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        #expect(mode & 0o077 == 0)
        // A new version keeps it; another state draws another.
        _ = try ingest(["P1,North,34,it,10,1,", "P2,South,41,it,20,0,"], in: folder)
        let next = try #require(try DatasetStore(state: folder.url).open("survey"))
        #expect(next.secret == secrets[0] && next.versionContext != "")
        let elsewhere = try TemporaryFolder()
        _ = try ingest(["P1,North,34,it,10,1,", "P2,South,40,it,20,0,"], in: elsewhere)
        #expect(try #require(try DatasetStore(state: elsewhere.url).open("survey")).secret != secrets[0])
        // A damaged secret is never silently replaced: that would change which cells later
        // tables withhold.
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: ModelgateError.self) { try DatasetStore(state: folder.url).open("survey") }
        #expect(error?.message.contains(path) == true)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).count == 3)
        let leftovers = try FileManager.default.contentsOfDirectory(
            atPath: folder.url.appendingPathComponent("datasets/survey").path)
        #expect(!leftovers.contains { $0.hasPrefix(".secret") })
    }

    @Test func aNewPolicyOverTheSameDataTakesEffect() throws {
        let folder = try TemporaryFolder()
        let rows = ["P1,North,34,it,10,1,", "P2,South,40,it,20,0,"]
        let open = try ingest(rows, in: folder)
        let csv = try folder.write("data.csv", ([header] + rows).joined(separator: "\n") + "\n")
        let closedPolicy = Fixtures.policyText.replacingOccurrences(
            of: "openAttribute: conditional", with: "openAttribute: closed")
        let closed = try DatasetIngest(state: folder.url).ingest(policyText: closedPolicy, csv: csv)
        #expect(closed.version == open.version)
        let current = try #require(try DatasetStore(state: folder.url).open("survey"))
        #expect(current.policy.dataset.openAttribute == .closed)
    }

    @Test func identifierColumnsAreNeverStoredWhateverTheirType() throws {
        let folder = try TemporaryFolder()
        let policy = Fixtures.policyText.replacingOccurrences(
            of: "person_id: { class: identifier,       type: string }",
            with: "person_id: { class: identifier,       type: category }")
        let csv = try folder.write("data.csv", "\(header)\nP1,North,34,it,10,1,\nP2,South,40,it,20,0,\n")
        let manifest = try DatasetIngest(state: folder.url).ingest(policyText: policy, csv: csv)
        #expect(manifest.column(named: "person_id") == nil)
        let files = try FileManager.default.contentsOfDirectory(
            atPath: folder.url.appendingPathComponent("datasets/survey/current").path)
        #expect(!files.contains { $0.hasPrefix("person_id") })
    }

    @Test func aPrivacyUnitIsKeptAsAnonymousCodesOnly() throws {
        let folder = try TemporaryFolder()
        let policy =
            Fixtures.policyText
            + "\nprivacy: { mode: dp, datasetEpsilon: 10, agreementEpsilon: 2, maxEpsilonPerJob: 0.5, "
            + "unit: { column: person_id, maxRowsPerUnit: 2 } }"
        // Two households, HH-SECRET-7 and HH-SECRET-3, in chunks of a few bytes.
        let csv = try folder.write(
            "data.csv",
            "\(header)\nHH-SECRET-7,North,34,it,10,1,\nHH-SECRET-3,South,40,it,20,0,\nHH-SECRET-7,South,41,it,30,0,\n")
        var ingest = DatasetIngest(state: folder.url)
        ingest.chunkBytes = 40
        let manifest = try ingest.ingest(policyText: policy, csv: csv)
        let column = try #require(manifest.column(named: "person_id"))
        #expect(column.encoding == .codes && column.levels.isEmpty)
        // Codes by first appearance (not by the values' order), the same household the same code.
        let dataset = try #require(try DatasetStore(state: folder.url).open("survey"))
        let units = try dataset.columns(["person_id"])["person_id"]!
        #expect((0..<3).map { units.code(at: $0) } == [0, 1, 0])
        // No file of the dataset holds any of the values.
        let current = folder.url.appendingPathComponent("datasets/survey/current")
        for name in try FileManager.default.contentsOfDirectory(atPath: current.path) {
            let bytes = try Data(contentsOf: current.appendingPathComponent(name))
            #expect(bytes.range(of: Data("HH-SECRET".utf8)) == nil, "\(name) holds a household id")
        }
    }

    @Test func textAfterAClosingQuoteIsNamed() throws {
        let text = try failure(["P1,\"North\"x,34,it,10,1,"])
        #expect(text.contains("line 2, column 'district': text after a closing quote"), "\(text)")
    }

    @Test func crlfLineEndsAByteOrderMarkAndQuotedNewlinesAreRead() throws {
        let folder = try TemporaryFolder()
        let text =
            "\u{FEFF}\(header)\r\nP1,North,34,it,10,1,\"two\r\nlines\"\r\nP2,\"So\"\"uth\",40,it,20,0,\r\n"
            + "P3,South,x,it,20,0,\r\n"
        let csv = try folder.write("data.csv", text)
        do {
            _ = try DatasetIngest(state: folder.url).ingest(policyText: Fixtures.policyText, csv: csv)
            Issue.record("a bad age was accepted")
        } catch let error as ModelgateError {
            // The quoted newline makes the third record start on line 5.
            #expect(error.message.contains("line 5, column 'age'"), "\(error.message)")
        }
        let good = try folder.write("good.csv", String(text.split(separator: "P3")[0]))
        let manifest = try DatasetIngest(state: folder.url).ingest(policyText: Fixtures.policyText, csv: good)
        #expect(manifest.rowCount == 2)
        #expect(manifest.column(named: "district")?.levels == ["North", "So\"uth"])
    }

    @Test func categoryLevelsAreTheirBytesAndMustBeUTF8() throws {
        let folder = try TemporaryFolder()
        // "é" precomposed and decomposed: equal as Swift Strings, distinct values in the data.
        let csv = try folder.write("data.csv", "\(header)\nP1,\u{E9},34,it,10,1,\nP2,e\u{301},40,it,20,0,\n")
        let manifest = try DatasetIngest(state: folder.url).ingest(policyText: Fixtures.policyText, csv: csv)
        #expect(
            manifest.column(named: "district")?.levels.map { Array($0.utf8) } == [[0x65, 0xCC, 0x81], [0xC3, 0xA9]])
        var bytes = Array("\(header)\nP1,North,34,it,10,1,\nP2,".utf8)
        bytes += [0xFE, 0xFF] + Array(",40,it,20,0,\n".utf8)
        let bad = folder.url.appendingPathComponent("bad.csv")
        try Data(bytes).write(to: bad)
        #expect {
            try DatasetIngest(state: folder.url).ingest(policyText: Fixtures.policyText, csv: bad)
        } throws: { error in
            (error as? ModelgateError)?.message.contains("line 3, column 'district': the value is not valid UTF-8")
                == true
        }
    }

    @Test func reingestReplacesTheVersion() throws {
        let folder = try TemporaryFolder()
        _ = try ingest(["P1,North,34,it,10,1,"], in: folder)
        let second = try ingest(["P1,North,34,it,10,1,", "P2,South,40,it,20,0,"], in: folder)
        #expect(try DatasetStore(state: folder.url).open("survey")?.manifest.version == second.version)
    }
}
