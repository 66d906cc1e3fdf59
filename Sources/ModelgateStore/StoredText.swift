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

    /// Free text for a plain column (a reason's message, a note): a NUL becomes U+FFFD, as
    /// PostgreSQL text cannot hold one and SQLite's would be cut there by some readers. Such text
    /// is never hashed; the event details that carry it are JSON, where a NUL is escaped.
    package static func storable(_ text: String?) -> String? {
        guard let text, text.utf8.contains(0) else { return text }
        return text.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}")
    }

    package static func list(from text: String) throws -> [String] {
        try JSONDecoder().decode([String].self, from: Data(text.utf8))
    }
}
