/// The conditional-open procedure (arts. 13–15 of the measures) as pure functions on its value
/// types: who may do what, in which state, and what each step records. A researcher applies; each
/// owner decides the datasets of its body; every dataset approved makes an agreement; an owner
/// suspends, resumes or terminates an agreement, and suspends, resumes or withdraws its datasets.
///
/// Each function takes the acting principal and `owners`, the owning body of each dataset it
/// concerns (a dataset missing from it is unknown), and returns the new values with their audit
/// records, or throws the error a caller shows as it is. The gateway's `AccessWorkflow` looks up
/// the owners and runs these inside one store transaction; neither holds a rule of its own.
extension Application {
    /// A researcher's application, checked: at least one dataset and one model, every dataset
    /// known, purpose, scenario and safeguards stated, a period that ends after it starts.
    /// `starts`, `ends` and `at` are times in one normalised form (ISO 8601, UTC, milliseconds),
    /// so that they compare as text.
    package static func submitted(
        id: String, by principal: Principal, datasets: [String], models: [ModelKind], purpose: String,
        scenario: String, safeguards: String, starts: String, ends: String, at: String, owners: [String: String]
    ) throws -> (Application, AccessRecord) {
        try principal.require(.apply)
        guard !datasets.isEmpty, !models.isEmpty else {
            throw ModelgateError(.invalidBody, "keys 'datasets' and 'models' must each name at least one")
        }
        for (key, value) in [("purpose", purpose), ("scenario", scenario), ("safeguards", safeguards)]
        where trimmed(value).isEmpty {
            throw ModelgateError(.invalidBody, "key '\(key)' must be stated")
        }
        guard ends > starts else {
            throw ModelgateError(.invalidBody, "key 'ends' must be a day or time after 'starts'")
        }
        let asked = Array(Set(datasets)).sorted()
        if let unknown = asked.first(where: { owners[$0] == nil }) {
            throw ModelgateError(.unknownDataset, "dataset '\(unknown)' does not exist")
        }
        let application = Application(
            id: id, researcher: principal.name, datasets: asked, models: models, purpose: purpose, scenario: scenario,
            safeguards: safeguards, starts: starts, ends: ends, submittedAt: at)
        return (application, .submitted(application))
    }

    /// What an owner's decision did: the application after it, the agreement it created (when
    /// it approved the last dataset), and the events to record.
    package struct Decided: Sendable {
        package var application: Application
        package var agreement: Agreement?
        package var records: [AccessRecord]
    }

