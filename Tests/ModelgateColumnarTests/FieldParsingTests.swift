import Foundation
import ModelgateTestSupport
import Testing

@testable import ModelgateColumnar

@Suite struct FieldParsingTests {
    func number(_ text: String) -> Double? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { FieldParsing.number($0.baseAddress!, bytes.count) }
    }

    @Test(arguments: [
        "0.1", "1234.56", "-7.25", "123456789012345", "0.000001", "98765.4321", "3", "+2.5", "1e5", "1.5E-3",
        "12345678901234567890",
    ])
    func decimalsParseToTheCorrectlyRoundedDouble(text: String) {
        // strtod (via Double(String)) is correctly rounded; the fast path must agree bit for bit.
        #expect(number(text) == Double(text))
    }

    @Test(arguments: ["", "-", ".", "1.2.3", "12a", "nan", "inf", "0x10", "1e400"])
    func nonNumbersAreRejected(text: String) {
        #expect(number(text) == nil)
    }

    func integer(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { FieldParsing.integer($0.baseAddress!, bytes.count) }
    }

    @Test func integersReachBothEndsOfInt64AndNoFurther() {
        #expect(integer("9223372036854775807") == .max)
        #expect(integer("-9223372036854775808") == .min)
        #expect(integer("+42") == 42)
        #expect(integer("9223372036854775808") == nil)
        #expect(integer("-9223372036854775809") == nil)
        #expect(integer("12.0") == nil)
        #expect(integer("-") == nil)
    }

    /// The word-at-a-time scan for a field's end finds what a byte-by-byte scan finds: the first
    /// comma or line feed, or the end, wherever they fall in the words and whatever bytes (quotes,
    /// carriage returns, bytes above 0x7F, 0x2C + 1) surround them, without reading past the end.
    @Test func aFieldEndsWhereAByteByByteScanSaysItDoes() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = [44, 10, 13, 34, 45, 43, 0, 0x80, 0xFF, 0xAC, 0x8A] + Array(48...57) + Array(97...99)
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...40, using: &generator)
            let sparse = Bool.random(using: &generator)
            let bytes: [UInt8] = (0..<length).map { _ in
                sparse && Int.random(in: 0..<10, using: &generator) > 0
                    ? UInt8.random(in: 97...122, using: &generator) : alphabet.randomElement(using: &generator)!
            }
            // Only `bytes` is readable: a copy of exactly that size on the heap.
            let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: max(length, 1))
            defer { buffer.deallocate() }
            buffer.initialize(from: bytes, count: length)
            let start = Int.random(in: 0...length, using: &generator)
            var expected = start
            while expected < length && bytes[expected] != 44 && bytes[expected] != 10 { expected += 1 }
            let found = CSVChunkParser.fieldEnd(buffer + start, buffer + length) - UnsafePointer(buffer)
            #expect(found == expected, "\(bytes) from \(start)")
        }
    }
}
