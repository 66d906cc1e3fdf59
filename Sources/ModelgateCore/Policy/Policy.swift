/// A data owner's rules for one dataset: what it is, how each column may be used, which models
/// may run on it, how outputs are checked and what a job may consume.
///
/// Written by the owner as `policies/<dataset>.yaml`; read with ``Policy/init(yaml:)`` and checked
/// with ``Policy/lint(_:)``. The keys are a public contract: add keys, never rename them.
package struct Policy: Sendable, Equatable, Codable {
    package var dataset: DatasetDescription
    /// Columns in the order the owner listed them.
    package var columns: [ColumnPolicy]
    /// Models that may run on this dataset.
    package var models: [ModelKind]
    package var disclosure: DisclosureRules
    package var limits: ResourceLimits
    package var quota: Quota
    package var privacy: PrivacyRules

    package init(
        dataset: DatasetDescription, columns: [ColumnPolicy], models: [ModelKind],
        disclosure: DisclosureRules = .init(), limits: ResourceLimits = .init(), quota: Quota = .init(),
        privacy: PrivacyRules = .init()
    ) {
        self.dataset = dataset
        self.columns = columns
        self.models = models
        self.disclosure = disclosure
        self.limits = limits
        self.quota = quota
        self.privacy = privacy
    }

    package func column(named name: String) -> ColumnPolicy? {
        columns.first { $0.name == name }
    }
}

/// The catalog entry of a dataset.
package struct DatasetDescription: Sendable, Equatable, Codable {
    /// A stable slug, e.g. `household-survey`.
    package var id: String
    package var title: String
    /// The public body that opens the dataset and answers for it.
    package var owner: String
    package var openAttribute: OpenAttribute
    package var securityLevel: Int?
    package var updateCycle: String?
    /// The citation a researcher must give when publishing a result.
    package var citation: String

    package init(
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
package enum OpenAttribute: String, Sendable, Codable, CaseIterable {
    case unconditional, conditional, closed
}

/// Resources one job may use in the restricted worker.
package struct ResourceLimits: Sendable, Equatable, Codable {
    package var cpuSeconds: Int = 30
    package var memoryMegabytes: Int = 1024
    package var wallSeconds: Int = 60
    package var outputBytes: Int = 1_048_576
    package init() {}
}

/// How many jobs a researcher may run on a dataset.
package struct Quota: Sendable, Equatable, Codable {
    package var jobsPerDay: Int = 200
    package init() {}
}
