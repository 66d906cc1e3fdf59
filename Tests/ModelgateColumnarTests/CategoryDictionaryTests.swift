import ModelgateCore
import Testing

@testable import ModelgateColumnar

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

    /// A field's hash reads the bytes after it only within its own page; at a page's end it
    /// reads byte by byte. Both ways must give one hash, or a level would get two codes.
    @Test func aFieldHashesAlikeAtAPagesEndAndAnywhereElse() {
        let page = 4096
        let memory = UnsafeMutableRawPointer.allocate(byteCount: 2 * page, alignment: page)
        defer { memory.deallocate() }
        memory.initializeMemory(as: UInt8.self, repeating: 0xAB, count: 2 * page)
        var random = SplitMix64(seed: 17)
        for length in 1...24 {
            let field = (0..<length).map { _ in UInt8.random(in: 32...126, using: &random) }
            // Ending exactly at the first page's end, and in the middle of the second page.
            let atEnd = memory + page - length
            let inside = memory + page + 100
            atEnd.copyMemory(from: field, byteCount: length)
            inside.copyMemory(from: field, byteCount: length)
            #expect(
                CategoryDictionary.hash(atEnd.assumingMemoryBound(to: UInt8.self), length)
                    == CategoryDictionary.hash(inside.assumingMemoryBound(to: UInt8.self), length), "length \(length)")
        }
    }
}
