import ModelgateCore

/// Where a dataset in privacy mode dp stands: the ε spent, in total and by each agreement, and
/// the allocations its owners set (an agreement without one may spend the policy's
/// `agreementEpsilon`).
package struct PrivacyAccount: Sendable, Equatable {
    /// ε spent by agreement; the key `""` is the dataset's lifetime total.
    package var spent: [String: MicroEpsilon]
    /// The allocations an owner set, by agreement.
    package var allocations: [String: MicroEpsilon]

    package init(spent: [String: MicroEpsilon] = [:], allocations: [String: MicroEpsilon] = [:]) {
        self.spent = spent
        self.allocations = allocations
    }

    /// The dataset's lifetime total.
    package var total: MicroEpsilon { spent[""] ?? .zero }

    package func spent(by agreement: String) -> MicroEpsilon { spent[agreement] ?? .zero }

    /// What `agreement` may spend on the dataset: its owner's allocation, or the policy's.
    package func allocation(of agreement: String, policy: PrivacyRules) -> MicroEpsilon {
        allocations[agreement] ?? policy.agreementEpsilon
    }

    /// What `agreement` may still spend: its allocation's rest, within the dataset cap's rest.
    package func left(for agreement: String, policy: PrivacyRules) -> MicroEpsilon {
        max(
            .zero,
            min(
                allocation(of: agreement, policy: policy) - spent(by: agreement), policy.datasetEpsilon - total))
    }
}
