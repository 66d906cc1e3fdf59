import Foundation
import ModelgateCore
import Testing

@testable import ModelgateGateway

/// Job ids are UUIDs of version 7: the time in milliseconds, then random bits.
@Suite struct JobIDTests {
    /// Gives the numbers it was made with, in order.
    struct Replay: RandomNumberGenerator {
        var numbers: [UInt64]
        mutating func next() -> UInt64 { numbers.removeFirst() }
    }

    /// RFC 9562's example UUIDv7 (appendix A.6): 2022-02-22 19:22:22 UTC, rand_a 0xCC3 and
    /// rand_b 0x18C4DC0C0C07398F.
    @Test func theRFCsExample() {
        var random = Replay(numbers: [0xFFFF_FFFF_FFFF_FCC3, 0xD8C4_DC0C_0C07_398F])
        #expect(
            JobID.make(milliseconds: 0x017F_22E2_79B0, using: &random) == "017f22e2-79b0-7cc3-98c4-dc0c0c07398f")
        // The RFC's date, from the calendar, is the same millisecond.
        let date = DateComponents(
            calendar: Calendar(identifier: .gregorian), timeZone: TimeZone(identifier: "UTC"), year: 2022, month: 2,
            day: 22, hour: 19, minute: 22, second: 22
        ).date!
        #expect(JobID.make(now: date).hasPrefix("017f22e2-79b0-7"))
    }

    @Test func versionVariantAndOrder() {
        let start = Date()
        var previous = ""
        var seen = Set<String>()
        for step in 0..<2000 {
            let id = JobID.make(now: start + Double(step) / 1000)
            let hex = Array(id.utf8)
            #expect(hex.count == 36 && [8, 13, 18, 23].allSatisfy { hex[$0] == UInt8(ascii: "-") })
            #expect(hex[14] == UInt8(ascii: "7"), "version: \(id)")
            #expect("89ab".utf8.contains(hex[19]), "variant: \(id)")
            #expect(id > previous, "\(id) made after \(previous) sorts before it")
            #expect(UUID(uuidString: id) != nil)
            previous = id
            seen.insert(id)
        }
        // Within one millisecond the ids differ in their 74 random bits.
        for _ in 0..<2000 { seen.insert(JobID.make(now: start)) }
        #expect(seen.count == 4000)
    }
}
