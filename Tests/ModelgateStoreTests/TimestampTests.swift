import Foundation
import Testing

@testable import ModelgateStore

@Suite struct TimestampTests {
    /// Ten working days, counted on a calendar by hand: weekends are skipped, the deadline is the
    /// end of the tenth working day after the day of filing.
    @Test(arguments: [
        ("2026-12-02T09:00:00Z", "2026-12-17T00:00:00.000Z"),  // a Wednesday
        ("2026-12-04T23:59:00Z", "2026-12-19T00:00:00.000Z"),  // a Friday
        ("2026-12-05T10:00:00Z", "2026-12-19T00:00:00.000Z"),  // a Saturday
        ("2026-12-06T10:00:00Z", "2026-12-19T00:00:00.000Z"),  // a Sunday
        ("2026-12-31T12:00:00Z", "2027-01-15T00:00:00.000Z"),  // across a year
    ])
    func tenWorkingDays(filed: String, due: String) throws {
        let date = try #require(Timestamp.parse(filed))
        #expect(Timestamp.string(Timestamp.endOfWorkingDays(10, after: date)) == due)
    }
}
