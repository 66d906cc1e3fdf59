/// The yearly evaluation view of how conditional datasets were used: what the supervising
/// department reviews (jobs by dataset, model and outcome, why jobs were refused, how much output
/// was suppressed, who used the data, what it cost).
package struct UsageReport: Sendable, Equatable, Codable {
    /// Which jobs the report covers.
    package struct Scope: Sendable, Equatable {
        /// A calendar year (UTC); nil for all time.
        package var year: Int?
        package var dataset: String?
        package init(year: Int? = nil, dataset: String? = nil) {
            self.year = year
            self.dataset = dataset
        }
    }

    package var year: Int?
    package var dataset: String?
    /// Jobs by dataset, model and status.
    package var lines: [Line]
    /// Every refused or failed job's reason, most frequent first.
    package var reasons: [ReasonCount]
    package var datasets: [DatasetTotals]
    package var totals: Totals
    /// On datasets in privacy mode dp: the ε the period's jobs spent, by dataset and agreement
    /// (none for an owner's or the operator's jobs), refunds taken off; absent when none did.
    package var privacy: [PrivacySpending]?
    /// Jobs per UTC month (`YYYY-MM`) and status: the monthly breakdown.
    package var months: [MonthCount] = []

    package init(
        year: Int?, dataset: String?, lines: [Line], reasons: [ReasonCount], datasets: [DatasetTotals], totals: Totals
    ) {
        self.year = year
        self.dataset = dataset
        self.lines = lines
        self.reasons = reasons
        self.datasets = datasets
        self.totals = totals
    }

    package struct MonthCount: Sendable, Equatable, Codable {
        package var month: String
        package var status: String
        package var jobs: Int
        package init(month: String, status: String, jobs: Int) {
            self.month = month
            self.status = status
            self.jobs = jobs
        }
    }

    package struct PrivacySpending: Sendable, Equatable, Codable {
        package var dataset: String
        package var agreement: String?
        package var jobs: Int
        /// Decimal text, exact.
        package var epsilon: String
        package init(dataset: String, agreement: String?, jobs: Int, epsilon: String) {
            self.dataset = dataset
            self.agreement = agreement
            self.jobs = jobs
            self.epsilon = epsilon
        }
    }

    package struct Line: Sendable, Equatable, Codable {
        /// Nil for a job whose spec named no dataset.
        package var dataset: String?
        package var model: String?
        package var status: String
        package var jobs: Int
        package var cpuSeconds: Double
        package init(dataset: String?, model: String?, status: String, jobs: Int, cpuSeconds: Double) {
            self.dataset = dataset
            self.model = model
            self.status = status
            self.jobs = jobs
            self.cpuSeconds = cpuSeconds
        }
    }

    package struct ReasonCount: Sendable, Equatable, Codable {
        package var code: String
        package var status: String
        package var jobs: Int
        package init(code: String, status: String, jobs: Int) {
            self.code = code
            self.status = status
            self.jobs = jobs
        }
    }

    package struct DatasetTotals: Sendable, Equatable, Codable {
        package var dataset: String
        package var jobs: Int
        package var researchers: Int
        package var cellsReleased: Int
        package var cellsSuppressed: Int
        package var cpuSeconds: Double
        /// Suppressed share of the values in released outputs; nil when nothing was released.
        package var suppressionRate: Double?

        package init(
            dataset: String, jobs: Int, researchers: Int, cellsReleased: Int, cellsSuppressed: Int, cpuSeconds: Double
        ) {
            self.dataset = dataset
            self.jobs = jobs
            self.researchers = researchers
            self.cellsReleased = cellsReleased
            self.cellsSuppressed = cellsSuppressed
            self.cpuSeconds = cpuSeconds
            suppressionRate = Totals.rate(cellsSuppressed, of: cellsReleased)
        }
    }

    package struct Totals: Sendable, Equatable, Codable {
        package var jobs: Int
        /// Distinct principals who submitted at least one job.
        package var researchers: Int
        package var cellsReleased: Int
        package var cellsSuppressed: Int
        package var cpuSeconds: Double
        package var wallSeconds: Double
        /// Suppressed share of the values in released outputs; nil when nothing was released.
        package var suppressionRate: Double?

        package init(
            jobs: Int, researchers: Int, cellsReleased: Int, cellsSuppressed: Int, cpuSeconds: Double,
            wallSeconds: Double
        ) {
            self.jobs = jobs
            self.researchers = researchers
            self.cellsReleased = cellsReleased
            self.cellsSuppressed = cellsSuppressed
            self.cpuSeconds = cpuSeconds
            self.wallSeconds = wallSeconds
            suppressionRate = Self.rate(cellsSuppressed, of: cellsReleased)
        }

        static func rate(_ part: Int, of whole: Int) -> Double? {
            whole == 0 ? nil : Double(part) / Double(whole)
        }
    }
}
