import Crypto
import Dispatch
import Foundation
import ModelgateColumnFiles
import ModelgateCore
import ModelgateParsing

/// Turns a CSV file into a columnar dataset version under a state folder, typed and checked by
/// the dataset's policy. All or nothing: the new version becomes current only once every file
/// is written and on disk; a bad row stops ingest and leaves the previous version as it was.
///
/// The file is streamed: a window of chunks is parsed side by side, one per core, then appended
/// to the column files, then let go, so memory holds a window whatever the file's size.
package struct DatasetIngest: Sendable {
    package let store: DatasetStore
    /// Bytes of CSV a thread parses at a time. A window holds one chunk per core (up to
    /// `windowBytes`), and the values parsed from it, which take about as much again.
    var chunkBytes = 16 << 20
    /// The most CSV a window holds, whatever the number of cores.
    var windowBytes = 128 << 20

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

        let folder = store.datasetFolder(policy.dataset.id)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // The dataset's folder may be new, and the datasets folder with it.
        try Self.sync(folder: store.root)
        try Self.sync(folder: store.root.deletingLastPathComponent())
        Self.removeStaleWork(in: folder)
        let work = folder.appendingPathComponent(".ingest-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: false)
        do {
            let unit = policy.unitColumn
            // Stored columns in policy order, each with its CSV field.
            let columns = try policy.columns.filter { ColumnFileWriter.isStored($0) || $0.name == unit }.map {
                column in
                (
                    field: order.firstIndex { $0.name == column.name }!,
                    writer: try ColumnFileWriter(policy: column, asUnit: column.name == unit, in: work)
                )
            }
            let rowCount = try stream(
                file, from: bodyStart, order: order, policy: policy, into: columns, progress: progress)
            progress?("writing", 0)
            let stored = try Self.parallel(columns.count) { try columns[$0].writer.finish() }
            progress?("writing", 1)
            let manifest = DatasetManifest(
                id: policy.dataset.id, version: Self.version(of: stored.map(\.digest)), rowCount: rowCount,
                columns: stored.map(\.column), policySHA256: Hex.string(SHA256.hash(data: Data(policyText.utf8))),
                ingestedAt: ISO8601DateFormatter().string(from: Date()), source: csv.lastPathComponent)
            try Self.writeDurably(Array(policyText.utf8), to: work.appendingPathComponent("policy.yaml"))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try Self.writeDurably(Array(encoder.encode(manifest)), to: work.appendingPathComponent("manifest.json"))
            try Self.sync(folder: work)
            // The folder is named by data and policy: a new policy over the same data is a new
            // folder too, so it takes effect.
            try publish(work, name: "v-\(manifest.version.prefix(16))-\(manifest.policySHA256.prefix(8))", in: folder)
            return manifest
        } catch {
            try? FileManager.default.removeItem(at: work)
            throw error
        }
    }

    /// Parses the rows window by window into the column files; returns the number of rows.
    private func stream(
        _ file: MappedFile, from bodyStart: UnsafePointer<UInt8>, order: [ColumnPolicy], policy: Policy,
        into columns: [(field: Int, writer: ColumnFileWriter)], progress: Progress?
    ) throws -> Int {
        let base = file.base!.assumingMemoryBound(to: UInt8.self)
        let end = base + file.size
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let jobs = (0..<max(1, min(cores, windowBytes / max(chunkBytes, 1)))).map { _ in
            ChunkJob(
                builders: order.map {
                    ColumnBuilder(policy: $0, expectedRows: chunkBytes / 48 + 16, asUnit: $0.name == policy.unitColumn)
                })
        }
        var next = bodyStart
        var released = base
        var rowCount = 0
        var lines = 0
        while next < end {
            let chunks = Self.chunks(from: next, to: end, count: jobs.count, chunkBytes: chunkBytes)
            DispatchQueue.concurrentPerform(iterations: chunks.count) { index in
                jobs[index].parse(chunks[index])
            }
            for job in jobs.prefix(chunks.count) {
                switch job.outcome! {
                case .failure(let failure):
                    // Its line counts every line before its chunk (the header is line 1).
                    let place = failure.column.isEmpty ? "" : ", column '\(failure.column)'"
                    throw ModelgateError(
                        "csv_invalid",
                        "line \(2 + lines + failure.line)\(place): \(failure.message); nothing was ingested")
                case .success(let parsed):
                    lines += parsed.lines
                    rowCount += parsed.records
                    next = parsed.stop
                }
            }
            _ = try Self.parallel(columns.count) { index in
                for job in jobs.prefix(chunks.count) {
                    try columns[index].writer.append(job.builders[columns[index].field])
                }
            }
            released = Self.release(from: released, to: next)
            progress?("parsing", Double(next - bodyStart) / Double(max(end - bodyStart, 1)))
        }
        return rowCount
    }

    /// The next window's chunks from `start`, a record boundary: up to `count` ranges of about
    /// `chunkBytes`, cut after a line break. A range with a quote is parsed on its own, from
    /// `start` and as far as its first record end past `chunkBytes`, since a quoted field may
    /// hold a line break that is not a record's end; it ends the window.
    static func chunks(
        from start: UnsafePointer<UInt8>, to end: UnsafePointer<UInt8>, count: Int, chunkBytes: Int
    ) -> [Chunk] {
        var chunks: [Chunk] = []
        var chunkStart = start
        while chunks.count < count && chunkStart < end {
            let target = chunkStart + min(max(chunkBytes, 1), end - chunkStart)
            // A line longer than a chunk makes the chunk longer.
            let lineBreak = target == end ? nil : memchr(target - 1, 10, end - target + 1)
            let chunkEnd = lineBreak.map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) + 1 } ?? end
            if memchr(chunkStart, 34, chunkEnd - chunkStart) != nil {
                chunks.append(Chunk(start: chunkStart, end: end, limit: target, endsFile: true))
                break
            }
            chunks.append(Chunk(start: chunkStart, end: chunkEnd, limit: nil, endsFile: chunkEnd == end))
            chunkStart = chunkEnd
        }
        return chunks
    }

    /// Lets go of the CSV's pages before `end` (rounded down to a page) that were parsed: a
    /// mapped page read stays in the process's memory until it is unmapped or let go, and the
    /// file is read once. Returns where the pages still held begin.
    private static func release(from start: UnsafePointer<UInt8>, to end: UnsafePointer<UInt8>) -> UnsafePointer<UInt8>
    {
        let page = sysconf(Int32(_SC_PAGESIZE))
        let pageEnd = UnsafePointer<UInt8>(bitPattern: UInt(bitPattern: end) / UInt(page) * UInt(page))!
        guard pageEnd > start else { return start }
        // Only a hint: the mapping is private and read-only, so a page let go reads the same again.
        madvise(UnsafeMutableRawPointer(mutating: start), pageEnd - start, MADV_DONTNEED)
        return pageEnd
    }

    /// Runs `work` for each index on every core; returns the results in index order, or throws
    /// the first index's error.
    private static func parallel<T>(_ count: Int, _ work: @Sendable (Int) throws -> T) throws -> [T] {
        let results = ResultSlots<Result<T, any Error>>(count: count)
        DispatchQueue.concurrentPerform(iterations: count) { index in results[index] = Result { try work(index) } }
        return try results.values.map { try $0!.get() }
    }

    /// Writes a small file and makes it durable.
    private static func writeDurably(_ bytes: [UInt8], to url: URL) throws {
        let sink = FileSink(url: url)
        defer { sink.close() }
        try sink.open()
        try sink.append(bytes)
        try sink.sync()
    }

    /// Makes a folder's entries (files made, renamed or removed in it) durable.
    static func sync(folder: URL) throws {
        let fd = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ModelgateError("ingest_failed", "cannot open \(folder.path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        // EINVAL: a file system that cannot sync a folder, which then has nothing to make durable.
        guard fsync(fd) == 0 || errno == EINVAL else {
            throw ModelgateError("ingest_failed", "cannot sync \(folder.path): \(String(cString: strerror(errno)))")
        }
    }

    /// Makes `work` the current version: rename it into place, then swap the `current` link
    /// atomically (rename over it), then remove the previous version. The dataset folder is
    /// synced after each step, so that once ingest returns a power loss cannot undo it.
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
        try Self.sync(folder: folder)
        let link = folder.appendingPathComponent(".current-\(getpid())")
        try? manager.removeItem(at: link)
        try manager.createSymbolicLink(atPath: link.path, withDestinationPath: name)
        guard rename(link.path, current.path) == 0 else {
            throw ModelgateError("ingest_failed", "cannot switch \(current.path): \(String(cString: strerror(errno)))")
        }
        try Self.sync(folder: folder)
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

    /// The dataset version: a hash over every column's description and content digest.
    static func version(of digests: [String]) -> String {
        Hex.string(SHA256.hash(data: Data(digests.joined(separator: "\n").utf8)))
    }
}

/// A byte range of the CSV to parse, from a record boundary. Sendable because the mapped file
/// it points into outlives the parse and is only read.
struct Chunk: @unchecked Sendable {
    let start: UnsafePointer<UInt8>
    /// Where parsing must stop: a record boundary, or the file's end.
    let end: UnsafePointer<UInt8>
    /// With quotes, where the chunk may end: at the first record boundary from here.
    let limit: UnsafePointer<UInt8>?
    let endsFile: Bool
}

/// One thread's chunk parse, window after window into the same builders.
final class ChunkJob: @unchecked Sendable {
    var builders: [ColumnBuilder]
    var outcome: Result<CSVChunkParser.Parsed, CSVChunkParser.Failure>?

    init(builders: [ColumnBuilder]) {
        self.builders = builders
    }

    func parse(_ chunk: Chunk) {
        for field in builders.indices { builders[field].reset() }
        let parser = CSVChunkParser(firstLine: 0, endsFile: chunk.endsFile)
        do {
            outcome = .success(try parser.parse(chunk.start, chunk.end, limit: chunk.limit, into: &builders))
        } catch {
            outcome = .failure(error)
        }
    }
}