    /// An owner approves or refuses `dataset`, or, when nil, every dataset of its body not yet
    /// decided. A refusal must give its reason; one refusal refuses the whole application and
    /// decides nothing further.
    ///
    /// An approval may come with conditions, which bind the whole agreement, and must then give
    /// its reason: `conditions` (fewer of the models asked for, an earlier end) and `only` (fewer
    /// datasets: those of the owner's datasets to approve; the owner's others are dropped from
    /// the application, which goes on without them).
    package func deciding(
        approve: Bool, dataset: String?, reason: String?, by principal: Principal, owners: [String: String],
        at: String, agreementID: String, conditions: Conditions? = nil, only: [String]? = nil
    ) throws -> Decided {
        try principal.require(.decideApplication)
        let reason = reason.map(Self.trimmed)
        if !approve && (reason ?? "").isEmpty {
            throw ModelgateError(.reasonRequired, "a refusal must give its reason (key 'reason')")
        }
        let conditions = conditions.flatMap { $0.isEmpty ? nil : $0 }
        let conditional = conditions != nil || only != nil
        if conditional {
            guard approve else {
                throw ModelgateError(
                    .invalidBody, "conditions go with an approval; a refusal refuses the whole application")
            }
            guard !(reason ?? "").isEmpty else {
                throw ModelgateError(.reasonRequired, "an approval with conditions must give its reason (key 'reason')")
            }
        }
        if let models = conditions?.models {
            guard !models.isEmpty, Set(models).isSubset(of: Set(self.models)) else {
                throw ModelgateError(
                    .invalidBody,
                    "the models allowed must be some of those asked for: \(self.models.map(\.rawValue).joined(separator: ", "))"
                )
            }
        }
        if let ends = conditions?.ends {
            guard ends > starts, ends > at, ends <= self.ends else {
                throw ModelgateError(
                    .invalidBody,
                    "the period may only end sooner: after \(max(starts, at)) (its start, and now), by \(self.ends)")
            }
        }
        let mine = datasets.filter { principal.answers(for: owners[$0]) }
        guard !mine.isEmpty else {
            throw ModelgateError(.forbidden, "application \(id) asks for no dataset of '\(principal.body ?? "")'")
        }
        guard status == .pending else {
            throw ModelgateError(.applicationDecided, "application \(id) was already \(status.rawValue)")
        }
        let targets = dataset.map { [$0] } ?? mine.filter { d in !decisions.contains { $0.dataset == d } }
        guard targets.allSatisfy(mine.contains) else {
            throw ModelgateError(
                .forbidden, "dataset '\(dataset ?? "")' is not one of '\(principal.body ?? "")' in application \(id)")
        }
        guard !targets.isEmpty else {
            throw ModelgateError(.applicationDecided, "your datasets in application \(id) are decided")
        }
        if let only {
            guard !only.isEmpty, Set(only).isSubset(of: Set(targets)) else {
                throw ModelgateError(
                    .invalidBody,
                    "the datasets to approve must be some of yours still undecided: \(targets.joined(separator: ", "))")
            }
        }
        var decided = Decided(application: self, agreement: nil, records: [])
        for target in targets where decided.application.status == .pending {
            let kept = only?.contains(target) ?? true
            let decision = Decision(
                dataset: target, owner: principal.name, approved: approve && kept, reason: reason, at: at,
                conditions: kept ? conditions : nil, dropped: kept ? nil : true)
            (decided.application, decided.agreement) = try decided.application.deciding(
                decision, agreementID: agreementID)
            decided.records.append(.decided(decision, of: decided.application))
            if let agreement = decided.agreement { decided.records.append(.created(agreement)) }
        }
        return decided
    }

    /// One decision on one of the datasets asked for. Every dataset approved makes the
    /// application approved and creates its agreement (numbered `agreementID`), for the datasets,
    /// models, purpose and period asked for; one refusal refuses the whole application.
    package func deciding(_ decision: Decision, agreementID: String) throws -> (Application, Agreement?) {
        guard status == .pending else {
            throw ModelgateError(.applicationDecided, "application \(id) was already \(status.rawValue)")
        }
        guard datasets.contains(decision.dataset) else {
            throw ModelgateError(
                .notInApplication, "application \(id) does not ask for dataset '\(decision.dataset)'")
        }
        guard !decisions.contains(where: { $0.dataset == decision.dataset }) else {
            throw ModelgateError(
                .applicationDecided, "dataset '\(decision.dataset)' of application \(id) is already decided")
        }
        var next = self
        next.decisions.append(decision)
        guard decision.approved || decision.dropped == true else {
            next.status = .refused
            return (next, nil)
        }
        // Every dataset decided: the agreement covers those approved, for the models and the
        // period every approval's conditions leave.
        guard Set(next.decisions.map(\.dataset)) == Set(datasets) else { return (next, nil) }
        let approved = datasets.filter { d in next.decisions.contains { $0.dataset == d && $0.approved } }
        guard !approved.isEmpty else {
            next.status = .refused
            return (next, nil)
        }
        let conditions = next.decisions.compactMap(\.conditions)
        let allowed = models.filter { model in conditions.allSatisfy { $0.models?.contains(model) ?? true } }
        guard !allowed.isEmpty else {
            throw ModelgateError(
                .invalidBody,
                "the models the approvals allow have none in common; allow one the others allow ("
                    + models.filter { m in conditions.dropLast().allSatisfy { $0.models?.contains(m) ?? true } }
                    .map(\.rawValue).joined(separator: ", ") + "), or refuse with a reason")
        }
        let expires = ([ends] + conditions.compactMap(\.ends)).min() ?? ends
        next.status = .approved
        let agreement = Agreement(
            id: agreementID, application: id, researcher: researcher, datasets: approved, models: allowed,
            purpose: purpose, starts: starts, expires: expires)
        next.agreement = agreement.id
        return (next, agreement)
    }

