import ModelgateColumnFiles

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
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for i in 0..<length { hash = (hash ^ UInt64(bytes[i])) &* 0x100_0000_01b3 }
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
        return arena.withUnsafeBufferPointer { arena in
            for i in 0..<length where arena[span.offset + i] != bytes[i] { return false }
            return true
        }
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
