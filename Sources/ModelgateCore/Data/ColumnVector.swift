/// The values of one column for every row of a dataset: read-only memory, usually a mapped
/// column file, typed by how it is stored.
///
/// - warning: The pointers stay valid only while the vector (which retains their owner) lives.
package struct ColumnVector: @unchecked Sendable {
    package enum Storage {
        /// Category codes, unsigned, `width` bytes each; a code indexes ``ColumnVector/levels``.
        case codes(UnsafeRawPointer, width: Int)
        /// Signed integers, `width` bytes each (1, 2, 4 or 8).
        case integers(UnsafeRawPointer, width: Int)
        case numbers(UnsafePointer<Double>)
        /// 0 or 1, one byte each.
        case booleans(UnsafePointer<UInt8>)
    }

    package let count: Int
    package let storage: Storage
    /// The levels of a category column, in code order (sorted).
    package let levels: [String]
    /// Bit `i % 8` of byte `i / 8` is set when row `i` has a value; nil when no value is missing.
    package let validity: UnsafePointer<UInt8>?
    private let owner: AnyObject?

    package init(
        count: Int, storage: Storage, levels: [String] = [], validity: UnsafePointer<UInt8>?, owner: AnyObject?
    ) {
        self.count = count
        self.storage = storage
        self.levels = levels
        self.validity = validity
        self.owner = owner
    }

    package var isBoolean: Bool {
        if case .booleans = storage { return true }
        return false
    }

    @inline(__always)
    package func isValid(_ row: Int) -> Bool {
        guard let validity else { return true }
        return validity[row >> 3] & (1 << UInt8(row & 7)) != 0
    }

    /// The value of a numeric column (boolean as 0 or 1) or the code of a category, as a Double.
    /// Meant for per-row access outside hot loops.
    @inline(__always)
    package func double(at row: Int) -> Double {
        switch storage {
        case .numbers(let values): return values[row]
        case .booleans(let values): return Double(values[row])
        case .integers(let base, let width): return Double(Self.signed(base, width, row))
        case .codes(let base, let width): return Double(Self.unsigned(base, width, row))
        }
    }

    /// The category code (or integer value, or boolean 0/1) at `row`.
    @inline(__always)
    package func code(at row: Int) -> Int {
        switch storage {
        case .codes(let base, let width): return Self.unsigned(base, width, row)
        case .integers(let base, let width): return Self.signed(base, width, row)
        case .booleans(let values): return Int(values[row])
        case .numbers(let values): return Int(values[row])
        }
    }

    /// Every value as a Double (``double(at:)`` of each row) into `buffer`, which holds
    /// ``count``: the storage and its width are looked at once, not once a row.
    package func copyDoubles(into buffer: UnsafeMutablePointer<Double>) {
        if case .numbers(let values) = storage { return buffer.update(from: values, count: count) }
        copyStored(into: buffer, number: { $0 }, integer: { Double($0) })
    }

    /// Every row's ``code(at:)`` as an `Int32` (truncated, as a level's code always fits) into
    /// `buffer`, which holds ``count``.
    package func copyCodes(into buffer: UnsafeMutablePointer<Int32>) {
        copyStored(
            into: buffer, number: { Int32(truncatingIfNeeded: Int($0)) }, integer: { Int32(truncatingIfNeeded: $0) })
    }

    /// Every row's value, converted by `number` or `integer` as it is stored, into `buffer`.
    @inline(__always)
    private func copyStored<Value>(
        into buffer: UnsafeMutablePointer<Value>, number: (Double) -> Value, integer: (Int64) -> Value
    ) {
        func copy<T: BinaryInteger>(_ base: UnsafeRawPointer, _: T.Type) {
            let values = base.assumingMemoryBound(to: T.self)
            for row in 0..<count { buffer[row] = integer(Int64(truncatingIfNeeded: values[row])) }
        }
        switch storage {
        case .numbers(let values): for row in 0..<count { buffer[row] = number(values[row]) }
        case .booleans(let values): copy(values, UInt8.self)
        case .integers(let base, 1): copy(base, Int8.self)
        case .integers(let base, 2): copy(base, Int16.self)
        case .integers(let base, 4): copy(base, Int32.self)
        case .integers(let base, _): copy(base, Int64.self)
        case .codes(let base, 1): copy(base, UInt8.self)
        case .codes(let base, 2): copy(base, UInt16.self)
        case .codes(let base, _): copy(base, UInt32.self)
        }
    }

    @inline(__always)
    static func unsigned(_ base: UnsafeRawPointer, _ width: Int, _ row: Int) -> Int {
        switch width {
        case 1: return Int(base.load(fromByteOffset: row, as: UInt8.self))
        case 2: return Int(base.load(fromByteOffset: row * 2, as: UInt16.self))
        default: return Int(base.load(fromByteOffset: row * 4, as: UInt32.self))
        }
    }

    @inline(__always)
    static func signed(_ base: UnsafeRawPointer, _ width: Int, _ row: Int) -> Int {
        switch width {
        case 1: return Int(base.load(fromByteOffset: row, as: Int8.self))
        case 2: return Int(base.load(fromByteOffset: row * 2, as: Int16.self))
        case 4: return Int(base.load(fromByteOffset: row * 4, as: Int32.self))
        default: return Int(base.load(fromByteOffset: row * 8, as: Int64.self))
        }
    }
}

