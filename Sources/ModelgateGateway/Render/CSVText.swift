import Foundation

/// CSV lines as RFC 4180 writes them, by hand: the one thing written here is quoting, which no
/// dependency of the project does (SwiftCSV and CSV.swift read CSV, and the columnar ingest has
/// its own reader).
package enum CSVText {
    /// A field, quoted when it holds a comma, a quote or a line break; quotes doubled.
    package static func field(_ text: String) -> String {
        // By scalar: "\r\n" is one Character, equal to neither "\r" nor "\n".
        guard text.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else {
            return text
        }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// One record, ended by a line feed.
    package static func line(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\n"
    }
}
