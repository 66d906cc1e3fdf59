import Crypto
import Dispatch
import Foundation
import ModelgateColumnFiles
import ModelgateCore

/// Writes parsed columns to their files in the narrowest fixed width that holds them, hashing
/// each as it goes. Columns are written side by side, one per core.
enum ColumnFileWriter {
    struct Written {
        var column: StoredColumn
        /// Describes the column and its content for the dataset version.
        var digest: String
    }

    static func write(_ parsed: ParsedColumns, to folder: URL) throws -> [Written] {
        let unit = parsed.policy.unitColumn
        let stored = parsed.policy.columns.filter { isStored($0) || $0.name == unit }
        let results = ResultSlots<Result<Written, any Error>>(count: stored.count)
        DispatchQueue.concurrentPerform(iterations: stored.count) { index in
            let policy = stored[index]
            let field = parsed.order.firstIndex { $0.name == policy.name }!
            let builders = parsed.chunks.map { $0[field] }
            results[index] = Result {
                try write(policy, builders, rowCount: parsed.rowCount, to: folder, asUnit: policy.name == unit)
            }
        }
        return try results.values.map { try $0!.get() }
    }

    /// `asUnit`: the privacy unit's column, written as codes numbered by first appearance and
    /// nothing else: the values themselves (identifiers) are in no file and not in the manifest.
    private static func write(
        _ policy: ColumnPolicy, _ builders: [ColumnBuilder], rowCount: Int, to folder: URL, asUnit: Bool = false
    ) throws -> Written {
        let file = FileSink(url: folder.appendingPathComponent("\(policy.name).col"))
        defer { file.close() }
        try file.open()
        var levels: [String] = []
        let encoding: StoredColumn.Encoding
        let width: Int
        switch asUnit ? .category : policy.type {
        case .category where asUnit:
            // Codes in order of first appearance in the file: they say which rows share a unit
            // and nothing of the values (not even their order).
            var index: [[UInt8]: UInt32] = [:]
            for builder in builders {
                for level in builder.dictionary.levelBytes where index[level] == nil {
                    index[level] = UInt32(index.count)
                }
            }
            encoding = .codes
            width = 4
            for builder in builders {
                let remap = builder.dictionary.levelBytes.map { index[$0]! }
                try file.append(builder.codes.map { remap.isEmpty ? 0 : remap[Int($0)] })
            }
        case .category:
            // Levels sorted by their bytes, so codes order like their names and the version does not
            // depend on row order.
            let levelBytes = Array(Set(builders.flatMap(\.dictionary.levelBytes))).sorted {
                $0.lexicographicallyPrecedes($1)
            }
            levels = levelBytes.map { String(decoding: $0, as: UTF8.self) }
            guard levels.count <= AdmissionLimits.cells else {
                throw ModelgateError(
                    "csv_invalid",
                    "column '\(policy.name)' has \(levels.count) distinct values; a category may have at most \(AdmissionLimits.cells)"
                )
            }
            let index = Dictionary(uniqueKeysWithValues: levelBytes.enumerated().map { ($1, UInt32($0)) })
            encoding = .codes
            width = levels.count <= 256 ? 1 : levels.count <= 65536 ? 2 : 4
            for builder in builders {
                let remap = builder.dictionary.levelBytes.map { index[$0]! }
                // Missing rows carry code 0, a valid code; the validity bitmap marks them.
                let codes = builder.codes.map { remap.isEmpty ? 0 : remap[Int($0)] }
                switch width {
                case 1: try file.append(codes.map { UInt8(truncatingIfNeeded: $0) })
                case 2: try file.append(codes.map { UInt16(truncatingIfNeeded: $0) })
                default: try file.append(codes)
                }
            }
        case .integer:
            let low = builders.map(\.minimum).min() ?? 0
            let high = builders.map(\.maximum).max() ?? 0
            encoding = .integers
            width = Self.width(low, high)
            for builder in builders {
                switch width {
                case 1: try file.append(builder.integers.map { Int8(truncatingIfNeeded: $0) })
                case 2: try file.append(builder.integers.map { Int16(truncatingIfNeeded: $0) })
                case 4: try file.append(builder.integers.map { Int32(truncatingIfNeeded: $0) })
                default: try file.append(builder.integers)
                }
            }
        case .number:
            encoding = .numbers
            width = 8
            for builder in builders { try file.append(builder.numbers) }
        case .boolean:
            encoding = .booleans
            width = 1
            for builder in builders { try file.append(builder.booleans) }
        case .string:
            preconditionFailure("string columns are not stored")
        }

        let missing = builders.reduce(0) { $0 + $1.missingRows.count }
        var validityFile: String?
        var validityDigest = "-"
        if missing > 0 {
            var bits = [UInt8](repeating: 0xFF, count: (rowCount + 7) / 8)
            // Bits past the last row stay clear, so the file is a function of the data alone.
            for row in rowCount..<(bits.count * 8) { bits[row >> 3] &= ~(1 << UInt8(row & 7)) }
            var offset = 0
            for builder in builders {
                for row in builder.missingRows {
                    let global = offset + row
                    bits[global >> 3] &= ~(1 << UInt8(global & 7))
                }
                offset += builder.rowCount
            }
            let name = "\(policy.name).valid"
            let sink = FileSink(url: folder.appendingPathComponent(name))
            defer { sink.close() }
            try sink.open()
            try sink.append(bits)
            validityFile = name
            validityDigest = sink.digest()
        }
        let column = StoredColumn(
            name: policy.name, type: asUnit ? .category : policy.type, encoding: encoding, width: width, levels: levels,
            missing: missing,
            file: "\(policy.name).col", validityFile: validityFile)
        let description = [
            policy.name, policy.type.rawValue, encoding.rawValue, String(width), levels.joined(separator: "\u{1F}"),
            file.digest(), validityDigest,
        ].joined(separator: "\u{1E}")
        return Written(column: column, digest: description)
    }

    /// Identifier and free-text columns are never stored.
    static func isStored(_ column: ColumnPolicy) -> Bool {
        column.type != .string && column.columnClass != .identifier
    }

    static func width(_ low: Int64, _ high: Int64) -> Int {
        if low >= Int64(Int8.min) && high <= Int64(Int8.max) { return 1 }
        if low >= Int64(Int16.min) && high <= Int64(Int16.max) { return 2 }
        if low >= Int64(Int32.min) && high <= Int64(Int32.max) { return 4 }
        return 8
    }
}

/// A file written front to back, hashed as it goes.
final class FileSink {
    let url: URL
    private var fd: Int32 = -1
    private var hasher = SHA256()

    init(url: URL) { self.url = url }

    func open() throws {
        fd = Glibc.open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw ModelgateError("ingest_failed", "cannot create \(url.path): \(String(cString: strerror(errno)))")
        }
    }

    func append<T>(_ values: [T]) throws {
        try values.withUnsafeBytes { bytes in
            hasher.update(bufferPointer: bytes)
            var done = 0
            while done < bytes.count {
                let written = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else {
                    throw ModelgateError(
                        "ingest_failed", "cannot write \(url.path): \(String(cString: strerror(errno)))")
                }
                done += written
            }
        }
    }

    func digest() -> String { Hex.string(hasher.finalize()) }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }
}

/// Slots that parallel workers fill, one each, and the caller reads after they finish.
final class ResultSlots<T>: @unchecked Sendable {
    private(set) var values: [T?]
    init(count: Int) { values = [T?](repeating: nil, count: count) }
    subscript(index: Int) -> T? {
        get { values[index] }
        set { values[index] = newValue }
    }
}