/// Heap memory owned by a column vector built in memory (tests, small data).
final class OwnedMemory {
    let pointer: UnsafeMutableRawPointer
    init(byteCount: Int) {
        pointer = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 16)
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: max(byteCount, 1))
    }
    deinit { pointer.deallocate() }
}

extension ColumnVector {
    /// A number column from values; nil is a missing value.
    package init(numbers: [Double?]) {
        let memory = OwnedMemory(byteCount: numbers.count * 8)
        let values = memory.pointer.bindMemory(to: Double.self, capacity: numbers.count)
        for (row, value) in numbers.enumerated() { values[row] = value ?? 0 }
        self.init(count: numbers.count, storage: .numbers(values), present: numbers.map { $0 != nil }, memory: memory)
    }

    /// An integer column from values; nil is a missing value.
    package init(integers: [Int?]) {
        let memory = OwnedMemory(byteCount: integers.count * 8)
        let values = memory.pointer.bindMemory(to: Int64.self, capacity: integers.count)
        for (row, value) in integers.enumerated() { values[row] = Int64(value ?? 0) }
        self.init(
            count: integers.count, storage: .integers(UnsafeRawPointer(values), width: 8),
            present: integers.map { $0 != nil }, memory: memory)
    }

    /// A boolean column from values; nil is a missing value.
    package init(booleans: [Bool?]) {
        let memory = OwnedMemory(byteCount: booleans.count)
        let values = memory.pointer.bindMemory(to: UInt8.self, capacity: booleans.count)
        for (row, value) in booleans.enumerated() { values[row] = value == true ? 1 : 0 }
        self.init(
            count: booleans.count, storage: .booleans(values), present: booleans.map { $0 != nil }, memory: memory)
    }

    /// A category column from values, coded against their sorted distinct levels; nil is missing.
    package init(categories: [String?]) {
        let levels = Array(Set(categories.compactMap { $0 })).sorted()
        let index = Dictionary(uniqueKeysWithValues: levels.enumerated().map { ($1, $0) })
        let memory = OwnedMemory(byteCount: categories.count * 4)
        let codes = memory.pointer.bindMemory(to: UInt32.self, capacity: categories.count)
        for (row, value) in categories.enumerated() { codes[row] = UInt32(value.flatMap { index[$0] } ?? 0) }
        self.init(
            count: categories.count, storage: .codes(UnsafeRawPointer(codes), width: 4), levels: levels,
            present: categories.map { $0 != nil }, memory: memory)
    }

    private init(count: Int, storage: Storage, levels: [String] = [], present: [Bool], memory: OwnedMemory) {
        var validity: UnsafePointer<UInt8>?
        var owner: AnyObject = memory
        if present.contains(false) {
            let bits = OwnedMemory(byteCount: (count + 7) / 8)
            let bytes = bits.pointer.bindMemory(to: UInt8.self, capacity: (count + 7) / 8)
            for (row, isPresent) in present.enumerated() where isPresent { bytes[row >> 3] |= 1 << UInt8(row & 7) }
            validity = UnsafePointer(bytes)
            owner = [memory, bits] as OwnerGroup
        }
        self.init(count: count, storage: storage, levels: levels, validity: validity, owner: owner)
    }
}

/// Keeps several owners alive behind one reference.
final class OwnerGroup: ExpressibleByArrayLiteral {
    let owners: [AnyObject]
    init(arrayLiteral elements: AnyObject...) { owners = elements }
}
