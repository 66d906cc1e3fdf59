import ModelgateCore
import ModelgateStore

/// The ε budgets of datasets in privacy mode dp as owners and auditors see them, and the one
/// change an owner may make to them: an agreement's allocation.
extension AccessWorkflow {
    /// A dp dataset's ε: its lifetime cap, what all agreements have spent, and each agreement's
    /// allocation, spending and rest. A dataset in exact mode has none (`mode: exact`).
    package struct PrivacyBudgets: Encodable, Sendable {
        package var dataset: String
        package var mode: String
        package var datasetEpsilon: String?
        package var spent: String?
        package var left: String?
        package var agreements: [Line]

        package struct Line: Encodable, Sendable {
            package var agreement: String
            package var researcher: String
            package var status: Agreement.Status
            /// What it may spend: the policy's `agreementEpsilon` or what an owner set.
            package var epsilon: String
            /// Whether an owner set it (`privacy_allocation_changed` says who, when and why).
            package var setByOwner: Bool
            package var spent: String
            package var left: String

            /// `agreement`'s line as `account` stands under `policy`.
            init(_ agreement: Agreement, _ account: PrivacyAccount, _ policy: PrivacyRules) {
                self.agreement = agreement.id
                researcher = agreement.researcher
                status = agreement.status
                epsilon = "\(account.allocation(of: agreement.id, policy: policy))"
                setByOwner = account.allocations[agreement.id] != nil
                spent = "\(account.spent(by: agreement.id))"
                left = "\(account.left(for: agreement.id, policy: policy))"
            }
        }
    }

    /// The budgets of `dataset`, for an owner of it or an auditor.
    package func privacyBudgets(of dataset: String, for principal: Principal) throws -> PrivacyBudgets {
        try principal.require(.readUsage)
        guard let stored = try catalog.datasets.open(dataset) else { throw Catalog.unknown(dataset) }
        if principal.role == .owner { try catalog.requireOwner(principal, of: dataset) }
        let privacy = stored.policy.privacy
        guard privacy.mode == .dp else { return PrivacyBudgets(dataset: dataset, mode: "exact", agreements: []) }
        let account = try store.privacyAccount(dataset: dataset)
        let lines = try store.agreements(researcher: nil).filter { $0.datasets.contains(dataset) }.map {
            PrivacyBudgets.Line($0, account, privacy)
        }
        return PrivacyBudgets(
            dataset: dataset, mode: "dp", datasetEpsilon: "\(privacy.datasetEpsilon)", spent: "\(account.total)",
            left: "\(max(.zero, privacy.datasetEpsilon - account.total))", agreements: lines)
    }

    /// An owner of `dataset` sets agreement `id`'s ε allocation on it, saying why (see
    /// ``Agreement/allocating(_:on:owner:standing:reason:by:)``); one audited transaction.
    package func allocate(
        _ epsilon: MicroEpsilon, to id: String, on dataset: String, reason: String?, by principal: Principal
    ) throws -> PrivacyBudgets.Line {
        try principal.require(.changeAgreement)
        guard let stored = try catalog.datasets.open(dataset) else { throw Catalog.unknown(dataset) }
        let owner = stored.policy.dataset.owner
        // Another body learns nothing of the dataset's mode.
        try catalog.requireOwner(principal, of: dataset)
        let privacy = stored.policy.privacy
        guard privacy.mode == .dp else {
            throw ModelgateError(
                .invalidAllocation, "dataset '\(dataset)' gives exact results; ε allocations are for privacy mode dp")
        }
        return try store.changeAccess("agreement \(id)'s ε on '\(dataset)'", by: principal.name) { transaction in
            guard let agreement = try transaction.agreement(id) else { throw Self.unknownAgreement(id) }
            let account = try transaction.privacyAccount(dataset: dataset)
            let standing = PrivacyStanding(
                allocation: account.allocation(of: id, policy: privacy), spent: account.spent(by: id),
                cap: privacy.datasetEpsilon)
            let (allocation, record) = try agreement.allocating(
                epsilon, on: dataset, owner: owner, standing: standing, reason: reason, by: principal)
            try transaction.save(allocation)
            try transaction.record([record])
            var after = account
            after.allocations[id] = allocation.epsilon
            return PrivacyBudgets.Line(agreement, after, privacy)
        }
    }
}
