import ModelgateCore

extension OutputChecker {
    /// A summary is released whole or refused whole: its statistics cannot be suppressed one by one
    /// without the rest giving them away.
    func check(_ variables: [RawVariableSummary]) -> CheckedOutput {
        var hits: [String: Int] = [:]
        var failing: [(String, [String])] = []
        for variable in variables {
            // An empty summary falls under the threshold, not the zeros rule (there is no cell).
            var failed = variable.statistics.n < rules.threshold ? [DisclosureRule.threshold] : []
            failed += failures(count: variable.statistics.n, contributions: variable.contributions).filter {
                $0 != DisclosureRule.threshold && $0 != DisclosureRule.zeros
            }
            for rule in failed { hits[rule, default: 0] += 1 }
            if !failed.isEmpty { failing.append((variable.statistics.name, failed)) }
        }
        let rulesOutcome = outcomes(hits, measured: true, secondary: false).filter { $0.rule != DisclosureRule.zeros }
        guard failing.isEmpty else {
            let report = DisclosureReport(verdict: .refused, rules: rulesOutcome, suppressedCells: 0)
            let names = failing.map { "\($0.0) (\($0.1.joined(separator: ", ")))" }.joined(separator: "; ")
            let dominated = failing.allSatisfy { !$0.1.contains(DisclosureRule.threshold) }
            let code: Refusal.Code = dominated ? .dominance : .belowThreshold
            let message =
                dominated
                ? "a few rows dominate the summary of: \(names); widen the selection"
                : "the summary rests on too few rows for: \(names); each needs at least \(rules.threshold) rows; widen the filters"
            return .refused(Refusal(code, message), report)
        }
        let report = DisclosureReport(verdict: .pass, rules: rulesOutcome, suppressedCells: 0)
        return .released(.summary(ReleasedSummary(variables: variables.map(\.statistics))), report)
    }
}
