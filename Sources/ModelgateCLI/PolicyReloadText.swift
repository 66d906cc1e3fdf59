import ModelgateGateway

/// What a policy reload did, in lines for an administrator: what did not load and why, what
/// weakened (with the diff), and the datasets that no policy file governs any more.
enum PolicyReloadText {
    static func say(_ outcome: PolicyReload.Outcome, _ say: (String) -> Void) {
        for problem in outcome.problems { say("policy not loaded: \(problem)") }
        for change in outcome.weakened + outcome.awaitingConfirmation {
            let loaded = outcome.weakened.contains(change)
            say("policy of '\(change.dataset)' \(loaded ? "loaded, weaker" : "held back, weaker"):")
            for weakening in change.weakenings { say("  weaker: \(weakening)") }
            for line in change.diff { say("    \(line)") }
        }
        for dataset in outcome.withoutFile {
            say(
                "no policy file for '\(dataset)' in the policies folder: it stays open on the policy stored with "
                    + "it; withdraw it (POST /v1/datasets/\(dataset)/withdraw) if that file was removed to close it")
        }
    }
}
