/// A string code from an open set (refusal codes, audit event kinds): new values are added
/// without breaking readers, and each is written as its bare string in JSON.
package protocol OpenCode: RawRepresentable, Sendable, Codable, Hashable, ExpressibleByStringLiteral
where RawValue == String, StringLiteralType == String {
    init(rawValue: String)
}

extension OpenCode {
    package init(stringLiteral value: String) { self.init(rawValue: value) }

    package init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
