import GRDB

extension SQLiteStore {
    public func usageReport(_ scope: UsageReport.Scope) throws -> UsageReport {
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
            "FROM jobs j LEFT JOIN usage u ON u.job = j.id"
            + (clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND "))
        return try read("the usage report") { db in
            let lines = try Row.fetchAll(
                db,
                sql: """
                    SELECT j.dataset, j.model, j.status, COUNT(*), TOTAL(u.cpu_seconds) \(scoped)
                    GROUP BY j.dataset, j.model, j.status ORDER BY j.dataset, j.model, j.status
                    """, arguments: arguments
            ).map { UsageReport.Line(dataset: $0[0], model: $0[1], status: $0[2], jobs: $0[3], cpuSeconds: $0[4]) }
            let reasons = try Row.fetchAll(
                db,
                sql: """
                    SELECT j.reason_code, j.status, COUNT(*) \(scoped)
                    \(clauses.isEmpty ? "WHERE" : "AND") j.reason_code IS NOT NULL
                    GROUP BY j.reason_code, j.status ORDER BY COUNT(*) DESC, j.reason_code
                    """, arguments: arguments
            ).map { UsageReport.ReasonCount(code: $0[0], status: $0[1], jobs: $0[2]) }
            let datasets = try Row.fetchAll(
                db,
                sql: """
                    SELECT j.dataset, COUNT(*), COUNT(DISTINCT j.principal), TOTAL(j.cells_released),
                        TOTAL(j.cells_suppressed), TOTAL(u.cpu_seconds) \(scoped)
                    \(clauses.isEmpty ? "WHERE" : "AND") j.dataset IS NOT NULL
                    GROUP BY j.dataset ORDER BY j.dataset
                    """, arguments: arguments
            ).map {
                UsageReport.DatasetTotals(
                    dataset: $0[0], jobs: $0[1], researchers: $0[2], cellsReleased: Int($0[3] as Double),
                    cellsSuppressed: Int($0[4] as Double), cpuSeconds: $0[5])
            }
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT COUNT(*), COUNT(DISTINCT j.principal), TOTAL(j.cells_released), TOTAL(j.cells_suppressed),
                        TOTAL(u.cpu_seconds), TOTAL(u.wall_seconds) \(scoped)
                    """, arguments: arguments)!
            let totals = UsageReport.Totals(
                jobs: row[0], researchers: row[1], cellsReleased: Int(row[2] as Double),
                cellsSuppressed: Int(row[3] as Double), cpuSeconds: row[4], wallSeconds: row[5])
            return UsageReport(
                year: scope.year, dataset: scope.dataset, lines: lines, reasons: reasons, datasets: datasets,
                totals: totals)
        }
    }
}
