// A compact binary encoding of Codable values, for the pipe between the gateway and its worker.
//
// Written by hand because no library here encodes Codable without Foundation, and linking
// Foundation into the worker costs about 2 ms on every job (its runtime initialises at load).
// Both ends are the same build, so the format needs no versioning: a tagged tree of values.
//
//   nil 0 | false 1 | true 2 | int 3 + 8 bytes | uint 4 + 8 bytes | double 5 + 8 bytes
//   string 6 + length + UTF-8 | list 7 + count + items | map 8 + count + (key string, value)…
//
// Lengths and counts are 8-byte little-endian. Every read is bounds-checked: a truncated or
// corrupt message is a decoding error, never a crash.

/// A decoded or to-be-encoded value.
enum WireValue: Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case list([WireValue])
    case map([(String, WireValue)])

    static func == (lhs: WireValue, rhs: WireValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.int(let a), .int(let b)): a == b
        case (.uint(let a), .uint(let b)): a == b
        case (.double(let a), .double(let b)): a.bitPattern == b.bitPattern
        case (.string(let a), .string(let b)): a == b
        case (.list(let a), .list(let b)): a == b
        case (.map(let a), .map(let b)): a.map(\.0) == b.map(\.0) && a.map(\.1) == b.map(\.1)
        default: false
        }
    }
}

public enum WireCodec {
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let writer = WireWriter()
        try writer.value(value)
        return writer.bytes
    }

    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        var reader = WireReader(bytes: bytes)
        let value = try reader.value(depth: 0)
        guard reader.offset == bytes.count else { throw WireReader.corrupt("trailing bytes") }
        return try T(from: WireDecoder(value: value))
    }
}

// MARK: - Bytes

extension WireValue {
    func write(to bytes: inout [UInt8]) {
        func word(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        func text(_ value: String) {
            word(UInt64(value.utf8.count))
            bytes.append(contentsOf: value.utf8)
        }
        switch self {
        case .null: bytes.append(0)
        case .bool(let value): bytes.append(value ? 2 : 1)
        case .int(let value):
            bytes.append(3)
            word(UInt64(bitPattern: value))
        case .uint(let value):
            bytes.append(4)
            word(value)
        case .double(let value):
            bytes.append(5)
            word(value.bitPattern)
        case .string(let value):
            bytes.append(6)
            text(value)
        case .list(let items):
            bytes.append(7)
            word(UInt64(items.count))
            for item in items { item.write(to: &bytes) }
        case .map(let entries):
            bytes.append(8)
            word(UInt64(entries.count))
            for (key, value) in entries {
                text(key)
                value.write(to: &bytes)
            }
        }
    }
}

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

// MARK: - Encoding

/// The message being written. Values are written in place as the containers receive them; a
/// list or map writes its count as a placeholder and bumps it with each item, so nothing is
/// built in between. (Codable encodes strictly depth-first, which this relies on.)
final class WireWriter {
    var bytes: [UInt8] = []

    func tag(_ tag: UInt8) { bytes.append(tag) }

    func word(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }

    func text(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            word(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    /// Starts a list or map; returns where its count is, for ``bump(_:)``.
    func open(_ tag: UInt8) -> Int {
        bytes.append(tag)
        word(0)
        return bytes.count - 8
    }

    func bump(_ countOffset: Int) {
        var count: UInt64 = 0
        for index in (0..<8).reversed() { count = count << 8 | UInt64(bytes[countOffset + index]) }
        count += 1
        for index in 0..<8 { bytes[countOffset + index] = UInt8(truncatingIfNeeded: count >> (8 * UInt64(index))) }
    }

    /// Writes a value: a primitive directly, anything else through its `encode(to:)`.
    func value<T: Encodable>(_ value: T) throws {
        if let primitive = WireValue(primitive: value) {
            primitive.write(to: &bytes)
        } else {
            try value.encode(to: WireEncoder(writer: self))
        }
    }
}

struct WireEncoder: Encoder {
    let writer: WireWriter
    // Paths are not tracked: both ends are this build, and tracking costs an array per value.
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(KeyedWireEncoder(writer: writer, countOffset: writer.open(8)))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        UnkeyedWireEncoder(writer: writer, countOffset: writer.open(7))
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleWireEncoder(writer: writer) }
}

extension WireValue {
    /// The value of a primitive type, found by comparing metatypes (cheap), not by casting an
    /// `Any` (which looks up protocol conformances the first time for every type).
    init?<T>(primitive value: T) {
        let type = T.self
        if type == Double.self {
            self = .double(value as! Double)
        } else if type == Int.self {
            self = .int(Int64(value as! Int))
        } else if type == String.self {
            self = .string(value as! String)
        } else if type == Bool.self {
            self = .bool(value as! Bool)
        } else if type == Int32.self {
            self = .int(Int64(value as! Int32))
        } else if type == Int64.self {
            self = .int(value as! Int64)
        } else if type == UInt64.self {
            self = .uint(value as! UInt64)
        } else if type == Float.self {
            self = .double(Double(value as! Float))
        } else if type == Int8.self {
            self = .int(Int64(value as! Int8))
        } else if type == Int16.self {
            self = .int(Int64(value as! Int16))
        } else if type == UInt.self {
            self = .uint(UInt64(value as! UInt))
        } else if type == UInt8.self {
            self = .uint(UInt64(value as! UInt8))
        } else if type == UInt16.self {
            self = .uint(UInt64(value as! UInt16))
        } else if type == UInt32.self {
            self = .uint(UInt64(value as! UInt32))
        } else {
            return nil
        }
    }

