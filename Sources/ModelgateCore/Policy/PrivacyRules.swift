/// How a dataset's results are protected: `exact` (the default: exact figures, checked for
/// disclosure and against the release ledger) or `dp` (figures with noise whose privacy loss is
/// bounded, with a budget of ε that is spent and never refreshed by itself).
///
/// In `dp` mode the privacy unit is a row: two datasets are neighbours when one has a row the
/// other lacks (add/remove-one), and every bound a mechanism needs (a clamping range, a
/// category's levels, a histogram's edges) comes from the policy, never from the data.
package struct PrivacyRules: Sendable, Equatable, Codable {
    package enum Mode: String, Sendable, Codable, CaseIterable { case exact, dp }

    package var mode: Mode = .exact
    /// The lifetime cap of every agreement's spending on this dataset together.
    package var datasetEpsilon: MicroEpsilon = .zero
    /// What each agreement may spend on this dataset.
    package var agreementEpsilon: MicroEpsilon = .zero
    /// The most one job may spend.
    package var maxEpsilonPerJob: MicroEpsilon = .zero
    /// What a job spends when its spec names no `epsilon` (the policy's `epsilonPerJob`, or else
    /// `maxEpsilonPerJob`).
    package var epsilonPerJob: MicroEpsilon = .zero
    /// The privacy unit when it is not a row: a column naming whose each row is (a person, a
    /// household), and how many of a unit's rows a job keeps at most.
    package var unit: PrivacyUnit?

    package init() {}
}

/// A privacy unit of several rows (`privacy.unit: { column: household_id, maxRowsPerUnit: 4 }`):
/// before anything is computed, each unit keeps its first `maxRows` used rows (in file order) and
/// no more, so that one unit changes any figure by at most `maxRows` rows' worth. The column is
/// of class identifier; ingest keeps it only as anonymous codes, never its values.
package struct PrivacyUnit: Sendable, Equatable, Codable {
    package var column: String
    package var maxRows: Int

    package init(column: String, maxRows: Int) {
        self.column = column
        self.maxRows = maxRows
    }

    package static let largestMaxRows = 1000
}

extension Policy {
    /// The column ingest stores as anonymous unit codes (privacy mode dp with a unit), if any.
    package var unitColumn: String? { privacy.mode == .dp ? privacy.unit?.column : nil }
}

/// An amount of ε in millionths, so that budgets add and compare exactly (a store never sums
/// floating-point ε: 0.1 ten times is not 1 in binary).
package struct MicroEpsilon: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    package var micros: Int64

    package init(micros: Int64) { self.micros = micros }

    package static let zero = MicroEpsilon(micros: 0)
    /// 10⁶ millionths: budgets and per-job ε are at most this many whole units.
    package static let largest = MicroEpsilon(micros: 1_000_000 * 1_000_000)

    /// ε from its decimal text (`0.1`, `2`, `1e-3`), exactly: nil unless it is a finite,
    /// non-negative number of at most six decimal places, no larger than ``largest``.
    package init?(text: String) {
        var text = Substring(text.trimmingSpaces)
        guard !text.isEmpty, !text.hasPrefix("-"), !text.hasPrefix("+") else { return nil }
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            guard let power = Int(text[text.index(after: e)...]), abs(power) < 40 else { return nil }
            exponent = power
            text = text[..<e]
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }),
            !(parts.first?.isEmpty ?? true) || (parts.count == 2 && !parts[1].isEmpty)
        else { return nil }
        // The digits as one integer and the power of ten they are scaled by.
        let digits = parts.joined().drop { $0 == "0" }
        let scale = exponent - (parts.count == 2 ? parts[1].count : 0) + 6
        guard digits.count <= 18 else { return nil }
        var value = Int64(digits) ?? 0
        if scale >= 0 {
            for _ in 0..<scale {
                let (next, overflow) = value.multipliedReportingOverflow(by: 10)
                guard !overflow else { return nil }
                value = next
            }
        } else {
            for _ in 0..<(-scale) {
                guard value % 10 == 0 else { return nil }
                value /= 10
            }
        }
        guard value <= Self.largest.micros else { return nil }
        micros = value
    }

    package static func < (a: Self, b: Self) -> Bool { a.micros < b.micros }
    package static func + (a: Self, b: Self) -> Self { Self(micros: a.micros + b.micros) }
    package static func - (a: Self, b: Self) -> Self { Self(micros: a.micros - b.micros) }

    /// The decimal form, without trailing zeros (`0.1`, `2`).
    package var description: String {
        let whole = micros / 1_000_000
        var fraction = String(micros % 1_000_000)
        guard fraction != "0" else { return String(whole) }
        fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(whole).\(fraction)"
    }
}

extension StringProtocol {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
