import Foundation

/// Times as the store writes them: ISO 8601 in UTC with milliseconds, e.g.
/// `2026-12-03T07:40:31.123Z`. Text of this shape sorts in time order, so range filters are
/// string comparisons. Quota days are UTC calendar days.
package enum Timestamp {
    package static func string(_ date: Date) -> String {
        date.formatted(timeStyle)
    }

    /// The UTC calendar day of a date, `YYYY-MM-DD`.
    package static func day(_ date: Date) -> String {
        date.formatted(dayStyle)
    }

    private static let timeStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)
    private static let dayStyle = Date.ISO8601FormatStyle(timeZone: .gmt).year().month().day().dateSeparator(.dash)

    /// The start of the UTC day after `date`: when a daily quota resets.
    package static func nextMidnight(after date: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(byAdding: .day, value: 1, to: calendar.startOfDay(for: date))!
    }

    /// The end (the next midnight, UTC) of the `count`th working day (Monday to Friday) after the
    /// UTC day of `date`: a deadline of `count` working days. Public holidays are not known here.
    package static func endOfWorkingDays(_ count: Int, after date: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var day = calendar.startOfDay(for: date)
        var counted = 0
        while counted < count {
            day = calendar.date(byAdding: .day, value: 1, to: day)!
            if !calendar.isDateInWeekend(day) { counted += 1 }
        }
        return calendar.date(byAdding: .day, value: 1, to: day)!
    }

    /// Reads `YYYY-MM-DD` (the start of that UTC day) or a full ISO 8601 time; nil otherwise,
    /// and nil for a time outside the years 0001–9999 in UTC: only there is the written form of
    /// fixed width, so that comparing the text compares the times.
    package static func parse(_ text: String) -> Date? {
        guard let date = read(text) else { return nil }
        let written = string(date)
        guard written.utf8.count == 24, written.first != "-", !written.hasPrefix("0000") else { return nil }
        return date
    }

    private static func read(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601.year().month().day().dateSeparator(.dash)),
            text.count == 10
        {
            return date
        }
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
