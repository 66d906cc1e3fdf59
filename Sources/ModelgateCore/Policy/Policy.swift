/// A data owner's rules for one dataset: what it is, how each column may be used, which models
/// may run on it, how outputs are checked and what a job may consume.
///
/// Written by the owner as `policies/<dataset>.yaml`; read with ``Policy/init(yaml:)`` and checked
/// with ``Policy/lint(_:)``. The keys are a public contract: add keys, never rename them.
public struct Policy: Sendable, Equatable, Codable {
    public var dataset: DatasetDescription
    /// Columns in the order the owner listed them.
    public var columns: [ColumnPolicy]
    /// Models that may run on this dataset.
    public var models: [ModelKind]
    public var disclosure: DisclosureRules
    public var limits: ResourceLimits
    public var quota: Quota

    public init(
        dataset: DatasetDescription, columns: [ColumnPolicy], models: [ModelKind],
        disclosure: DisclosureRules = .init(), limits: ResourceLimits = .init(), quota: Quota = .init()
    ) {
        self.dataset = dataset
        self.columns = columns
        self.models = models
        self.disclosure = disclosure
        self.limits = limits
        self.quota = quota
    }

    public func column(named name: String) -> ColumnPolicy? {
        columns.first { $0.name == name }
    }
}

/// The catalog entry of a dataset.
public struct DatasetDescription: Sendable, Equatable, Codable {
    /// A stable slug, e.g. `household-survey`.
    public var id: String
    public var title: String
    /// The public body that opens the dataset and answers for it.
    public var owner: String
    public var openAttribute: OpenAttribute
    public var securityLevel: Int?
    public var updateCycle: String?
    /// The citation a researcher must give when publishing a result.
    public var citation: String

    public init(
        id: String, title: String, owner: String, openAttribute: OpenAttribute,
        securityLevel: Int? = nil, updateCycle: String? = nil, citation: String
    ) {
        self.id = id
        self.title = title
        self.owner = owner
        self.openAttribute = openAttribute
        self.securityLevel = securityLevel
        self.updateCycle = updateCycle
        self.citation = citation
    }
}

/// The open attribute of public data: open to all, open under conditions, or not open.
public enum OpenAttribute: String, Sendable, Codable, CaseIterable {
    case unconditional, conditional, closed
}

/// Resources one job may use in the restricted worker.
public struct ResourceLimits: Sendable, Equatable, Codable {
    public var cpuSeconds: Int = 30
    public var memoryMegabytes: Int = 1024
    public var wallSeconds: Int = 60
    public var outputBytes: Int = 1_048_576
    public init() {}
}

/// How many jobs a researcher may run on a dataset.
public struct Quota: Sendable, Equatable, Codable {
    public var jobsPerDay: Int = 200
    public init() {}
}
