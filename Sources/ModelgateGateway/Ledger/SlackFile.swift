import Foundation
import ModelgateDisclosure

/// A release ledger's measured slack (``ReleaseLedger/knownSlack``), kept in a file beside its row
/// atoms so that a process that reads the ledger back (every `modelgate run`) need not measure it
/// again: measuring it is a pass over every row of every regression's sample, most of a regression's
/// time after another one. Measured slack is a function of the atoms' rows and the features'
/// values alone, so it holds for any later generation with as many atoms (atoms only ever split,
/// so no atom's rows changed) and the same features; ``ReleaseLedger/adoptSlack(features:rows:)``
/// checks the features. Written whole to a temporary file, synced, then renamed, like the atoms.
///
/// Layout, little-endian: "MGSLACK1", the generation, the atom count and the feature count
/// (eight bytes each), each feature's name (its length in eight bytes, then UTF-8), then each
/// feature's slack for every atom (four bytes each).
enum SlackFile {
    static let magic = Array("MGSLACK1".utf8)

    static func name(generation: Int) -> String { "slack-\(generation).i32" }

    /// The generation a slack file's name carries.
    static func generation(of name: String) -> Int? {
        guard name.hasPrefix("slack-"), name.hasSuffix(".i32") else { return nil }
        return Int(name.dropFirst("slack-".count).dropLast(".i32".count))
    }

    static func encode(generation: Int, atomCount: Int, features: [String], rows: [[Int32]]) -> [UInt8] {
        var bytes = magic
        func append(_ value: Int) { withUnsafeBytes(of: Int64(value).littleEndian) { bytes += $0 } }
        append(generation)
        append(atomCount)
        append(features.count)
        for feature in features {
            append(feature.utf8.count)
            bytes += Array(feature.utf8)
        }
        bytes.reserveCapacity(bytes.count + features.count * atomCount * 4)
        for row in rows { row.map(\.littleEndian).withUnsafeBytes { bytes += $0 } }
        return bytes
    }

    /// The features and their slack, when `bytes` are a whole slack file for `atomCount` atoms.
    static func decode(_ bytes: [UInt8], atomCount: Int) -> (generation: Int, features: [String], rows: [[Int32]])? {
        var offset = 0
        func integer() -> Int? {
            guard offset + 8 <= bytes.count else { return nil }
            let value = bytes[offset..<offset + 8].withUnsafeBytes {
                Int64(littleEndian: $0.loadUnaligned(as: Int64.self))
            }
            offset += 8
            return Int(exactly: value)
        }
        guard bytes.starts(with: magic) else { return nil }
        offset = magic.count
        guard let generation = integer(), let atoms = integer(), atoms == atomCount, let count = integer(),
            (0...64).contains(count)
        else { return nil }
        var features: [String] = []
        for _ in 0..<count {
            guard let length = integer(), length >= 0, offset + length <= bytes.count else { return nil }
            features.append(String(decoding: bytes[offset..<offset + length], as: UTF8.self))
            offset += length
        }
        guard bytes.count - offset == count * atomCount * 4 else { return nil }
        let rows = bytes[offset...].withUnsafeBytes { raw in
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
        return (generation, features, rows)
    }
}
