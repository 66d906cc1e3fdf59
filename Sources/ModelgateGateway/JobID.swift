import Foundation
import ModelgateCore

/// A new job's identifier: a UUID of version 7 (RFC 9562, section 5.7), written lowercase.
///
/// Its first 48 bits are the Unix time in milliseconds and the remaining 74 are random, so ids
/// sort by when jobs were submitted. The store keys its jobs, and their usage, by id: ids that
/// grow with time add each job at the end of those indexes, on the pages the last jobs wrote,
/// where random ids (version 4) sent every job to a page of its own and split pages all over.
/// An id says when its job came, which its record already says to whoever may read it; it was
/// never a secret that grants access (every read of a job checks who asks).
///
/// Written here because Foundation makes only version 4.
package enum JobID {
    package static func make(now: Date = Date()) -> String {
        var generator = SystemRandomNumberGenerator()
        return make(milliseconds: UInt64(max(0, now.timeIntervalSince1970 * 1000)), using: &generator)
    }

    package static func make(milliseconds: UInt64, using generator: inout some RandomNumberGenerator) -> String {
        let random = (generator.next() as UInt64, generator.next() as UInt64)
        // unix_ts_ms (48 bits) | version 0111 | rand_a (12) | variant 10 | rand_b (62)
        let high = (milliseconds & 0xFFFF_FFFF_FFFF) << 16 | 0x7000 | (random.0 & 0x0FFF)
        let low = 0x8000_0000_0000_0000 | (random.1 & 0x3FFF_FFFF_FFFF_FFFF)
        let bytes = withUnsafeBytes(of: high.bigEndian, Array.init) + withUnsafeBytes(of: low.bigEndian, Array.init)
        let hex = Array(Hex.string(bytes).utf8)
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(decoding: hex[$0], as: UTF8.self) }
            .joined(separator: "-")
    }
}
