import Crypto
import Foundation

/// The order in which secondary suppression takes a table's complements: pseudo-random, keyed by
/// a secret of the dataset that never leaves the gateway, and the same every time the same table
/// is asked for.
///
/// Why a secret: were complements chosen by a rule anyone knows (smallest first, say), an attacker
/// could re-run the choice on every table the released cells and known totals allow and keep only
/// those that give the pattern released, which narrows the withheld counts far below what the
/// totals do (see `SuppressionGrid`). Without the key, every order is possible for every
/// candidate table.
///
/// Why the same each time: fresh randomness would withhold other cells when the question is asked
/// again, and the two patterns together would release what each withholds. The order is drawn
/// from the table's cells (each one's levels and row count, whatever order the dimensions were
/// asked in), so a table asked again or transposed withholds the same cells, and a table of
/// means over the same groups takes its complements in the same order as the counts; a table of
/// any other counts, however alike, draws an unrelated order. Values are left out on purpose: a
/// table of sums and one of counts over the same groups must not withhold crossed patterns, which
/// together would release what each withholds.
package struct ComplementOrder: Sendable {
    private let secret: [UInt8]
    private let context: String

    /// `secret`: at least 32 random bytes kept by the gateway; `context` names what the secret
    /// is used for (the dataset and its version), so that versions draw unrelated orders.
    package init(secret: [UInt8], context: String) {
        precondition(secret.count >= 32, "a complement order needs a secret of at least 32 bytes")
        self.secret = secret
        self.context = context
    }

    /// One cell as the order sees it: a name that does not depend on where the cell sits in the
    /// table (its dimensions' levels, sorted by dimension) and its row count.
    struct Cell {
        var name: [String]
        var count: Int
    }

    /// Each cell's priority (lowest taken first): SHA-256 of the table's keyed digest and the
    /// cell's name.
    func priorities(of cells: [Cell]) -> [UInt64] {
        var table = Message()
        table.append(context)
        for cell in cells.sorted(by: { $0.name.lexicographicallyPrecedes($1.name) }) {
            table.append(cell.name)
            table.append(UInt64(bitPattern: Int64(cell.count)))
        }
        let digest = Array(HMAC<SHA256>.authenticationCode(for: table.bytes, using: SymmetricKey(data: secret)))
        return cells.map { cell in
            var message = Message()
            message.bytes = digest
            message.append(cell.name)
            return SHA256.hash(data: message.bytes).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        }
    }
}

/// An unambiguous byte encoding of what is hashed: every string and list is length-prefixed.
private struct Message {
    var bytes: [UInt8] = []

    mutating func append(_ number: UInt64) { withUnsafeBytes(of: number.littleEndian) { bytes.append(contentsOf: $0) } }

    mutating func append(_ text: String) {
        let utf8 = Array(text.utf8)
        append(UInt64(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    mutating func append(_ texts: [String]) {
        append(UInt64(texts.count))
        for text in texts { append(text) }
    }
}
