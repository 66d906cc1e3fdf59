import ModelgateColumnFiles
import ModelgateCore

/// Collects one column's values from one chunk of a CSV, typed and range-checked by the policy.
///
/// A value type on purpose: the parser appends to builders in place through an unsafe buffer,
/// which spares every field a reference count and an exclusivity check.
struct ColumnBuilder {
    let policy: ColumnPolicy
    /// How values are parsed: the policy's type, except that identifier and free-text columns
    /// are neither parsed nor stored, since no model may use them and data not kept cannot leak.
    let kind: ColumnType
    /// Category codes local to this chunk's dictionary.
    var codes: [UInt32] = []
    var integers: [Int64] = []
    var numbers: [Double] = []
    var booleans: [UInt8] = []
    var dictionary = CategoryDictionary()
    /// Rows (within the chunk) with no value.
    var missingRows: [Int] = []
    var minimum = Int64.max
    var maximum = Int64.min
    private let low: Double
    private let high: Double

    /// `asUnit`: the privacy unit's column (an identifier), kept as category codes whose
    /// levels are never written (``ColumnFileWriter``).
    init(policy: ColumnPolicy, expectedRows: Int, asUnit: Bool = false) {
        self.policy = policy
        kind = asUnit ? .category : policy.columnClass == .identifier ? .string : policy.type
        low = policy.min ?? -.infinity
        high = policy.max ?? .infinity
        switch kind {
        case .category: codes.reserveCapacity(expectedRows)
        case .integer: integers.reserveCapacity(expectedRows)
        case .number: numbers.reserveCapacity(expectedRows)
        case .boolean: booleans.reserveCapacity(expectedRows)
        case .string: break
        }
    }

    var isStored: Bool { kind != .string }

    /// Empties the builder for the next chunk, keeping its arrays' memory: chunks are parsed
    /// window after window into the same builders.
    mutating func reset() {
        codes.removeAll(keepingCapacity: true)
        integers.removeAll(keepingCapacity: true)
        numbers.removeAll(keepingCapacity: true)
        booleans.removeAll(keepingCapacity: true)
        missingRows.removeAll(keepingCapacity: true)
        dictionary = CategoryDictionary()
        minimum = .max
        maximum = .min
    }

    /// Adds one field's bytes; returns what is wrong with them, or nil.
    @inline(__always)
    mutating func append(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> String? {
        if count == 0 {
            guard isStored else { return nil }
            missingRows.append(rowCount)
            switch kind {
            case .category: codes.append(0)
            case .integer: integers.append(0)
            case .number: numbers.append(0)
            case .boolean: booleans.append(0)
            case .string: break
            }
            return nil
        }
        switch kind {
        case .category:
            guard let code = dictionary.code(of: bytes, count: count) else { return "the value is not valid UTF-8" }
            codes.append(code)
        case .number:
            guard let value = FieldParsing.number(bytes, count) else {
                return "'\(text(bytes, count))' is not a number"
            }
            if value < low || value > high { return outOfRange(text(bytes, count)) }
            numbers.append(value)
        case .integer:
            guard let value = FieldParsing.integer(bytes, count) else {
                return "'\(text(bytes, count))' is not a whole number"
            }
            if Double(value) < low || Double(value) > high { return outOfRange(String(value)) }
            if value < minimum { minimum = value }
            if value > maximum { maximum = value }
            integers.append(value)
        case .boolean:
            guard let value = FieldParsing.boolean(bytes, count) else {
                return "'\(text(bytes, count))' is not a boolean (use 1/0 or true/false)"
            }
            booleans.append(value)
        case .string:
            break
        }
        return nil
    }

    var rowCount: Int {
        switch kind {
        case .category: return codes.count
        case .integer: return integers.count
        case .number: return numbers.count
        case .boolean: return booleans.count
        case .string: return 0
        }
    }

    private func outOfRange(_ value: String) -> String {
        "\(value) is outside the policy's range [\(bound(policy.min) ?? "-∞"), \(bound(policy.max) ?? "∞")]"
    }

    private func bound(_ value: Double?) -> String? {
        guard let value else { return nil }
        return value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    private func text(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> String {
        String(decoding: UnsafeBufferPointer(start: bytes, count: min(count, 40)), as: UTF8.self)
    }
}
