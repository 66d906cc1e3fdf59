import GRDB
import ModelgateCore

extension SQLiteStore {
    package func usageReport(_ scope: UsageReport.Scope) throws -> UsageReport {
        // Jobs count in the year they were submitted; usage joins in for those that ran.
        var clauses: [String] = []
        var arguments: StatementArguments = []
        if let year = scope.year {
            clauses.append("substr(j.submitted_at, 1, 4) = ?")
            arguments += [String(format: "%04d", year)]
        }
        if let dataset = scope.dataset {
            clauses.append("j.dataset = ?")
            arguments += [dataset]
        }
        let scoped =
            "FROM jobs j LEFT JOIN usage u ON u.job = j.id LEFT JOIN principals p ON p.name = j.principal"
            + (clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND "))
        // Researchers are researcher principals: an owner's dry runs and the command line's own
        // jobs are use, not researchers. A dataset is one in the catalog: a job refused for a
        // mistyped name is counted (under no dataset), but the name is not a dataset.
        let researchers = "COUNT(DISTINCT CASE WHEN p.role = 'researcher' THEN j.principal END)"
        let dataset = "CASE WHEN j.dataset IN (SELECT id FROM datasets) THEN j.dataset END"
        return try read("the usage report") { db in
            let lines = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(dataset) AS dataset, j.model, j.status, COUNT(*) AS jobs, TOTAL(u.cpu_seconds) AS cpu
                    \(scoped) GROUP BY 1, j.model, j.status ORDER BY 1, j.model, j.status
                    """, arguments: arguments
            ).map {
                UsageReport.Line(
                    dataset: $0["dataset"], model: $0["model"], status: $0["status"], jobs: $0["jobs"],
                    cpuSeconds: milliseconds($0["cpu"]))
            }
            let reasons = try Row.fetchAll(
                db,
                sql: """
                    SELECT j.reason_code, j.status, COUNT(*) AS jobs \(scoped)
                    \(clauses.isEmpty ? "WHERE" : "AND") j.reason_code IS NOT NULL
                    GROUP BY j.reason_code, j.status ORDER BY COUNT(*) DESC, j.reason_code, j.status
                    """, arguments: arguments
            ).map { UsageReport.ReasonCount(code: $0["reason_code"], status: $0["status"], jobs: $0["jobs"]) }
            let datasets = try Row.fetchAll(
                db,
                sql: """
                    SELECT j.dataset, COUNT(*) AS jobs, \(researchers) AS researchers,
                        TOTAL(j.cells_released) AS released, TOTAL(j.cells_suppressed) AS suppressed,
                        TOTAL(u.cpu_seconds) AS cpu \(scoped)
                    \(clauses.isEmpty ? "WHERE" : "AND") j.dataset IN (SELECT id FROM datasets)
                    GROUP BY j.dataset ORDER BY j.dataset
                    """, arguments: arguments
            ).map {
                UsageReport.DatasetTotals(
                    dataset: $0["dataset"], jobs: $0["jobs"], researchers: $0["researchers"],
                    cellsReleased: Int($0["released"] as Double), cellsSuppressed: Int($0["suppressed"] as Double),
                    cpuSeconds: milliseconds($0["cpu"]))
            }
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT COUNT(*) AS jobs, \(researchers) AS researchers,
                        TOTAL(j.cells_released) AS released, TOTAL(j.cells_suppressed) AS suppressed,
                        TOTAL(u.cpu_seconds) AS cpu, TOTAL(u.wall_seconds) AS wall \(scoped)
                    """, arguments: arguments)!
            let totals = UsageReport.Totals(
                jobs: row["jobs"], researchers: row["researchers"], cellsReleased: Int(row["released"] as Double),
                cellsSuppressed: Int(row["suppressed"] as Double), cpuSeconds: milliseconds(row["cpu"]),
                wallSeconds: milliseconds(row["wall"]))
            let spending = try Row.fetchAll(
                db,
                sql: """
                    SELECT j.dataset, j.agreement, COUNT(*) AS jobs, SUM(j.epsilon_micros) AS micros \(scoped)
                    \(clauses.isEmpty ? "WHERE" : "AND") j.epsilon_micros > 0
                    GROUP BY j.dataset, j.agreement ORDER BY j.dataset, j.agreement
                    """, arguments: arguments
            ).map {
                UsageReport.PrivacySpending(
                    dataset: $0["dataset"], agreement: $0["agreement"], jobs: $0["jobs"],
                    epsilon: "\(MicroEpsilon(micros: $0["micros"]))")
            }
            var report = UsageReport(
                year: scope.year, dataset: scope.dataset, lines: lines, reasons: reasons, datasets: datasets,
                totals: totals)
            report.privacy = spending.isEmpty ? nil : spending
            report.months = try Row.fetchAll(
                db,
                sql: """
                    SELECT substr(j.submitted_at, 1, 7) AS month, j.status, COUNT(*) AS jobs \(scoped)
                    GROUP BY 1, j.status ORDER BY 1, j.status
                    """, arguments: arguments
            ).map { UsageReport.MonthCount(month: $0["month"], status: $0["status"], jobs: $0["jobs"]) }
            return report
        }
    }
}

/// Seconds summed in floating point, to the millisecond the worker's figures carry (0.3, not
/// 0.30000000000000004).
private func milliseconds(_ seconds: Double) -> Double {
    (seconds * 1000).rounded() / 1000
}
