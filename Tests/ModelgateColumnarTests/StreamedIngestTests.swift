import Foundation
import ModelgateColumnFiles
import ModelgateTestSupport
import Testing

@testable import ModelgateColumnar
@testable import ModelgateCore

/// Ingest of files that span many chunks and windows: what is stored must be what the CSV says,
/// whatever the chunks, although each column is written as its chunks are parsed.
@Suite struct StreamedIngestTests {
    let header = "person_id,district,age,sector,income,insured,notes"
    /// Ages may be wide and negative, so that the age column's width grows as it is written.
    let policy = Fixtures.policyText.replacingOccurrences(of: "min: 0, max: 120", with: "min: -100000, max: 100000")

    func ingest(_ text: String, in folder: TemporaryFolder, chunkBytes: Int? = nil) throws -> DatasetManifest {
        let csv = try folder.write("data.csv", text)
        var ingest = DatasetIngest(state: folder.url)
        if let chunkBytes { ingest.chunkBytes = chunkBytes }
        return try ingest.ingest(policyText: policy, csv: csv)
    }

    /// 4,000 rows in some 150 chunks of 1 KB. Levels that sort first turn up only late, a
    /// category outgrows one-byte codes after the first chunks, ages outgrow one byte and then
    /// two, and values are missing in many chunks.
    func rows() -> [[String]] {
        (0..<4000).map { row in
            let district = row % 97 == 0 ? "" : row >= 3500 && row % 3 == 0 ? "Aa late" : "D\(row % 5)"
            let age =
                row % 89 == 0
                ? "" : row == 3000 ? "-30000" : row == 3900 ? "70000" : row % 7 == 0 ? "-5" : "\(row % 90)"
            let sector = row < 2000 ? "s\(row % 3)" : "t\(row)"
            return ["P\(row)", district, age, sector, "\(row).25", "\(row % 2)", ""]
        }
    }

    func text(_ rows: [[String]]) -> String {
        ([header] + rows.map { $0.joined(separator: ",") }).joined(separator: "\n") + "\n"
    }

    @Test func columnsWrittenChunkByChunkHoldWhatTheCSVSays() throws {
        let rows = rows()
        let folder = try TemporaryFolder()
        let manifest = try ingest(text(rows), in: folder, chunkBytes: 1024)
        #expect(manifest.rowCount == rows.count)
        #expect(manifest.column(named: "age")?.width == 4)
        #expect(manifest.column(named: "sector")?.width == 2)
        #expect(manifest.column(named: "district")?.width == 1)

        let dataset = try #require(try DatasetStore(state: folder.url).open("survey"))
        let columns = try dataset.columns(["district", "age", "sector", "income", "insured"])
        for (index, name) in [(1, "district"), (3, "sector")] {
            let column = try #require(columns[name])
            // Levels in the order of their bytes, each row's code its value's place among them.
            let values = rows.map { $0[index] }
            let levels = Set(values.filter { !$0.isEmpty }).sorted { Array($0.utf8).lexicographicallyPrecedes($1.utf8) }
            #expect(column.levels == levels)
            let expected = values.map { $0.isEmpty ? nil : levels.firstIndex(of: $0) }
            let stored = (0..<rows.count).map { column.isValid($0) ? column.code(at: $0) : nil }
            #expect(stored == expected, "\(name)")
        }
        let age = try #require(columns["age"])
        #expect((0..<rows.count).map { age.isValid($0) ? age.double(at: $0) : nil } == rows.map { Double($0[2]) })
        #expect((0..<rows.count).map { columns["income"]!.double(at: $0) } == rows.map { Double($0[4])! })
        #expect((0..<rows.count).map { columns["insured"]!.double(at: $0) } == rows.map { Double($0[5])! })
        #expect(manifest.column(named: "district")?.missing == rows.filter { $0[1].isEmpty }.count)
    }

