/// The built-in algorithm models a researcher can ask for.
package enum ModelKind: String, Sendable, Codable, CaseIterable {
    case summary
    case crosstab
    case histogram
    case linearRegression = "linear_regression"
    case logisticRegression = "logistic_regression"
}

extension ModelKind {
    /// What a researcher reads for a model name that is not one of these.
    package static func unknown(_ name: String) -> String {
        "unknown model '\(name)'; the built-in models are \(allCases.map(\.rawValue).joined(separator: ", "))"
    }

    /// Read from its name; an unknown name says which models there are (not Swift's decoder text).
    package init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let kind = ModelKind(rawValue: name) else {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: decoder.codingPath, debugDescription: Self.unknown(name)))
        }
        self = kind
    }
}
