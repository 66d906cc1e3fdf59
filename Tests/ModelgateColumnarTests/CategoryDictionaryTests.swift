import ModelgateCore
import Testing

@testable import ModelgateColumnar

#if canImport(Glibc)
    import Glibc
#endif

/// Category codes against a reference: Swift's own dictionary keyed by the bytes.
@Suite struct CategoryDictionaryTests {
    /// Random fields of 1 to 24 bytes over a few byte values (so that most repeat, and many share
    /// their first 8 or 16 bytes, or differ only by a leading zero byte), each given the code of
    /// its first appearance; the dictionary must give every field the reference's code.
    @Test func codesAreFirstAppearancesOfTheBytes() {
        var random = SplitMix64(seed: 15)
        var dictionary = CategoryDictionary()
        var reference: [[UInt8]: UInt32] = [:]
        let alphabet: [UInt8] = [0, 1, 65, 66, 127]
        for _ in 0..<200_000 {
            let length = Int.random(in: 1...24, using: &random)
            // A long shared stem makes fields alike in their first 8 or 16 bytes.
            let stem = [UInt8](repeating: 65, count: Int.random(in: 0...length, using: &random))
            let field = stem + (stem.count..<length).map { _ in alphabet.randomElement(using: &random)! }
            let expected = reference[field] ?? UInt32(reference.count)
            reference[field] = expected
            let code = field.withUnsafeBufferPointer { dictionary.code(of: $0.baseAddress!, count: $0.count) }
            #expect(code == expected, "\(field)")
            if code != expected { return }
        }
        #expect(dictionary.count == reference.count)
        #expect(reference.count > 1000)
    }

    /// A field's last bytes are read without a byte outside it: a field that ends where a page
    /// ends, before a page that cannot be read, hashes without a fault and as the same bytes do
    /// anywhere else; its last one to seven bytes read as the number a byte-by-byte reading makes.
    @Test func aFieldIsReadWithinItsBytesAndAlikeAnywhere() throws {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let memory = try #require(
            mmap(nil, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0).flatMap {
                $0 == MAP_FAILED ? nil : $0
            })
        defer { munmap(memory, 2 * page) }
        // Any read past the first page's end now kills the test process.
        #expect(mprotect(memory + page, page, PROT_NONE) == 0)
        let elsewhere = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 8)
        defer { elsewhere.deallocate() }
        var random = SplitMix64(seed: 17)
        for length in 1...24 {
            let field = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            let atEnd = memory + page - length
            atEnd.copyMemory(from: field, byteCount: length)
            (elsewhere + 3).copyMemory(from: field, byteCount: length)
            #expect(
                CategoryDictionary.hash(atEnd.assumingMemoryBound(to: UInt8.self), length)
                    == CategoryDictionary.hash((elsewhere + 3).assumingMemoryBound(to: UInt8.self), length),
                "length \(length)")
            let offset = length / 8 * 8
            guard offset < length else { continue }
            var expected: UInt64 = 0
            for (place, byte) in field[offset...].enumerated() { expected |= UInt64(byte) << UInt64(8 * place) }
            #expect(CategoryDictionary.tail(UnsafeRawPointer(atEnd), from: offset, to: length) == expected)
        }
    }
}
