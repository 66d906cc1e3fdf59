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
        let key = "receipt"
        let member = "  \"\(key)\" : \(nested)"
        var lines = content.split(separator: "\n", omittingEmptySubsequences: false)
        // The first top-level member whose key sorts after the receipt's; else the closing brace.
        let next = lines.firstIndex { line in
            guard line.hasPrefix("  \""), !line.hasPrefix("   "),
                let end = line.dropFirst(3).firstIndex(of: "\"")
            else { return false }
            return line[line.index(line.startIndex, offsetBy: 3)..<end] > key[...]
        }
        if let next {
            lines.insert(Substring(member + ","), at: next)
        } else {
            guard let last = lines.lastIndex(of: "}"), last > 1 else {
                throw ModelgateError("internal_error", "a result document without members")
            }
            lines[last - 1] += ","
            lines.insert(Substring(member), at: last)
        }
        return lines.joined(separator: "\n")
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
