import Crypto
import Foundation
import ModelgateDisclosure

/// A release ledger's measured slack (``ReleaseLedger/knownSlack``), kept in a file beside its row
/// atoms so that a process that reads the ledger back (every `modelgate run`) need not measure it
/// again: measuring it is a pass over every row of every regression's sample, most of a regression's
/// time after another one.
///
/// Measured slack is a function of the atoms' rows and the features' values alone, so it holds for
/// any later generation of the same ledger with as many atoms (atoms only ever split, so no atom's
/// rows changed) and the same features (``ReleaseLedger/adoptSlack(features:rows:)`` checks them).
/// "The same ledger": the file names the job whose entry made its generation, and is taken only
/// when the store's history has that job at that generation (not, say, after the store was put
/// back from a backup and went another way). A file that is not whole (its SHA-256 does not
/// match) is not taken; it is written to a temporary file and renamed, and, as the ledger can do
/// without it, not synced.
///
/// Layout, little-endian: "MGSLACK2", the generation, the atom count and the feature count (eight
/// bytes each), the job and each feature's name (each its length in eight bytes, then UTF-8), each
/// feature's slack for every atom (four bytes each), then the SHA-256 of all that.
enum SlackFile {
    static let magic = Array("MGSLACK2".utf8)

    struct Contents: Equatable {
        var generation: Int
        var job: String
        var features: [String]
        var rows: [[Int32]]
    }

    static func encode(_ contents: Contents, atomCount: Int) -> [UInt8] {
        var bytes = magic
        func append(_ value: Int) { withUnsafeBytes(of: Int64(value).littleEndian) { bytes += $0 } }
        func append(_ text: String) {
            append(text.utf8.count)
            bytes += Array(text.utf8)
        }
        append(contents.generation)
        append(atomCount)
        append(contents.features.count)
        append(contents.job)
        for feature in contents.features { append(feature) }
        bytes.reserveCapacity(bytes.count + contents.features.count * atomCount * 4 + SHA256.byteCount)
        for row in contents.rows { row.map(\.littleEndian).withUnsafeBytes { bytes += $0 } }
        bytes += SHA256.hash(data: bytes)
        return bytes
    }

    /// What a whole slack file for `atomCount` atoms holds; nil for anything else.
    static func decode(_ bytes: [UInt8], atomCount: Int) -> Contents? {
        guard bytes.count >= magic.count + SHA256.byteCount, bytes.starts(with: magic) else { return nil }
        let body = bytes.count - SHA256.byteCount
        guard Array(SHA256.hash(data: bytes[..<body])) == Array(bytes[body...]) else { return nil }
        var offset = magic.count
        func integer() -> Int? {
            guard body - offset >= 8 else { return nil }
            let value = bytes[offset..<offset + 8].withUnsafeBytes {
                Int64(littleEndian: $0.loadUnaligned(as: Int64.self))
            }
            offset += 8
            return Int(exactly: value)
        }
        func text() -> String? {
            guard let length = integer(), length >= 0, length <= body - offset else { return nil }
            defer { offset += length }
            return String(decoding: bytes[offset..<offset + length], as: UTF8.self)
        }
        guard let generation = integer(), let atoms = integer(), atoms == atomCount, let count = integer(),
            (0...64).contains(count), let job = text()
        else { return nil }
        var features: [String] = []
        for _ in 0..<count {
            guard let feature = text() else { return nil }
            features.append(feature)
        }
        guard body - offset == count * atomCount * 4 else { return nil }
        let rows = bytes[offset..<body].withUnsafeBytes { raw in
            (0..<count).map { feature in
                [Int32](unsafeUninitializedCapacity: atomCount) { row, initialized in
                    if atomCount > 0 {
                        UnsafeMutableRawBufferPointer(row).copyMemory(
                            from: UnsafeRawBufferPointer(
                                rebasing: raw[(feature * atomCount * 4)...].prefix(atomCount * 4)))
                    }
                    initialized = atomCount
                }.map(Int32.init(littleEndian:))
            }
        }
        return Contents(generation: generation, job: job, features: features, rows: rows)
    }
}
