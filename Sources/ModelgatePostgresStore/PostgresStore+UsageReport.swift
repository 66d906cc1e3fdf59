import Foundation
import ModelgateCore
import ModelgateStore
import PostgresNIO

extension PostgresStore {
    /// The same report as ``SQLiteStore``'s, in PostgreSQL's words: `SUM` cast to the types
    /// SQLite's `TOTAL` gives, and missing datasets sorted first as SQLite sorts NULL.
    package func usageReport(_ scope: UsageReport.Scope) throws -> UsageReport {
        // Jobs count in the year they were submitted; usage joins in for those that ran.
        var clauses: [String] = []
        var binds = PostgresBindings()
        if let year = scope.year {
            binds.append(String(format: "%04d", year))
            clauses.append("substr(j.submitted_at, 1, 4) = $\(binds.count)")
        }
        if let dataset = scope.dataset {
            binds.append(dataset)
            clauses.append("j.dataset = $\(binds.count)")
        }
        let scoped =
            "FROM jobs j LEFT JOIN usage u ON u.job = j.id LEFT JOIN principals p ON p.name = j.principal"
            + (clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND "))
        let and = clauses.isEmpty ? "WHERE" : "AND"
        let researchers = "COUNT(DISTINCT CASE WHEN p.role = 'researcher' THEN j.principal END)"
        let dataset = "CASE WHEN j.dataset IN (SELECT id FROM datasets) THEN j.dataset END"
        func total(_ column: String) -> String { "COALESCE(SUM(\(column)), 0)::DOUBLE PRECISION" }
        func query(_ sql: String) -> PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: binds) }
        return try read("the usage report") { connection in
            let lines = try connection.rows(
                query(
                    """
                    SELECT \(dataset) AS dataset, j.model, j.status, COUNT(*) AS jobs, \(total("u.cpu_seconds")) AS cpu
                    \(scoped) GROUP BY 1, j.model, j.status ORDER BY 1 NULLS FIRST, j.model NULLS FIRST, j.status
                    """)
            ).map {
                UsageReport.Line(
                    dataset: try $0["dataset"].decode(String?.self), model: try $0["model"].decode(String?.self),
                    status: try $0["status"].decode(String.self), jobs: try $0["jobs"].decode(Int.self),
                    cpuSeconds: milliseconds(try $0["cpu"].decode(Double.self)))
            }
            let reasons = try connection.rows(
                query(
                    """
                    SELECT j.reason_code, j.status, COUNT(*) AS jobs \(scoped) \(and) j.reason_code IS NOT NULL
                    GROUP BY j.reason_code, j.status ORDER BY COUNT(*) DESC, j.reason_code, j.status
                    """)
            ).map {
                UsageReport.ReasonCount(
                    code: try $0["reason_code"].decode(String.self), status: try $0["status"].decode(String.self),
                    jobs: try $0["jobs"].decode(Int.self))
            }
            let datasets = try connection.rows(
                query(
                    """
                    SELECT j.dataset, COUNT(*) AS jobs, \(researchers) AS researchers,
                        \(total("j.cells_released")) AS released, \(total("j.cells_suppressed")) AS suppressed,
                        \(total("u.cpu_seconds")) AS cpu \(scoped)
                    \(and) j.dataset IN (SELECT id FROM datasets) GROUP BY j.dataset ORDER BY j.dataset
                    """)
            ).map {
                UsageReport.DatasetTotals(
                    dataset: try $0["dataset"].decode(String.self), jobs: try $0["jobs"].decode(Int.self),
                    researchers: try $0["researchers"].decode(Int.self),
                    cellsReleased: Int(try $0["released"].decode(Double.self)),
                    cellsSuppressed: Int(try $0["suppressed"].decode(Double.self)),
                    cpuSeconds: milliseconds(try $0["cpu"].decode(Double.self)))
            }
            guard
                let row = try connection.rows(
                    query(
                        """
                        SELECT COUNT(*) AS jobs, \(researchers) AS researchers, \(total("j.cells_released")) AS released,
                            \(total("j.cells_suppressed")) AS suppressed, \(total("u.cpu_seconds")) AS cpu,
                            \(total("u.wall_seconds")) AS wall \(scoped)
                        """)
                ).first
            else { throw ModelgateError("store_read_failed", "the usage report's totals came back empty") }
            let totals = UsageReport.Totals(
                jobs: try row["jobs"].decode(Int.self), researchers: try row["researchers"].decode(Int.self),
                cellsReleased: Int(try row["released"].decode(Double.self)),
                cellsSuppressed: Int(try row["suppressed"].decode(Double.self)),
                cpuSeconds: milliseconds(try row["cpu"].decode(Double.self)),
                wallSeconds: milliseconds(try row["wall"].decode(Double.self)))
            let spending = try connection.rows(
                query(
                    """
                    SELECT j.dataset, j.agreement, COUNT(*) AS jobs, SUM(j.epsilon_micros)::BIGINT AS micros \(scoped)
                    \(and) j.epsilon_micros > 0
                    GROUP BY j.dataset, j.agreement ORDER BY j.dataset, j.agreement NULLS FIRST
                    """)
            ).map {
                UsageReport.PrivacySpending(
                    dataset: try $0["dataset"].decode(String.self), agreement: try $0["agreement"].decode(String?.self),
                    jobs: try $0["jobs"].decode(Int.self),
                    epsilon: "\(MicroEpsilon(micros: try $0["micros"].decode(Int64.self)))")
            }
            var report = UsageReport(
                year: scope.year, dataset: scope.dataset, lines: lines, reasons: reasons, datasets: datasets,
                totals: totals)
            report.privacy = spending.isEmpty ? nil : spending
            report.months = try connection.rows(
                query(
                    """
                    SELECT substr(j.submitted_at, 1, 7) AS month, j.status, COUNT(*) AS jobs \(scoped)
                    GROUP BY 1, j.status ORDER BY 1, j.status
                    """)
            ).map {
                UsageReport.MonthCount(
                    month: try $0["month"].decode(String.self), status: try $0["status"].decode(String.self),
                    jobs: try $0["jobs"].decode(Int.self))
            }
            return report
        }
    }
}

/// Seconds summed in floating point, to the millisecond the worker's figures carry.
private func milliseconds(_ seconds: Double) -> Double {
    (seconds * 1000).rounded() / 1000
}
