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

    /// A primitive's tag and bytes (``WireValue/init(primitive:)`` makes no list or map).
    func scalar(_ value: WireValue) {
        switch value {
        case .null: tag(0)
        case .bool(let value): tag(value ? 2 : 1)
        case .int(let value):
            tag(3)
            word(UInt64(bitPattern: value))
        case .uint(let value):
            tag(4)
            word(value)
        case .double(let value):
            tag(5)
            word(value.bitPattern)
        case .string(let value):
            tag(6)
            text(value)
        case .list, .map: preconditionFailure("a list or map is written through its container")
        }
    }

    /// Writes a value: a primitive directly, anything else through its `encode(to:)`.
    func value<T: Encodable>(_ value: T) throws {
        if let primitive = WireValue(primitive: value) {
            scalar(primitive)
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
