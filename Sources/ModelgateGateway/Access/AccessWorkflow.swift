import Foundation
import ModelgateCore
import ModelgateParsing
import ModelgateStore

/// Runs the conditional-open procedure for the API and the command line: looks up who owns the
/// datasets concerned, applies the procedure's rule (`AccessProcedure.swift` in Core) inside one
/// store transaction, and keeps what it returns with its audit records. Reads are filtered to what
/// the principal may see. No rule lives here, only the order of the steps.
package struct AccessWorkflow: Sendable {
    package let catalog: Catalog
    var store: any GatewayStore { catalog.store }

    package init(catalog: Catalog) {
        self.catalog = catalog
    }

    // MARK: Applications

    /// An application as a researcher sends it (`POST /v1/applications`).
    package struct ApplicationRequest: Decodable, Sendable {
        package var datasets: [String]
        package var models: [ModelKind]
        package var purpose: String
        package var scenario: String
        package var safeguards: String
        /// A day (2026-01-01) or an ISO 8601 time.
        package var starts: String
        package var ends: String

        package static let keys: Set<String> = [
            "datasets", "models", "purpose", "scenario", "safeguards", "starts", "ends",
        ]

        package init(
            datasets: [String], models: [ModelKind], purpose: String, scenario: String, safeguards: String,
            starts: String, ends: String
        ) {
            self.datasets = datasets
            self.models = models
            self.purpose = purpose
            self.scenario = scenario
            self.safeguards = safeguards
            self.starts = starts
            self.ends = ends
        }
    }

    package func apply(_ request: ApplicationRequest, by principal: Principal) throws -> Application {
        try principal.require(.apply)
        guard let starts = Timestamp.parse(request.starts) else {
            throw ModelgateError(.invalidBody, "key 'starts' is not a day (2026-01-01) or an ISO 8601 time")
        }
        guard let ends = Timestamp.parse(request.ends) else {
            throw ModelgateError(.invalidBody, "key 'ends' must be a day or time after 'starts'")
        }
        let owners = try catalog.owners(of: request.datasets)
        return try store.changeAccess("an application", by: principal.name) { transaction in
            let (application, record) = try Application.submitted(
                id: Self.newID("app"), by: principal, datasets: request.datasets, models: request.models,
                purpose: request.purpose, scenario: request.scenario, safeguards: request.safeguards,
                starts: Timestamp.string(starts), ends: Timestamp.string(ends), at: transaction.now, owners: owners)
            try transaction.save(application)
            try transaction.record([record])
            return application
        }
    }

    /// The applications `principal` may read: a researcher its own, an owner those naming a
    /// dataset of its body, an auditor all.
    package func applications(for principal: Principal) throws -> [Application] {
        try principal.require(.readApplications)
        let all = try store.applications(researcher: principal.role == .researcher ? principal.name : nil)
        return try readable(all, by: principal, researcher: \.researcher, datasets: \.datasets)
    }

    /// One application, if `principal` may read it; `unknown_application` otherwise, as for one
    /// that does not exist.
    package func application(_ id: String, for principal: Principal) throws -> Application {
        try principal.require(.readApplications)
        guard let application = try store.application(id),
            try !readable([application], by: principal, researcher: \.researcher, datasets: \.datasets).isEmpty
        else { throw Self.unknownApplication(id) }
        return application
    }

    /// An owner approves or refuses (with a reason) `dataset` of application `id`, or every
    /// dataset of its body there when `dataset` is nil.
    /// An owner decides an application (see ``ModelgateCore/Application/deciding(approve:dataset:reason:by:owners:at:agreementID:conditions:only:)``);
    /// `ends`, a condition, is a day or an ISO 8601 time.
    package func decide(
        _ id: String, approve: Bool, dataset: String?, reason: String?, by principal: Principal,
        models: [ModelKind]? = nil, ends: String? = nil, only: [String]? = nil
    ) throws -> Application.Decided {
        try principal.require(.decideApplication)
        var end: String?
        if let ends {
            guard let date = Timestamp.parse(ends) else {
                throw ModelgateError(.invalidBody, "key 'ends' is not a day (2026-01-01) or an ISO 8601 time")
            }
            end = Timestamp.string(date)
        }
        return try store.changeAccess("a decision on application \(id)", by: principal.name) { transaction in
            guard let application = try transaction.application(id) else { throw Self.unknownApplication(id) }
            let decided = try application.deciding(
                approve: approve, dataset: dataset, reason: reason, by: principal,
                owners: try catalog.owners(of: application.datasets), at: transaction.now,
                agreementID: Self.newID("agr"), conditions: .init(models: models, ends: end), only: only)
            try transaction.save(decided.application)
            if let agreement = decided.agreement { try transaction.save(agreement) }
            try transaction.record(decided.records)
            return decided
        }
    }

    // MARK: Agreements

    /// The agreements `principal` may read (as for applications).
    package func agreements(for principal: Principal) throws -> [Agreement] {
        try principal.require(.readAgreements)
        let all = try store.agreements(researcher: principal.role == .researcher ? principal.name : nil)
        return try readable(all, by: principal, researcher: \.researcher, datasets: \.datasets)
    }

    package func agreement(_ id: String, for principal: Principal) throws -> Agreement {
        try principal.require(.readAgreements)
        guard let agreement = try store.agreement(id),
            try !readable([agreement], by: principal, researcher: \.researcher, datasets: \.datasets).isEmpty
        else { throw Self.unknownAgreement(id) }
        return agreement
    }

    /// An owner suspends, resumes (`active`) or terminates agreement `id`, saying why.
    package func change(agreement id: String, to status: Agreement.Status, reason: String?, by principal: Principal)
        throws -> Agreement
    {
        try principal.require(.changeAgreement)
        return try store.changeAccess("agreement \(id)", by: principal.name) { transaction in
            guard let agreement = try transaction.agreement(id) else { throw Self.unknownAgreement(id) }
            let (changed, record) = try agreement.changing(
                to: status, reason: reason, by: principal, owners: try catalog.owners(of: agreement.datasets))
            try transaction.save(changed)
            try transaction.record([record])
            return changed
        }
    }

    // MARK: Datasets

    /// A dataset's new state and the reason given.
    package struct DatasetChange: Encodable, Sendable {
        package var dataset: String
        package var state: DatasetState
        package var reason: String
    }

    /// An owner of `dataset` suspends it, resumes it (`open`) or withdraws it, saying why.
    package func change(dataset: String, to state: DatasetState, reason: String?, by principal: Principal) throws
        -> DatasetChange
    {
        try principal.require(.changeDataset)
        guard let owner = try catalog.owner(of: dataset) else { throw Catalog.unknown(dataset) }
        return try store.changeAccess("the state of '\(dataset)'", by: principal.name) { transaction in
            guard let current = try transaction.datasetState(dataset) else {
                throw ModelgateError(.unknownDataset, "dataset '\(dataset)' is not in the catalog")
            }
            let (next, kept, record) = try current.changing(
                to: state, dataset: dataset, owner: owner, reason: reason, by: principal)
            try transaction.save(next, reason: kept, of: dataset)
            try transaction.record([record])
            return DatasetChange(dataset: dataset, state: next, reason: kept)
        }
    }

    // MARK: Jobs and usage

    /// Whether `principal` may run the job `specText` asks for, and on what terms: a researcher's
    /// job needs an agreement (`true`); an owner's is a dry run on a dataset of its body (`false`;
    /// `forbidden` for another body's). A spec that does not parse is left for the pipeline to
    /// refuse with its reason.
    package func jobNeedsAgreement(_ specText: String, by principal: Principal) throws -> Bool {
        try principal.require(.runJob)
        guard principal.role == .owner else { return true }
        if let spec = try? ModelSpec(text: specText) { try catalog.requireOwner(principal, of: spec.dataset) }
        return false
    }

    /// The jobs `principal` may read, newest first: an auditor's all, anyone else's its own.
    package func jobs(for principal: Principal, limit: Int) throws -> [StoredJob] {
        try principal.require(.readJobs)
        return try store.jobs(principal: principal.role == .auditor ? nil : principal.name, limit: limit)
    }

    /// One job, if `principal` may read it; `unknown_job` otherwise.
    package func job(_ id: String, for principal: Principal) throws -> StoredJob {
        try principal.require(.readJobs)
        guard let job = try store.job(id), principal.role == .auditor || job.principal == principal.name else {
            throw ModelgateError(.unknownJob, "job \(id) does not exist")
        }
        return job
    }

    /// The usage report: an auditor's of anything, an owner's of one dataset of its body.
    package func usageReport(year: Int?, dataset: String?, for principal: Principal) throws -> UsageReport {
        try principal.require(.readUsage)
        if principal.role == .owner {
            guard let dataset else {
                throw ModelgateError(
                    .datasetRequired, "an owner reads the report of one of its datasets: add ?dataset=")
            }
            try catalog.requireOwner(principal, of: dataset)
        }
        if let dataset, try catalog.owner(of: dataset) == nil { throw Catalog.unknown(dataset) }
        return try store.usageReport(UsageReport.Scope(year: year, dataset: dataset))
    }

    // MARK: Helpers

    func readable<T>(
        _ items: [T], by principal: Principal, researcher: KeyPath<T, String>, datasets: KeyPath<T, [String]>
    ) throws -> [T] {
        let owners = principal.role == .owner ? try catalog.owners(of: items.flatMap { $0[keyPath: datasets] }) : [:]
        return items.filter {
            principal.mayRead(researcher: $0[keyPath: researcher], datasets: $0[keyPath: datasets], owners: owners)
        }
    }

    static func newID(_ prefix: String) -> String {
        prefix + "-" + UUID().uuidString.lowercased().prefix(12)
    }

    static func unknownApplication(_ id: String) -> ModelgateError {
        ModelgateError(.unknownApplication, "application \(id) does not exist")
    }

    static func unknownAgreement(_ id: String) -> ModelgateError {
        ModelgateError(.unknownAgreement, "agreement \(id) does not exist")
    }
}
