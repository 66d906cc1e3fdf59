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
}
