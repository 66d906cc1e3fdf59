import Crypto
import Dispatch
import Foundation
import ModelgateColumnFiles
import ModelgateCore
import ModelgateParsing

/// Turns a CSV file into a columnar dataset version under a state folder, typed and checked by
/// the dataset's policy. All or nothing: the new version becomes current only once every file
/// is written; a bad row stops ingest and leaves the previous version as it was.
package struct DatasetIngest: Sendable {
    package let store: DatasetStore
    /// Smallest byte range worth a thread of its own.
    var minimumChunkBytes = 8 << 20

    /// Reports what ingest is doing: a phase name and the fraction of it done.
    package typealias Progress = @Sendable (_ phase: String, _ fraction: Double) -> Void

    package init(state: URL) {
        store = DatasetStore(state: state)
    }

    /// Ingests `csv` under the policy text; returns the new version's manifest.
    package func ingest(policyText: String, csv: URL, progress: Progress? = nil) throws -> DatasetManifest {
        let policy = try Policy(yaml: policyText)
        let file = try MappedFile(path: csv.path, populate: false)
        guard let base = file.base?.assumingMemoryBound(to: UInt8.self) else {
            throw ModelgateError("csv_invalid", "\(csv.path) is empty; it needs a header line and rows")
        }
        let end = base + file.size
        let (order, bodyStart) = try header(base, end, policy: policy, file: csv.lastPathComponent)
        let chunks = Self.split(bodyStart, end, minimumChunkBytes: minimumChunkBytes)
        let parsed = try parse(chunks, order: order, policy: policy, progress: progress)

        let folder = store.datasetFolder(policy.dataset.id)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        Self.removeStaleWork(in: folder)
        let work = folder.appendingPathComponent(".ingest-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: false)
        do {
            progress?("writing", 0)
            let stored = try ColumnFileWriter.write(parsed, to: work)
            progress?("writing", 1)
            let manifest = DatasetManifest(
                id: policy.dataset.id, version: Self.version(of: stored.map(\.digest)), rowCount: parsed.rowCount,
                columns: stored.map(\.column), policySHA256: Hex.string(SHA256.hash(data: Data(policyText.utf8))),
                ingestedAt: ISO8601DateFormatter().string(from: Date()), source: csv.lastPathComponent)
            try Data(policyText.utf8).write(to: work.appendingPathComponent("policy.yaml"))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(manifest).write(to: work.appendingPathComponent("manifest.json"))
            // The folder is named by data and policy: a new policy over the same data is a new
            // folder too, so it takes effect.
            try publish(work, name: "v-\(manifest.version.prefix(16))-\(manifest.policySHA256.prefix(8))", in: folder)
            return manifest
        } catch {
            try? FileManager.default.removeItem(at: work)
            throw error
        }
    }

    /// Makes `work` the current version: rename it into place, then swap the `current` link
    /// atomically (rename over it), then remove the previous version.
    private func publish(_ work: URL, name: String, in folder: URL) throws {
        let manager = FileManager.default
        let target = folder.appendingPathComponent(name)
        let current = folder.appendingPathComponent("current")
        let previous = (try? manager.destinationOfSymbolicLink(atPath: current.path))
        if manager.fileExists(atPath: target.path) {
            // Same data under the same policy ingested again: keep the existing files.
            try manager.removeItem(at: work)
        } else {
            try manager.moveItem(at: work, to: target)
        }
        let link = folder.appendingPathComponent(".current-\(getpid())")
        try? manager.removeItem(at: link)
        try manager.createSymbolicLink(atPath: link.path, withDestinationPath: name)
        guard rename(link.path, current.path) == 0 else {
            throw ModelgateError("ingest_failed", "cannot switch \(current.path): \(String(cString: strerror(errno)))")
        }
        if let previous, previous != name {
            try? manager.removeItem(at: folder.appendingPathComponent(previous))
        }
    }

    /// Work folders left by an ingest that crashed.
    private static func removeStaleWork(in folder: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        for name in names where name.hasPrefix(".ingest-") || name.hasPrefix(".current-") {
            let pid = name.split(separator: "-").dropFirst().first.flatMap { Int32($0) }
            if let pid, pid != getpid(), kill(pid, 0) == 0 { continue }
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
    }

    /// Reads the header line; returns the policy column of each CSV field and where rows begin.
    private func header(
        _ base: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, policy: Policy, file: String
    ) throws -> ([ColumnPolicy], UnsafePointer<UInt8>) {
        var lineEnd = base
        while lineEnd < end && lineEnd.pointee != 10 { lineEnd += 1 }
        var text = String(decoding: UnsafeBufferPointer(start: base, count: lineEnd - base), as: UTF8.self)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        if text.hasSuffix("\r") { text.removeLast() }
        let names = text.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        var order: [ColumnPolicy] = []
        var problems: [String] = []
        var seen = Set<String>()
        for (index, name) in names.enumerated() {
            if let column = policy.column(named: name) {
                if !seen.insert(name).inserted { problems.append("column '\(name)' appears twice") }
                order.append(column)
            } else {
                problems.append(
                    "field \(index + 1) '\(name)' has no entry in the policy; classify it under columns: before ingesting"
                )
            }
        }
        let present = Set(names)
        for column in policy.columns where !present.contains(column.name) {
            problems.append("policy column '\(column.name)' is not in the CSV header")
        }
        guard problems.isEmpty else {
            let shown = problems.prefix(20).joined(separator: "; ")
            let more = problems.count > 20 ? "; and \(problems.count - 20) more" : ""
            throw ModelgateError("csv_invalid", "\(file) line 1 (header): \(shown)\(more)")
        }
        return (order, lineEnd < end ? lineEnd + 1 : end)
    }

    /// Byte ranges that start and end at record boundaries, one per core. A file with quotes
    /// is parsed whole, since a quoted field may hold a newline that is not a record boundary.
    static func split(
        _ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, minimumChunkBytes: Int
    ) -> [(UnsafePointer<UInt8>, UnsafePointer<UInt8>)] {
        let size = end - start
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let count = max(1, min(cores, size / minimumChunkBytes))
        if count == 1 || memchr(start, 34, size) != nil { return [(start, end)] }
        var ranges: [(UnsafePointer<UInt8>, UnsafePointer<UInt8>)] = []
        var chunkStart = start
        for index in 1...count {
            // A line longer than a chunk must not make the next chunk start before this one ends.
            var chunkEnd = max(index == count ? end : start + size * index / count, chunkStart)
            while chunkEnd < end && chunkEnd > chunkStart && chunkEnd[-1] != 10 { chunkEnd += 1 }
            if chunkEnd > chunkStart { ranges.append((chunkStart, chunkEnd)) }
            chunkStart = chunkEnd
        }
        return ranges
    }

    private func parse(
        _ chunks: [(UnsafePointer<UInt8>, UnsafePointer<UInt8>)], order: [ColumnPolicy], policy: Policy,
        progress: Progress?
    ) throws -> ParsedColumns {
        let total = chunks.reduce(0) { $0 + ($1.1 - $1.0) }
        let jobs = chunks.map { chunk in
            ChunkJob(
                start: chunk.0, end: chunk.1,
                builders: order.map {
                    ColumnBuilder(
                        policy: $0, expectedRows: (chunk.1 - chunk.0) / 48 + 16, asUnit: $0.name == policy.unitColumn)
                })
        }
        DispatchQueue.concurrentPerform(iterations: jobs.count) { index in
            let job = jobs[index]
            let parser = CSVChunkParser(firstLine: 0, endsFile: index == jobs.count - 1)
            do {
                job.records = try parser.parse(job.start, job.end, into: &job.builders) { done in
                    // Chunks are equal in size and parsed side by side, so the first one's
                    // share done stands for the whole.
                    if index == 0, total > 0 { progress?("parsing", Double(done) / Double(job.end - job.start)) }
                }
            } catch {
                job.failure = error as? CSVChunkParser.Failure
            }
        }
        // The first failure in file order; its line counts every record before its chunk.
        var recordsBefore = 0
        for job in jobs {
            if let failure = job.failure {
                let line = 2 + recordsBefore + failure.line
                let place = failure.column.isEmpty ? "" : ", column '\(failure.column)'"
                throw ModelgateError("csv_invalid", "line \(line)\(place): \(failure.message); nothing was ingested")
            }
            recordsBefore += job.records
        }
        return ParsedColumns(policy: policy, order: order, chunks: jobs.map(\.builders), rowCount: recordsBefore)
    }

    /// The dataset version: a hash over every column's description and content digest.
    static func version(of digests: [String]) -> String {
        Hex.string(SHA256.hash(data: Data(digests.joined(separator: "\n").utf8)))
    }

}

/// One chunk's parse, shared with the thread that does it.
final class ChunkJob: @unchecked Sendable {
    let start: UnsafePointer<UInt8>
    let end: UnsafePointer<UInt8>
    var builders: [ColumnBuilder]
    var records = 0
    var failure: CSVChunkParser.Failure?

    init(start: UnsafePointer<UInt8>, end: UnsafePointer<UInt8>, builders: [ColumnBuilder]) {
        self.start = start
        self.end = end
        self.builders = builders
    }
}

/// Every chunk's builders, column by column, ready to be written. Sendable because each
/// column's builders are then read by one writer thread only.
struct ParsedColumns: @unchecked Sendable {
    let policy: Policy
    /// Policy column of each CSV field.
    let order: [ColumnPolicy]
    /// Builders per chunk, in CSV field order.
    let chunks: [[ColumnBuilder]]
    let rowCount: Int
}
