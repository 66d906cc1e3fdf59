import Crypto
import Foundation
import ModelgateColumnFiles
import ModelgateCore

/// Writes one column's file as its chunks are parsed, in the narrowest fixed width that holds
/// the whole column, hashing it as it goes: the same bytes as if the column had been written at
/// once, with only a chunk of it in memory.
///
/// The width depends on the whole column (an integer column's range, a category's number of
/// levels), so the file is kept in the narrowest width that holds the values so far and
/// rewritten wider when a chunk needs more: at most three times, and in practice never after
/// the first chunk. Category codes are written in order of first appearance and renumbered at
/// the end, once the sorted levels are known.
///
/// Sendable because ingest hands each column's writer to one thread at a time.
final class ColumnFileWriter: @unchecked Sendable {
    struct Written {
        var column: StoredColumn
        /// Describes the column and its content for the dataset version.
        var digest: String
    }

    let policy: ColumnPolicy
    /// The privacy unit's column, written as codes numbered by first appearance and nothing
    /// else: the values themselves (identifiers) are in no file and not in the manifest.
    let asUnit: Bool
    private let encoding: StoredColumn.Encoding
    private var file: FileSink
    private var width: Int
    private var rowCount = 0
    private var validity = ValidityBitmap()
    /// Category levels by their code in the file so far: order of first appearance.
    private var levels = CategoryDictionary()
    /// An integer column's range so far.
    private var low = Int64.max
    private var high = Int64.min

    /// Values per block when the file is read back to be rewritten.
    private static let blockRows = 1 << 18

    init(policy: ColumnPolicy, asUnit: Bool, in folder: URL) throws {
        self.policy = policy
        self.asUnit = asUnit
        switch asUnit ? .category : policy.type {
        case .category: (encoding, width) = (.codes, asUnit ? 4 : 1)
        case .integer: (encoding, width) = (.integers, 1)
        case .number: (encoding, width) = (.numbers, 8)
        case .boolean: (encoding, width) = (.booleans, 1)
        case .string: preconditionFailure("string columns are not stored")
        }
        file = FileSink(url: folder.appendingPathComponent("\(policy.name).col"))
        try file.open()
    }

    deinit { file.close() }

    /// Identifier and free-text columns are never stored.
    static func isStored(_ column: ColumnPolicy) -> Bool {
        column.type != .string && column.columnClass != .identifier
    }

    /// Appends the next chunk's values.
    func append(_ chunk: ColumnBuilder) throws {
        validity.markMissing(chunk.missingRows, offset: rowCount)
        switch encoding {
        case .codes:
            let global = levels.codes(merging: chunk.dictionary)
            var codes = chunk.codes.map { global.isEmpty ? 0 : global[Int($0)] }
            // A missing row carries the code of the column's first level, whichever chunk it is
            // in (the validity bitmap marks it), so the file does not depend on where chunks end.
            for row in chunk.missingRows { codes[row] = 0 }
            if !asUnit {
                guard levels.count <= AdmissionLimits.cells else {
                    throw ModelgateError(
                        "csv_invalid",
                        "column '\(policy.name)' has more than \(AdmissionLimits.cells) distinct values; a category may have at most \(AdmissionLimits.cells)"
                    )
                }
                try widen(to: Self.codeWidth(levels.count))
            }
            try file.append(codes, width: width)
        case .integers:
            low = min(low, chunk.minimum)
            high = max(high, chunk.maximum)
            try widen(to: Self.width(low, high))
            try file.append(chunk.integers, width: width)
        case .numbers:
            try file.append(chunk.numbers)
        case .booleans:
            try file.append(chunk.booleans)
        }
        rowCount += chunk.rowCount
    }

