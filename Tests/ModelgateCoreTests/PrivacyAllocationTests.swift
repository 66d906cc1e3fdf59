import Testing

@testable import ModelgateCore

/// An owner of a dp dataset sets what one agreement may spend on it: never above the dataset's
/// lifetime cap, never below what it has spent, only on a dataset the agreement covers, always
/// with a reason, and never by anyone else.
@Suite struct PrivacyAllocationTests {
    static let agreement = Agreement(
        id: "agr-1", application: "app-1", researcher: "rita", datasets: ["a", "b"], models: [.crosstab],
        purpose: "p", starts: "2026-01-01", expires: "2099-01-01")
    // Allocation 2, of which 1.5 is spent; the dataset's cap is 10.
    static let standing = PrivacyStanding(
        allocation: MicroEpsilon(text: "2")!, spent: MicroEpsilon(text: "1.5")!, cap: MicroEpsilon(text: "10")!)

    func outcome(
        _ epsilon: String, on dataset: String = "a", reason: String? = "a longer study", by principal: Principal,
        agreement: Agreement = agreement
    ) -> String {
        do {
            let (allocation, record) = try agreement.allocating(
                MicroEpsilon(text: epsilon)!, on: dataset, owner: "bureau-a", standing: Self.standing, reason: reason,
                by: principal)
            #expect(record.kind == .privacyAllocationChanged && record.dataset == dataset)
            return "ε \(allocation.epsilon) for \(allocation.agreement) on \(allocation.dataset)"
        } catch {
            return (error as? ModelgateError)?.code.rawValue ?? "\(error)"
        }
    }

    @Test func onlyAnOwnerOfTheDatasetSetsAnAllocationWithinTheCapAndTheSpending() {
        let owner = Principal(name: "olga", role: .owner, body: "bureau-a")
        #expect(outcome("4", by: owner) == "ε 4 for agr-1 on a")
        #expect(outcome("10", by: owner) == "ε 10 for agr-1 on a")
        #expect(outcome("1.5", by: owner) == "ε 1.5 for agr-1 on a")
        // Above the lifetime cap, below what is spent, the same as now.
        #expect(outcome("10.000001", by: owner) == "invalid_allocation")
        #expect(outcome("1.499999", by: owner) == "invalid_allocation")
        #expect(outcome("2", by: owner) == "unchanged")
        // Without a reason; a dataset the agreement does not cover; a terminated agreement.
        #expect(outcome("4", reason: "  ", by: owner) == "reason_required")
        #expect(outcome("4", on: "c", by: owner) == "invalid_allocation")
        var terminated = Self.agreement
        terminated.status = .terminated
        #expect(outcome("4", by: owner, agreement: terminated) == "agreement_terminated")
        // Anyone else: another body's owner, the researcher, an auditor, an admin.
        for principal in [
            Principal(name: "otto", role: .owner, body: "bureau-b"), Principal(name: "rita", role: .researcher),
            Principal(name: "ann", role: .auditor), Principal(name: "adam", role: .admin),
        ] {
            #expect(outcome("4", by: principal) == "forbidden", "\(principal.name)")
        }
    }
}
