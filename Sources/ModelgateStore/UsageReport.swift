/// The yearly evaluation view of how conditional datasets were used: what the supervising
/// department reviews (jobs by dataset, model and outcome, why jobs were refused, how much output
/// was suppressed, who used the data, what it cost).
public struct UsageReport: Sendable, Equatable, Codable {
    /// Which jobs the report covers.
    public struct Scope: Sendable, Equatable {
        /// A calendar year (UTC); nil for all time.
        public var year: Int?
        public var dataset: String?
        public init(year: Int? = nil, dataset: String? = nil) {
            self.year = year
            self.dataset = dataset
        }
    }

    public var year: Int?
    public var dataset: String?
    /// Jobs by dataset, model and status.
    public var lines: [Line]
    /// Every refused or failed job's reason, most frequent first.
    public var reasons: [ReasonCount]
    public var datasets: [DatasetTotals]
    public var totals: Totals

    public struct Line: Sendable, Equatable, Codable {
        /// Nil for a job whose spec named no dataset.
        public var dataset: String?
        public var model: String?
        public var status: String
        public var jobs: Int
        public var cpuSeconds: Double
    }

    public struct ReasonCount: Sendable, Equatable, Codable {
        public var code: String
        public var status: String
        public var jobs: Int
    }

    public struct DatasetTotals: Sendable, Equatable, Codable {
        public var dataset: String
        public var jobs: Int
        public var researchers: Int
        public var cellsReleased: Int
        public var cellsSuppressed: Int
        public var cpuSeconds: Double
        /// Suppressed share of the values in released outputs; nil when nothing was released.
        public var suppressionRate: Double?

        init(dataset: String, jobs: Int, researchers: Int, cellsReleased: Int, cellsSuppressed: Int, cpuSeconds: Double)
        {
            self.dataset = dataset
            self.jobs = jobs
            self.researchers = researchers
            self.cellsReleased = cellsReleased
            self.cellsSuppressed = cellsSuppressed
            self.cpuSeconds = cpuSeconds
            suppressionRate = Totals.rate(cellsSuppressed, of: cellsReleased)
        }
    }

    public struct Totals: Sendable, Equatable, Codable {
        public var jobs: Int
        /// Distinct principals who submitted at least one job.
        public var researchers: Int
        public var cellsReleased: Int
        public var cellsSuppressed: Int
        public var cpuSeconds: Double
        public var wallSeconds: Double
        /// Suppressed share of the values in released outputs; nil when nothing was released.
        public var suppressionRate: Double?

        init(
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
