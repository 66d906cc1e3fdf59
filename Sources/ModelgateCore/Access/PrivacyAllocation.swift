/// Privacy mode dp: what one agreement may spend on one dataset. The policy's
/// `agreementEpsilon` until an owner of the dataset sets another (``Agreement/allocating``).
package struct PrivacyAllocation: Sendable, Equatable, Codable {
    package var dataset: String
    package var agreement: String
    /// ε the agreement may spend on the dataset over its life, what it has spent is counted in.
    package var epsilon: MicroEpsilon

    package init(dataset: String, agreement: String, epsilon: MicroEpsilon) {
        self.dataset = dataset
        self.agreement = agreement
        self.epsilon = epsilon
    }
}

/// Where a dataset's ε stands for one agreement, as the allocation rule needs it.
package struct PrivacyStanding: Sendable, Equatable {
    /// The allocation now (the policy's, or the one an owner set).
    package var allocation: MicroEpsilon
    /// What the agreement has spent on the dataset.
    package var spent: MicroEpsilon
    /// The dataset's lifetime cap (all agreements together); never refreshed.
    package var cap: MicroEpsilon

    package init(allocation: MicroEpsilon, spent: MicroEpsilon, cap: MicroEpsilon) {
        self.allocation = allocation
        self.spent = spent
        self.cap = cap
    }
}

extension Agreement {
    /// An owner of `dataset` (whose body is `owner`) sets this agreement's ε allocation on it,
    /// saying why: more for a study that needs it, or less to stop it sooner. Nothing else ever
    /// changes an allocation, and the dataset's lifetime cap never changes: an allocation is at
    /// most the cap, and at least what the agreement has already spent.
    package func allocating(
        _ epsilon: MicroEpsilon, on dataset: String, owner: String, standing: PrivacyStanding, reason: String?,
        by principal: Principal
    ) throws -> (PrivacyAllocation, AccessRecord) {
        try principal.require(.changeAgreement)
        try principal.requireOwner(of: dataset, owner: owner)
        let reason = try Application.stated(reason)
        guard datasets.contains(dataset) else {
            throw ModelgateError(.invalidAllocation, "agreement \(id) does not cover dataset '\(dataset)'")
        }
        guard status != .terminated else {
            throw ModelgateError(.agreementTerminated, "agreement \(id) is terminated and cannot change")
        }
        guard epsilon != standing.allocation else {
            throw ModelgateError(.unchanged, "agreement \(id) may already spend ε \(epsilon) on '\(dataset)'")
        }
        guard epsilon <= standing.cap else {
            throw ModelgateError(
                .invalidAllocation,
                "ε \(epsilon) is above the lifetime cap of '\(dataset)', \(standing.cap) for all agreements together; the cap never grows"
            )
        }
        guard epsilon >= standing.spent else {
            throw ModelgateError(
                .invalidAllocation, "agreement \(id) has already spent ε \(standing.spent) on '\(dataset)'")
        }
        let allocation = PrivacyAllocation(dataset: dataset, agreement: id, epsilon: epsilon)
        let record = AccessRecord(
            .privacyAllocationChanged, dataset: dataset,
            detail: [
                "agreement": id, "from": "\(standing.allocation)", "to": "\(epsilon)", "spent": "\(standing.spent)",
                "datasetEpsilon": "\(standing.cap)", "reason": reason,
            ])
        return (allocation, record)
    }
}
