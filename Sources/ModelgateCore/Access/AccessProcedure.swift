/// The transitions of the conditional-open procedure, as pure functions on its value types: an
/// owner's decision on an application, a change of an agreement, a change of a dataset's state.
/// Each returns the new value or throws the refusal a caller shows as it is; the store only keeps
/// the transaction around them (read, apply, write, record), never a rule of its own.
extension Application {
    /// One owner's decision on one of the datasets asked for. Every dataset approved makes the
    /// application approved and creates its agreement (numbered `agreementID`), for the datasets,
    /// models, purpose and period asked for; one refusal refuses the whole application.
    public func deciding(_ decision: Decision, agreementID: String) throws -> (Application, Agreement?) {
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
        guard decision.approved else {
            next.status = .refused
            return (next, nil)
        }
        guard Set(next.decisions.filter(\.approved).map(\.dataset)) == Set(datasets) else { return (next, nil) }
        next.status = .approved
        let agreement = Agreement(
            id: agreementID, application: id, researcher: researcher, datasets: datasets, models: models,
            purpose: purpose, starts: starts, expires: ends)
        next.agreement = agreement.id
        return (next, agreement)
    }
}

extension Agreement {
    /// The agreement after an owner of `body` sets its status: suspended, resumed (active again)
    /// or terminated. A terminated agreement never changes; a suspended one is resumed only by the
    /// body that suspended it, so that one owner cannot undo another's brake.
    public func changing(to next: Status, reason: String, by body: String?) throws -> Agreement {
        guard status != .terminated else {
            throw ModelgateError(.agreementTerminated, "agreement \(id) is terminated and cannot change")
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
    /// The state an owner sets, from this one: any, but nothing after `withdrawn`.
    public func changing(to next: DatasetState, dataset: String) throws -> DatasetState {
        guard self != .withdrawn else {
            throw ModelgateError(.datasetWithdrawn, "dataset '\(dataset)' was withdrawn and cannot change")
        }
        return next
    }
}
