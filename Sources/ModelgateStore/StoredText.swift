import Foundation

/// The JSON texts the stores keep: audit event details, documents, lists of names.
package enum StoredText {
    /// JSON with sorted keys: the same value always gives the same text (an event's detail is
    /// hashed as this text).
    package static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    package static func document<T: Decodable>(_ text: String, as type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }

    /// Names (column names are the policy's, any text) as a JSON array.
    package static func list(_ names: [String]) throws -> String {
        String(decoding: try JSONEncoder().encode(names), as: UTF8.self)
    }

    package static func list(from text: String) throws -> [String] {
        try JSONDecoder().decode([String].self, from: Data(text.utf8))
    }
}
