import ModelgateColumnFiles

/// Parses the records of one byte range of a CSV file (RFC 4180: comma-separated, optional
/// double quotes with "" escapes, LF or CRLF line ends) into column builders.
///
/// Hand-written rather than a CSV package because ingest must keep pace with a columnar
/// database's reader: this makes no String per field and parses numbers in place.
struct CSVChunkParser {
    /// Line number of the chunk's first record, for messages.
    let firstLine: Int
    /// Whether the chunk is the file's last: only there may a blank line end it.
    let endsFile: Bool

    /// A problem at a line and column of the file.
    struct Failure: Error {
        var line: Int
        var column: String
        var message: String
    }

    /// What a parse got through.
    struct Parsed {
        var records: Int
        /// Lines read: more than the records when a quoted field holds a line break.
        var lines: Int
        /// Where the parse stopped: a record boundary.
        var stop: UnsafePointer<UInt8>
    }

    /// Parses from `start`, a record boundary, up to `end`, or to the first record boundary at or
    /// past `limit` when that comes first: a range with quotes can only be cut where a parse
    /// finds a record's end, since a quoted field may hold a line break.
    func parse(
        _ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, limit: UnsafePointer<UInt8>? = nil,
        into builders: inout [ColumnBuilder]
    ) throws(Failure) -> Parsed {
        try builders.withUnsafeMutableBufferPointer { (builders) throws(Failure) -> Parsed in
            try parse(start, end, limit: limit ?? end, into: builders)
        }
    }

    /// The parse itself, appending to one builder per CSV field (in file order) in place.
    private func parse(
        _ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, limit: UnsafePointer<UInt8>,
        into builders: UnsafeMutableBufferPointer<ColumnBuilder>
    ) throws(Failure) -> Parsed {
        let comma: UInt8 = 44
        let newline: UInt8 = 10
        let carriageReturn: UInt8 = 13
        let quote: UInt8 = 34
        var scratch = [UInt8]()
        var p = start
        var line = firstLine
        var records = 0
        let fieldCount = builders.count
        while p < end && p < limit {
            // A blank last line is not a record.
            if p.pointee == newline || (p.pointee == carriageReturn && p + 1 < end && p[1] == newline) {
                let rest = p.pointee == newline ? p + 1 : p + 2
                if rest == end && endsFile {
                    p = end
                    break
                }
                throw Failure(line: line, column: "", message: "blank line; every record needs \(fieldCount) fields")
            }
            let recordLine = line
            for field in 0..<fieldCount {
                let fieldStart = p
                var fieldLength: Int
                if p < end && p.pointee == quote {
                    // Quoted field: copy it unescaped into scratch.
                    scratch.removeAll(keepingCapacity: true)
                    p += 1
                    while true {
                        guard p < end else {
                            throw Failure(
                                line: recordLine, column: builders[field].policy.name, message: "unterminated quote")
                        }
                        if p.pointee == quote {
                            if p + 1 < end && p[1] == quote {
                                scratch.append(quote)
                                p += 2
                                continue
                            }
                            p += 1
                            guard p == end || p.pointee == comma || p.pointee == newline || p.pointee == carriageReturn
                            else {
                                throw Failure(
                                    line: recordLine, column: builders[field].policy.name,
                                    message: "text after a closing quote; a quoted field ends at its closing quote")
                            }
                            break
                        }
                        if p.pointee == newline { line += 1 }
                        scratch.append(p.pointee)
                        p += 1
                    }
                    fieldLength = scratch.count
                    let message = scratch.withUnsafeBufferPointer { buffer in
                        builders[field].append(buffer.baseAddress ?? fieldStart, fieldLength)
                    }
                    if let message {
                        throw Failure(line: recordLine, column: builders[field].policy.name, message: message)
                    }
                } else {
                    p = Self.fieldEnd(p, end)
                    fieldLength = p - fieldStart
                    if fieldLength > 0 && fieldStart[fieldLength - 1] == carriageReturn
                        && (p == end || p.pointee == newline)
                    {
                        fieldLength -= 1
                    }
                    if let message = builders[field].append(fieldStart, fieldLength) {
                        throw Failure(line: recordLine, column: builders[field].policy.name, message: message)
                    }
                }
                // The delimiter after the field.
                let isLast = field == fieldCount - 1
                if isLast {
                    if p < end && p.pointee == carriageReturn { p += 1 }
                    if p < end {
                        guard p.pointee == newline else {
                            throw Failure(
                                line: recordLine, column: "",
                                message: "more than \(fieldCount) fields; every record needs exactly \(fieldCount)")
                        }
                        p += 1
                    }
                } else {
                    guard p < end, p.pointee == comma else {
                        throw Failure(
                            line: recordLine, column: "",
                            message: "only \(field + 1) fields; every record needs exactly \(fieldCount)")
                    }
                    p += 1
                }
            }
            line += 1
            records += 1
        }
        return Parsed(records: records, lines: line - firstLine, stop: p)
    }
}

extension CSVChunkParser {
    /// The first comma or line feed from `p` on, or `end`: eight bytes a step (the zero-byte
    /// test of each word against both), then byte by byte for the last few, never reading past
    /// `end`. Most fields are short, but the scan runs over every byte of the file.
    @inline(__always)
    static func fieldEnd(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> UnsafePointer<UInt8> {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var p = start
        while end - p >= 8 {
            let word = UnsafeRawPointer(p).loadUnaligned(as: UInt64.self)
            let commas = word ^ (ones &* 44)
            let newlines = word ^ (ones &* 10)
            // A byte of x is zero where (x − 0x01…) & ~x has its high bit; the lowest such byte
            // is exactly the first zero (a borrow only runs upward from one).
            let found = ((commas &- ones) & ~commas | (newlines &- ones) & ~newlines) & highs
            if found != 0 { return p + found.trailingZeroBitCount / 8 }
            p += 8
        }
        while p < end && p.pointee != 44 && p.pointee != 10 { p += 1 }
        return p
    }
}
