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

package enum WireCodec {
    package static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let writer = WireWriter()
        try writer.value(value)
        return writer.bytes
    }

    package static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        var reader = WireReader(bytes: bytes)
        let value = try reader.value(depth: 0)
        guard reader.offset == bytes.count else { throw WireReader.corrupt("trailing bytes") }
        return try T(from: WireDecoder(value: value))
    }
}
