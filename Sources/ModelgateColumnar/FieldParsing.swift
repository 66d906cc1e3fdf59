import ModelgateColumnFiles

#if canImport(Glibc)
    import Glibc
#endif

/// Parsing of CSV field bytes into typed values, without making a String per field.
enum FieldParsing {
    /// Exact powers of ten: a decimal with at most 15 significant digits divided by one of
    /// these is correctly rounded (both operands are exact doubles).
    private static let powersOfTen: [Double] = (0...22).map { pow(10, Double($0)) }

    /// A whole number with an optional sign, within Int64; nil when the bytes are not one.
    @inline(__always)
    static func integer(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> Int64? {
        var i = 0
        var negative = false
        if count > 0 && (bytes[0] == 45 || bytes[0] == 43) {
            negative = bytes[0] == 45
            i = 1
        }
        guard i < count else { return nil }
        // Accumulated negatively, so that Int64.min itself fits.
        var value: Int64 = 0
        while i < count {
            let digit = bytes[i] &- 48
            guard digit < 10 else { return nil }
            let (shifted, overflow) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = shifted.subtractingReportingOverflow(Int64(digit))
            guard !overflow, !overflow2 else { return nil }
            value = next
            i += 1
        }
        if negative { return value }
        return value == .min ? nil : -value
    }

    /// A finite decimal number; nil when the bytes are not one.
    @inline(__always)
    static func number(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> Double? {
        var i = 0
        var negative = false
        if count > 0 && (bytes[0] == 45 || bytes[0] == 43) {
            negative = bytes[0] == 45
            i = 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var fractionDigits = 0
        var seenPoint = false
        while i < count {
            let byte = bytes[i]
            let digit = byte &- 48
            if digit < 10 {
                mantissa = mantissa &* 10 &+ UInt64(digit)
                digits += 1
                if seenPoint { fractionDigits += 1 }
            } else if byte == 46 && !seenPoint {
                seenPoint = true
            } else {
                return slowNumber(bytes, count)
            }
            i += 1
        }
        guard digits > 0 else { return nil }
        guard digits <= 15 else { return slowNumber(bytes, count) }
        let value = Double(mantissa) / powersOfTen[fractionDigits]
        return negative ? -value : value
    }

    /// Exponents, long mantissas: the C library's correctly rounded strtod.
    private static func slowNumber(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> Double? {
        guard count < 512 else { return nil }
        var buffer = [CChar](repeating: 0, count: count + 1)
        for i in 0..<count {
            // strtod would accept "nan", "inf" and hex; a CSV number is decimal digits only.
            let byte = bytes[i]
            guard (byte >= 48 && byte <= 57) || byte == 46 || byte == 45 || byte == 43 || byte == 101 || byte == 69
            else { return nil }
            buffer[i] = CChar(bitPattern: byte)
        }
        return buffer.withUnsafeMutableBufferPointer { buffer -> Double? in
            var end: UnsafeMutablePointer<CChar>?
            let value = strtod(buffer.baseAddress!, &end)
            guard let end, end - buffer.baseAddress! == count, value.isFinite else { return nil }
            return value
        }
    }

    /// 1/0, true/false, yes/no in any case; nil otherwise.
    @inline(__always)
    static func boolean(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> UInt8? {
        if count == 1 {
            if bytes[0] == 49 { return 1 }
            if bytes[0] == 48 { return 0 }
            return nil
        }
        var word = ""
        for i in 0..<min(count, 5) { word.append(Character(Unicode.Scalar(bytes[i] | 0x20))) }
        switch (count, word) {
        case (4, "true"), (3, "yes"): return 1
        case (5, "false"), (2, "no"): return 0
        default: return nil
        }
    }
}
