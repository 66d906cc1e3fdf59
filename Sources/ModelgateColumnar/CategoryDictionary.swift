import ModelgateColumnFiles

#if canImport(Glibc)
    import Glibc
#endif

/// Assigns codes to distinct byte strings in first-seen order: an open-addressing hash table
/// over a byte arena, so looking up a field costs one hash and one compare, with no String made
/// per row. Hand-written because ingest must keep pace with a columnar database's CSV reader.
struct CategoryDictionary {
    private var arena: [UInt8] = []
    /// (offset in arena, length) of each level, by code.
    private var spans: [(offset: Int, length: Int)] = []
    /// Code + 1 per slot; 0 is empty.
    private var slots: [UInt32] = [UInt32](repeating: 0, count: 64)
    private var hashes: [UInt64] = []

    var count: Int { spans.count }

    /// The code of the bytes, adding them if new; nil when new bytes are not valid UTF-8.
    @inline(__always)
    mutating func code(of bytes: UnsafePointer<UInt8>, count length: Int) -> UInt32? {
        let hash = Self.hash(bytes, length)
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { break }
            let code = Int(entry - 1)
            if hashes[code] == hash && equals(code, bytes, length) { return UInt32(code) }
            slot = (slot + 1) & mask
        }
        let buffer = UnsafeBufferPointer(start: bytes, count: length)
        guard String(validating: buffer, as: UTF8.self) != nil else { return nil }
        let code = spans.count
        spans.append((arena.count, length))
        hashes.append(hash)
        arena.append(contentsOf: buffer)
        slots[slot] = UInt32(code + 1)
        if spans.count * 2 > slots.count { grow() }
        return UInt32(code)
    }

    @inline(__always)
    private func equals(_ code: Int, _ bytes: UnsafePointer<UInt8>, _ length: Int) -> Bool {
        let span = spans[code]
        guard span.length == length else { return false }
        return arena.withUnsafeBufferPointer { arena in memcmp(arena.baseAddress! + span.offset, bytes, length) == 0 }
    }

    /// Eight bytes a step (a byte a step made the hash of each field a chain of multiplications
    /// as long as the field, most of ingest's time on category columns). The last one to seven
    /// bytes are read as one little-endian number with at most three loads that never leave the
    /// field (a field may end where the mapped file does): the eight bytes that end the field,
    /// shifted; or two overlapping four-byte loads; or the first, middle and last byte. Only the
    /// table's spread depends on the hash.
    @inline(__always)
    static func hash(_ bytes: UnsafePointer<UInt8>, _ length: Int) -> UInt64 {
        let raw = UnsafeRawPointer(bytes)
        var hash = 0xcbf2_9ce4_8422_2325 ^ UInt64(length)
        var offset = 0
        while offset + 8 <= length {
            hash = (hash ^ raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* 0x9E37_79B9_7F4A_7C15
            hash ^= hash >> 29
            offset += 8
        }
        if offset < length {
            let tail = Self.tail(raw, from: offset, to: length)
            hash = (hash ^ tail) &* 0x9E37_79B9_7F4A_7C15
            hash ^= hash >> 29
        }
        return hash
    }

    /// The bytes from `offset` to `length` (one to seven), as a little-endian number, read
    /// without a byte outside `0..<length`.
    @inline(__always)
    static func tail(_ raw: UnsafeRawPointer, from offset: Int, to length: Int) -> UInt64 {
        let rest = length - offset
        if length >= 8 {
            // The eight bytes that end the field; the ones before `offset` shift out.
            let last = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: length - 8, as: UInt64.self))
            return last >> UInt64(8 * (8 - rest))
        }
        if rest >= 4 {
            let low = UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt32.self)))
            let high = UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: rest - 4, as: UInt32.self)))
            // The bytes both loads read are the same bytes, in the same places.
            return low | high << UInt64(8 * (rest - 4))
        }
        let bytes = raw.assumingMemoryBound(to: UInt8.self)
        return UInt64(bytes[0]) | UInt64(bytes[rest / 2]) << UInt64(8 * (rest / 2))
            | UInt64(bytes[rest - 1]) << UInt64(8 * (rest - 1))
    }

    private mutating func grow() {
        slots = [UInt32](repeating: 0, count: slots.count * 2)
        let mask = slots.count - 1
        for code in spans.indices {
            var slot = Int(truncatingIfNeeded: hashes[code]) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = UInt32(code + 1)
        }
    }

    /// Adds the levels of `other` (a chunk's dictionary) that are new here; returns this
    /// dictionary's code of each of its codes. Its levels were checked to be UTF-8 when added.
    mutating func codes(merging other: CategoryDictionary) -> [UInt32] {
        // A level is never empty (an empty field is a missing value), so an arena with levels
        // has a base address.
        other.arena.withUnsafeBufferPointer { arena in
            other.spans.map { code(of: arena.baseAddress! + $0.offset, count: $0.length)! }
        }
    }

    /// The levels by code, as their bytes: levels are told apart and ordered by bytes, since
    /// String equality would merge canonically equivalent spellings into one level.
    var levelBytes: [[UInt8]] {
        spans.map { Array(arena[$0.offset..<($0.offset + $0.length)]) }
    }
}