    /// The text without the white space around it (scalars with Unicode's White_Space property,
    /// so that a combining mark after a space stays).
    static func trimmed(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }

    /// A reason, trimmed, or `reason_required` when there is none.
    static func stated(_ reason: String?) throws -> String {
        let reason = trimmed(reason ?? "")
        guard !reason.isEmpty else { throw ModelgateError(.reasonRequired, "key 'reason' must say why") }
        return reason
    }
}

extension Agreement {
    /// An owner of a body the agreement covers suspends it, resumes it (active again) or
    /// terminates it, saying why. A terminated agreement never changes; a suspended one is
    /// resumed only by the body that suspended it, so that one owner cannot undo another's brake.
    package func changing(to next: Status, reason: String?, by principal: Principal, owners: [String: String])
        throws -> (Agreement, AccessRecord)
    {
        try principal.require(.changeAgreement)
        guard datasets.contains(where: { principal.answers(for: owners[$0]) }) else {
            throw ModelgateError(.forbidden, "agreement \(id) covers no dataset of '\(principal.body ?? "")'")
        }
        let changed = try changing(to: next, reason: Application.stated(reason), by: principal.body)
        return (changed, .changed(changed, from: status))
    }

    /// The agreement after an owner of `body` sets its status (the state rule alone). Setting the
    /// status it has is refused: suspending a suspended agreement would hand its brake to another
    /// body, which could then resume it.
    package func changing(to next: Status, reason: String, by body: String?) throws -> Agreement {
        guard status != .terminated else {
            throw ModelgateError(.agreementTerminated, "agreement \(id) is terminated and cannot change")
        }
        guard next != status else {
            throw ModelgateError(.unchanged, "agreement \(id) is already \(status.rawValue)")
        }
        if next == .active, status == .suspended, let suspender = suspendedBy, suspender != body {
            throw ModelgateError(
                .suspendedByAnotherBody,
                "agreement \(id) was suspended by an owner of '\(suspender)'; only that body may resume it")
        }
        var changed = self
        changed.status = next
        changed.reason = reason
        changed.suspendedBy = next == .suspended ? body : nil
        return changed
    }
}

extension DatasetState {
    /// An owner of `dataset` (whose body is `owner`) suspends, resumes (opens) or withdraws it,
    /// saying why; returns the new state, the reason as kept, and the record.
    package func changing(
        to next: DatasetState, dataset: String, owner: String, reason: String?, by principal: Principal
    )
        throws -> (DatasetState, String, AccessRecord)
    {
        try principal.require(.changeDataset)
        try principal.requireOwner(of: dataset, owner: owner)
        let reason = try Application.stated(reason)
        let state = try changing(to: next, dataset: dataset)
        return (state, reason, .changed(dataset: dataset, from: self, to: state, reason: reason))
    }

    /// The state an owner sets, from this one: any other, but nothing after `withdrawn`. Setting
    /// the state it has is refused (`unchanged`): it would record a change that did not happen.
    package func changing(to next: DatasetState, dataset: String) throws -> DatasetState {
        guard self != .withdrawn else {
            throw ModelgateError(.datasetWithdrawn, "dataset '\(dataset)' was withdrawn and cannot change")
        }
        guard next != self else {
            throw ModelgateError(.unchanged, "dataset '\(dataset)' is already \(rawValue)")
        }
        return next
    }
}
