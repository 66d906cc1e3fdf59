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
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: Self.infinity, negativeInfinity: "-" + Self.infinity, nan: Self.notANumber)
        return String(decoding: try encoder.encode(self), as: UTF8.self)
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
