/// Which rows of a column have a value (bit set) and which are missing, collected chunk by
/// chunk. Memory for the bits is taken only once a value is missing: at most a bit per row.
struct ValidityBitmap {
    private(set) var missing = 0
    /// The bits up to the last missing row seen; rows past its end have a value.
    private var bits: [UInt8] = []

    /// Marks a chunk's missing rows, numbered within the chunk, which starts at row `offset`.
    mutating func markMissing(_ rows: [Int], offset: Int) {
        for row in rows {
            let global = offset + row
            if global >> 3 >= bits.count {
                bits.append(contentsOf: repeatElement(0xFF, count: (global >> 3) + 1 - bits.count))
            }
            bits[global >> 3] &= ~(1 << UInt8(global & 7))
        }
        missing += rows.count
    }

    /// The bitmap of `rowCount` rows, as stored.
    func bytes(rowCount: Int) -> [UInt8] {
        var bytes = bits
        bytes.append(contentsOf: repeatElement(0xFF, count: max(0, (rowCount + 7) / 8 - bytes.count)))
        // Bits past the last row stay clear, so the file is a function of the data alone.
        for row in rowCount..<(bytes.count * 8) { bytes[row >> 3] &= ~(1 << UInt8(row & 7)) }
        return bytes
    }
}