    @Test func theVersionAndTheFilesDoNotDependOnTheChunks() throws {
        let text = text(rows())
        let wholeFolder = try TemporaryFolder()
        let whole = try ingest(text, in: wholeFolder)
        for chunkBytes in [200, 1024, 5000] {
            let folder = try TemporaryFolder()
            #expect(try ingest(text, in: folder, chunkBytes: chunkBytes).version == whole.version)
            // The files themselves, not only the digests the version is made of.
            #expect(try storedFiles(folder) == storedFiles(wholeFolder), "chunks of \(chunkBytes) bytes")
        }
    }

    /// The current version's column and validity files, by name.
    func storedFiles(_ folder: TemporaryFolder) throws -> [String: Data] {
        let current = folder.url.appendingPathComponent("datasets/survey/current")
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: current.path)
        where name.hasSuffix(".col") || name.hasSuffix(".valid") {
            files[name] = try Data(contentsOf: current.appendingPathComponent(name))
        }
        return files
    }

    @Test func aBadRowInTheLastChunkLeavesThePreviousVersionAndNoWorkFolder() throws {
        let folder = try TemporaryFolder()
        var rows = rows()
        let good = try ingest(text(rows), in: folder, chunkBytes: 1024)
        rows[rows.count - 1][4] = "lots"
        let error = #expect(throws: ModelgateError.self) {
            try ingest(text(rows), in: folder, chunkBytes: 1024)
        }
        #expect(error?.message.contains("line \(rows.count + 1), column 'income': 'lots' is not a number") == true)
        let entries = try FileManager.default.contentsOfDirectory(
            atPath: folder.url.appendingPathComponent("datasets/survey").path)
        #expect(entries.sorted() == ["current", "v-\(good.version.prefix(16))-\(good.policySHA256.prefix(8))"])
        let current = try #require(try DatasetStore(state: folder.url).open("survey"))
        #expect(current.manifest.version == good.version)
    }

    @Test func quotedFieldsAcrossChunksAreReadInOrder() throws {
        // Quotes (with line breaks and commas in them) only from the middle of the file on:
        // chunks before them are parsed side by side, the rest one after another.
        var rows = rows()
        for row in stride(from: 2000, to: rows.count, by: 10) {
            rows[row][6] = "\"a note, over\ntwo lines\""
            rows[row][1] = "\"\(rows[row][1])\""
        }
        let whole = try ingest(text(rows), in: TemporaryFolder())
        #expect(whole.rowCount == rows.count)
        let chunked = try ingest(text(rows), in: TemporaryFolder(), chunkBytes: 1024)
        #expect(chunked.version == whole.version)

        // A line number after quoted line breaks counts them.
        rows[3995][2] = "old"
        let error = #expect(throws: ModelgateError.self) {
            try ingest(text(rows), in: TemporaryFolder(), chunkBytes: 1024)
        }
        let breaks = Array(stride(from: 2000, to: 3995, by: 10)).count
        #expect(error?.message.contains("line \(3995 + 2 + breaks), column 'age'") == true, "\(error?.message ?? "")")
    }

    @Test func chunksEndAfterALineBreakAndAQuoteEndsTheWindow() throws {
        let bytes = Array("a,1\nbb,2\nccc,3\n\"d\",4\ne,5\n".utf8)
        try bytes.withUnsafeBufferPointer { buffer in
            let start = try #require(buffer.baseAddress)
            let end = start + buffer.count
            let chunks = DatasetIngest.chunks(from: start, to: end, count: 8, chunkBytes: 5)
            #expect(chunks.map { $0.start - start } == [0, 9, 15])
            #expect(chunks.map { $0.end - start } == [9, 15, buffer.count])
            // The range with a quote is cut by its parse, from 5 bytes on.
            #expect(chunks.map { $0.limit.map { $0 - start } } == [nil, nil, 20])
            #expect(chunks.map(\.endsFile) == [false, false, true])
        }
    }
}
