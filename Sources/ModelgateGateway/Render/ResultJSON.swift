import Crypto
import Foundation
import ModelgateCore

extension JobResult {
    /// SHA-256 (hex) of the result document without its receipt (which points at the event that
    /// holds this hash): what `modelgate audit receipt` recomputes from a saved result.
    package func contentHash() throws -> String {
        try content().hash
    }

    /// The document without its receipt, as JSON, and its SHA-256 (hex).
    package func content() throws -> (text: String, hash: String) {
        var content = self
        content.receipt = nil
        let text = try content.jsonText()
        return (text, Hex.string(SHA256.hash(data: Data(text.utf8))))
    }

    /// The result as the JSON of the public contract.
    package func jsonText() throws -> String {
        String(decoding: try Self.encoder().encode(self), as: UTF8.self)
    }

    /// What ``jsonText()`` says of this document with `receipt`, made from `content`, the text of
    /// the document without a receipt (``content()``, or the document as stored), so that a job's
    /// result is encoded once, not again with its receipt. Relies on the encoder's layout: keys
    /// sorted, one top-level member per line indented by two spaces (a string's line breaks are
    /// escaped); a test holds it to ``jsonText()`` for every kind of result.
    package static func document(_ content: String, receipt: Receipt?) throws -> String {
        guard let receipt else { return content }
        let nested = String(decoding: try encoder().encode(receipt), as: UTF8.self)
            .replacingOccurrences(of: "\n", with: "\n  ")
        let key = Array("receipt".utf8)
        let member = Array("  \"receipt\" : \(nested)".utf8)
        let text = Array(content.utf8)
        let (newline, space, quote) = (UInt8(ascii: "\n"), UInt8(ascii: " "), UInt8(ascii: "\""))
        // A top-level member starts a line with two spaces and a quote; deeper ones have more spaces.
        var index = 0
        while index + 3 < text.count {
            guard text[index] == newline, text[index + 1] == space, text[index + 2] == space, text[index + 3] == quote
            else {
                index += 1
                continue
            }
            let start = index + 4
            guard let end = text[start...].firstIndex(of: quote) else { break }
            if text[start..<end].lexicographicallyPrecedes(key) || text[start..<end].elementsEqual(key) {
                index = end
                continue
            }
            // The first member whose key sorts after the receipt's: the receipt goes before it.
            return String(decoding: text[...index] + member + Array(",\n".utf8) + text[(index + 1)...], as: UTF8.self)
        }
        // No member after it: the receipt goes last, after a comma on the member before.
        guard let close = text.lastIndex(of: UInt8(ascii: "}")), close > 1, text[close - 1] == newline else {
            throw ModelgateError(
                "internal_error", "a result document that does not end its object on a line of its own")
        }
        return String(
            decoding: text[..<(close - 1)] + Array(",\n".utf8) + member + text[(close - 1)...], as: UTF8.self)
    }

    private static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: Self.infinity, negativeInfinity: "-" + Self.infinity, nan: Self.notANumber)
        return encoder
    }

    /// Reads a result document back, as ``jsonText()`` wrote it.
    package init(jsonText: String) throws {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: Self.infinity, negativeInfinity: "-" + Self.infinity, nan: Self.notANumber)
        self = try decoder.decode(JobResult.self, from: Data(jsonText.utf8))
    }

    private static let infinity = "Infinity"
    private static let notANumber = "NaN"
}
