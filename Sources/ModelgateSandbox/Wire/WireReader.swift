/// Reads a message back into a tree of values (see WireCodec.swift for the format).
struct WireReader {
    let bytes: [UInt8]
    var offset = 0

    static func corrupt(_ what: String) -> DecodingError {
        DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "corrupt worker message: \(what)"))
    }

    mutating func byte() throws -> UInt8 {
        guard offset < bytes.count else { throw Self.corrupt("truncated") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func word() throws -> UInt64 {
        guard bytes.count - offset >= 8 else { throw Self.corrupt("truncated") }
        var value: UInt64 = 0
        for index in (0..<8).reversed() { value = value << 8 | UInt64(bytes[offset + index]) }
        offset += 8
        return value
    }

    /// A length or count, which cannot exceed the bytes left (every item takes at least one).
    mutating func count() throws -> Int {
        let value = try word()
        guard value <= UInt64(bytes.count - offset) else { throw Self.corrupt("length beyond the message") }
        return Int(value)
    }

    mutating func text() throws -> String {
        let length = try count()
        defer { offset += length }
        return String(decoding: bytes[offset..<offset + length], as: UTF8.self)
    }

    mutating func value(depth: Int) throws -> WireValue {
        guard depth < 64 else { throw Self.corrupt("nested too deeply") }
        switch try byte() {
        case 0: return .null
        case 1: return .bool(false)
        case 2: return .bool(true)
        case 3: return .int(Int64(bitPattern: try word()))
        case 4: return .uint(try word())
        case 5: return .double(Double(bitPattern: try word()))
        case 6: return .string(try text())
        case 7:
            let count = try count()
            var items: [WireValue] = []
            // A count is at most the bytes left, but a value takes more room here than its one
            // tag byte on the wire: reserve little up front, so a lying count cannot inflate it.
            items.reserveCapacity(min(count, 1024))
            for _ in 0..<count { items.append(try value(depth: depth + 1)) }
            return .list(items)
        case 8:
            let count = try count()
            var entries: [(String, WireValue)] = []
            entries.reserveCapacity(min(count, 1024))
            for _ in 0..<count { entries.append((try text(), try value(depth: depth + 1))) }
            return .map(entries)
        case let tag: throw Self.corrupt("unknown tag \(tag)")
        }
    }
}
