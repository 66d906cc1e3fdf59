import Testing

@testable import ModelgateCore

/// A column converted whole to Doubles (as the estimators read measures) holds each row's value,
/// for every storage and width the column files use.
@Suite struct ColumnVectorTests {
    func copied(_ column: ColumnVector) -> [Double] {
        let buffer = UnsafeMutablePointer<Double>.allocate(capacity: column.count)
        defer { buffer.deallocate() }
        column.copyDoubles(into: buffer)
        return Array(UnsafeBufferPointer(start: buffer, count: column.count))
    }

    /// A column's codes as the estimators' grouping variables read them.
    func groupCodes(_ column: ColumnVector) -> [Int32] {
        let buffer = UnsafeMutablePointer<Int32>.allocate(capacity: column.count)
        defer { buffer.deallocate() }
        column.copyCodes(into: buffer)
        return Array(UnsafeBufferPointer(start: buffer, count: column.count))
    }

    func stored<T: FixedWidthInteger>(_ values: [Int], as _: T.Type, _ body: (UnsafeRawPointer) -> Void) {
        let typed = values.map { T(truncatingIfNeeded: $0) }
        typed.withUnsafeBytes { body($0.baseAddress!) }
    }

    @Test func everyWidthOfIntegersAndCodes() {
        let signed = [0, 1, -1, 7, -128, 127]
        let unsigned = [0, 1, 2, 200, 255, 17]
        func check<T: FixedWidthInteger>(_ values: [Int], _ type: T.Type, codes: Bool) {
            stored(values, as: type) { base in
                let width = MemoryLayout<T>.size
                let column = ColumnVector(
                    count: values.count, storage: codes ? .codes(base, width: width) : .integers(base, width: width),
                    validity: nil, owner: nil)
                #expect(copied(column) == values.map(Double.init), "\(T.self)")
                #expect(copied(column) == (0..<values.count).map(column.double(at:)), "\(T.self)")
                #expect(groupCodes(column) == values.map { Int32(truncatingIfNeeded: $0) }, "\(T.self)")
            }
        }
        check(signed, Int8.self, codes: false)
        check(signed.map { $0 * 250 }, Int16.self, codes: false)
        check(signed.map { $0 * 16_000_000 }, Int32.self, codes: false)
        check(signed.map { $0 * 70_000_000_000 }, Int64.self, codes: false)
        check(unsigned, UInt8.self, codes: true)
        check(unsigned.map { $0 * 250 }, UInt16.self, codes: true)
        check(unsigned.map { $0 * 16_000_000 }, UInt32.self, codes: true)
    }

    @Test func numbersAndBooleans() {
        let numbers: [Double?] = [1.5, -2.25, nil, 1e300]
        #expect(copied(ColumnVector(numbers: numbers)) == [1.5, -2.25, 0, 1e300])
        #expect(copied(ColumnVector(booleans: [true, false, nil, true])) == [1, 0, 0, 1])
        #expect(groupCodes(ColumnVector(booleans: [true, false, nil, true])) == [1, 0, 0, 1])
    }
}