    /// Renumbers category codes in sorted order, writes the validity bitmap, and makes both files
    /// durable; returns the column's description.
    func finish() throws -> Written {
        var names: [String] = []
        if encoding == .codes && !asUnit {
            // Levels sorted by their bytes, so codes order like their names and the version does
            // not depend on row order.
            let sorted = levels.levelBytes.enumerated().sorted { $0.element.lexicographicallyPrecedes($1.element) }
            names = sorted.map { String(decoding: $0.element, as: UTF8.self) }
            var renumbered = [Int64](repeating: 0, count: sorted.count)
            for (code, level) in sorted.enumerated() { renumbered[level.offset] = Int64(code) }
            if renumbered.enumerated().contains(where: { $0.element != $0.offset }) {
                try rewrite(width: width, renumbering: renumbered)
            }
        }
        try file.sync()
        var validityFile: String?
        var validityDigest = "-"
        if validity.missing > 0 {
            let name = "\(policy.name).valid"
            let sink = FileSink(url: file.url.deletingLastPathComponent().appendingPathComponent(name))
            defer { sink.close() }
            try sink.open()
            try sink.append(validity.bytes(rowCount: rowCount))
            try sink.sync()
            validityFile = name
            validityDigest = sink.digest()
        }
        let column = StoredColumn(
            name: policy.name, type: asUnit ? .category : policy.type, encoding: encoding, width: width, levels: names,
            missing: validity.missing, file: "\(policy.name).col", validityFile: validityFile)
        let description = [
            policy.name, policy.type.rawValue, encoding.rawValue, String(width), names.joined(separator: "\u{1F}"),
            file.digest(), validityDigest,
        ].joined(separator: "\u{1E}")
        return Written(column: column, digest: description)
    }

    /// Rewrites the file wider when the values so far (and the next chunk's) need it.
    private func widen(to needed: Int) throws {
        if needed > width { try rewrite(width: needed) }
    }

    /// Streams the file, block by block, into a new file of `newWidth` bytes per value, which
    /// then takes its place (and its hash the old one's). With `renumbering`, each value (a
    /// category code) becomes its entry there, at the same width: one-byte codes through a table
    /// of 256 bytes, wider ones as integers.
    private func rewrite(width newWidth: Int, renumbering: [Int64]? = nil) throws {
        let folder = file.url.deletingLastPathComponent()
        let draft = FileSink(url: folder.appendingPathComponent(".\(file.url.lastPathComponent).rewrite"))
        var table: [UInt8]?
        if let renumbering, width == 1, newWidth == 1 {
            table = [UInt8](repeating: 0, count: 256)
            for (old, new) in renumbering.enumerated() { table![old] = UInt8(new) }
        }
        do {
            try draft.open()
            var row = 0
            while row < rowCount {
                let count = min(Self.blockRows, rowCount - row)
                var bytes = try file.read(at: row * width, count: count * width)
                if let table {
                    for i in bytes.indices { bytes[i] = table[Int(bytes[i])] }
                    try draft.append(bytes)
                } else {
                    var values = Self.values(bytes, width: width, signed: encoding == .integers)
                    if let renumbering { for i in values.indices { values[i] = renumbering[Int(values[i])] } }
                    try draft.append(values, width: newWidth)
                }
                row += count
            }
            try draft.rename(to: file.url)
        } catch {
            draft.close()
            unlink(draft.url.path)
            throw error
        }
        file.close()
        file = draft
        width = newWidth
    }

    /// Fixed-width little-endian values: signed integers, or unsigned category codes.
    private static func values(_ bytes: [UInt8], width: Int, signed: Bool) -> [Int64] {
        bytes.withUnsafeBytes { raw in
            let count = raw.count / width
            switch (width, signed) {
            case (1, true): return (0..<count).map { Int64(raw.load(fromByteOffset: $0, as: Int8.self)) }
            case (1, false): return (0..<count).map { Int64(raw.load(fromByteOffset: $0, as: UInt8.self)) }
            case (2, true): return (0..<count).map { Int64(raw.loadUnaligned(fromByteOffset: $0 * 2, as: Int16.self)) }
            case (2, false):
                return (0..<count).map { Int64(raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)) }
            case (4, true): return (0..<count).map { Int64(raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) }
            case (4, false):
                return (0..<count).map { Int64(raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)) }
            default: return (0..<count).map { raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self) }
            }
        }
    }

    static func codeWidth(_ levelCount: Int) -> Int {
        levelCount <= 256 ? 1 : levelCount <= 65536 ? 2 : 4
    }

    static func width(_ low: Int64, _ high: Int64) -> Int {
        if low >= Int64(Int8.min) && high <= Int64(Int8.max) { return 1 }
        if low >= Int64(Int16.min) && high <= Int64(Int16.max) { return 2 }
        if low >= Int64(Int32.min) && high <= Int64(Int32.max) { return 4 }
        return 8
    }
}