    /// This value as a primitive `T`; nil when `T` is not a primitive, throws when it does not fit.
    func primitive<T>(_ type: T.Type) throws -> T? {
        func integer<I: FixedWidthInteger>(_: I.Type) throws -> T {
            let result: I?
            switch self {
            case .int(let value): result = I(exactly: value)
            case .uint(let value): result = I(exactly: value)
            default: result = nil
            }
            guard let result else { throw WireReader.corrupt("\(self) is not a \(I.self)") }
            return result as! T
        }
        switch self {
        case .double(let value) where type == Double.self: return (value as! T)
        case .double(let value) where type == Float.self: return (Float(value) as! T)
        case .string(let value) where type == String.self: return (value as! T)
        case .bool(let value) where type == Bool.self: return (value as! T)
        default: break
        }
        if type == Int.self { return try integer(Int.self) }
        if type == Int64.self { return try integer(Int64.self) }
        if type == Int32.self { return try integer(Int32.self) }
        if type == UInt64.self { return try integer(UInt64.self) }
        if type == Int8.self { return try integer(Int8.self) }
        if type == Int16.self { return try integer(Int16.self) }
        if type == UInt.self { return try integer(UInt.self) }
        if type == UInt8.self { return try integer(UInt8.self) }
        if type == UInt16.self { return try integer(UInt16.self) }
        if type == UInt32.self { return try integer(UInt32.self) }
        return nil
    }
}

struct KeyedWireEncoder<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let writer: WireWriter
    let countOffset: Int
    var codingPath: [any CodingKey] { [] }

    /// Writes the key and counts the entry; the caller writes the value next.
    private func key(_ key: Key) -> WireWriter {
        writer.bump(countOffset)
        writer.text(key.stringValue)
        return writer
    }

    mutating func encodeNil(forKey key: Key) throws { self.key(key).tag(0) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try self.key(key).value(value) }
    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> { WireEncoder(writer: self.key(key)).container(keyedBy: keyType) }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        WireEncoder(writer: self.key(key)).unkeyedContainer()
    }
    mutating func superEncoder() -> any Encoder { superEncoder(forKey: Key(stringValue: "super")!) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { WireEncoder(writer: self.key(key)) }
}

struct UnkeyedWireEncoder: UnkeyedEncodingContainer {
    let writer: WireWriter
    let countOffset: Int
    private(set) var count = 0
    var codingPath: [any CodingKey] { [] }

    private mutating func item() -> WireWriter {
        count += 1
        writer.bump(countOffset)
        return writer
    }

    mutating func encodeNil() throws { item().tag(0) }
    mutating func encode<T: Encodable>(_ value: T) throws { try item().value(value) }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<
        NestedKey
    > { WireEncoder(writer: item()).container(keyedBy: keyType) }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        WireEncoder(writer: item()).unkeyedContainer()
    }
    mutating func superEncoder() -> any Encoder { WireEncoder(writer: item()) }
}

struct SingleWireEncoder: SingleValueEncodingContainer {
    let writer: WireWriter
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws { writer.tag(0) }
    mutating func encode<T: Encodable>(_ value: T) throws { try writer.value(value) }
}

// MARK: - Decoding

struct WireDecoder: Decoder {
    let value: WireValue
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func mismatch(_ expected: String) -> DecodingError {
        WireReader.corrupt("expected \(expected), found \(value)")
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .map(let entries) = value else { throw mismatch("a map") }
        return KeyedDecodingContainer(KeyedWireDecoder(entries: entries))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .list(let items) = value else { throw mismatch("a list") }
        return UnkeyedWireDecoder(items: items)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    /// Decodes a primitive directly, anything else through its `init(from:)`.
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if let primitive = try value.primitive(type) { return primitive }
        return try T(from: self)
    }
}

extension WireDecoder: SingleValueDecodingContainer {
    func decodeNil() -> Bool {
        if case .null = value { return true }
        return false
    }
}

struct KeyedWireDecoder<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let entries: [(String, WireValue)]
    var codingPath: [any CodingKey] { [] }
    var allKeys: [Key] { entries.compactMap { Key(stringValue: $0.0) } }

    func contains(_ key: Key) -> Bool { entries.contains { $0.0 == key.stringValue } }

    private func child(_ key: Key) throws -> WireDecoder {
        let name = key.stringValue
        guard let entry = entries.first(where: { $0.0 == name }) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: [], debugDescription: "no value for \(name)"))
        }
        return WireDecoder(value: entry.1)
    }

    func decodeNil(forKey key: Key) throws -> Bool { try child(key).decodeNil() }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try child(key).decode(type) }
    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> { try child(key).container(keyedBy: type) }
    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try child(key).unkeyedContainer()
    }
    func superDecoder() throws -> any Decoder { try child(Key(stringValue: "super")!) }
    func superDecoder(forKey key: Key) throws -> any Decoder { try child(key) }
}

struct UnkeyedWireDecoder: UnkeyedDecodingContainer {
    let items: [WireValue]
    var codingPath: [any CodingKey] { [] }
    var currentIndex = 0
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    init(items: [WireValue]) {
        self.items = items
    }

    private mutating func next() throws -> WireDecoder {
        guard !isAtEnd else { throw WireReader.corrupt("a list ended early") }
        defer { currentIndex += 1 }
        return WireDecoder(value: items[currentIndex])
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, case .null = items[currentIndex] else { return false }
        currentIndex += 1
        return true
    }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().decode(type) }
    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type
    ) throws -> KeyedDecodingContainer<NestedKey> { try next().container(keyedBy: type) }
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }
    mutating func superDecoder() throws -> any Decoder { try next() }
}
