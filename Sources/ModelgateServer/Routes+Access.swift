import Foundation
import Hummingbird
import ModelgateColumnar
import ModelgateCore
import ModelgateStore

extension APIServer {
    /// The conditional-open procedure: applications, owners' decisions, agreements, and the
    /// owner's brakes on an agreement or a whole dataset.
    func addAccessRoutes(to v1: RouterGroup<GatewayContext>) {
        v1.post("applications") { request, context in
            let researcher = try context.require(.researcher)
            let body = try await JSONBody.decode(
                ApplicationRequest.self, from: request, limit: Self.maximumBodyBytes,
                keys: ["datasets", "models", "purpose", "scenario", "safeguards", "starts", "ends"])
            let application = try await validated(body, researcher: researcher.name)
            let store = store
            try await blocking { try store.submit(application) }
            return try JSONBody.response(application, status: .created)
        }
        v1.get("applications") { _, context in
            let principal = try context.require(.researcher, .owner, .auditor)
            let store = store
            let all = try await blocking {
                try store.applications(researcher: principal.role == .researcher ? principal.name : nil)
            }
            return try JSONBody.response(["applications": try await visible(all, to: principal, datasets: \.datasets)])
        }
        v1.get("applications/:id") { _, context in
            let principal = try context.require(.researcher, .owner, .auditor)
            let application = try await loadApplication(try context.parameters.require("id"))
            guard try await !visible([application], to: principal, datasets: \.datasets).isEmpty,
                principal.role != .researcher || application.researcher == principal.name
            else { throw APIError.notFound("application \(application.id)") }
            return try JSONBody.response(application)
        }
        for (verb, approve) in [("approve", true), ("refuse", false)] {
            v1.post("applications/:id/\(verb)") { request, context in
                let owner = try context.require(.owner)
                let id = try context.parameters.require("id")
                let body = try await JSONBody.decode(
                    Decision.self, from: request, limit: Self.maximumBodyBytes, keys: ["dataset", "reason"])
                let reason = body.reason?.trimmingCharacters(in: .whitespacesAndNewlines)
                if !approve && (reason ?? "").isEmpty {
                    throw APIError.badRequest("reason_required", "a refusal must give its reason (key 'reason')")
                }
                var application = try await loadApplication(id)
                var mine: [String] = []
                for dataset in application.datasets where try await self.ownerIfAny(of: dataset) == owner.body {
                    mine.append(dataset)
                }
                guard !mine.isEmpty else {
                    throw APIError.forbidden("application \(id) asks for no dataset of '\(owner.body ?? "")'")
                }
                guard application.status == .pending else {
                    throw APIError(
                        .conflict, "application_decided", "application \(id) was already \(application.status.rawValue)"
                    )
                }
                let targets =
                    body.dataset.map { [$0] }
                    ?? mine.filter { d in !application.decisions.contains { $0.dataset == d } }
                guard targets.allSatisfy(mine.contains) else {
                    throw APIError.forbidden("dataset '\(body.dataset ?? "")' is not one of '\(owner.body ?? "")'")
                }
                guard !targets.isEmpty else {
                    throw APIError(.conflict, "application_decided", "your datasets in application \(id) are decided")
                }
                let store = store
                var agreement: Agreement?
                for dataset in targets {
                    let decision = ModelgateCore.Application.Decision(
                        dataset: dataset, owner: owner.name, approved: approve, reason: reason,
                        at: Timestamp.string(Date()))
                    (application, agreement) = try await blocking {
                        try store.decide(application: id, decision, by: owner.name)
                    }
                    if application.status != .pending { break }
                }
                return try JSONBody.response(DecisionResponse(application: application, agreement: agreement))
            }
        }
        v1.get("agreements") { _, context in
            let principal = try context.require(.researcher, .owner, .auditor)
            let store = store
            let all = try await blocking {
                try store.agreements(researcher: principal.role == .researcher ? principal.name : nil)
            }
            return try JSONBody.response(["agreements": try await visible(all, to: principal, datasets: \.datasets)])
        }
        v1.get("agreements/:id") { _, context in
            let principal = try context.require(.researcher, .owner, .auditor)
            let agreement = try await loadAgreement(try context.parameters.require("id"))
            guard try await !visible([agreement], to: principal, datasets: \.datasets).isEmpty,
                principal.role != .researcher || agreement.researcher == principal.name
            else { throw APIError.notFound("agreement \(agreement.id)") }
            return try JSONBody.response(agreement)
        }
        for (verb, status) in [
            ("suspend", Agreement.Status.suspended), ("resume", .active), ("terminate", .terminated),
        ] {
            v1.post("agreements/:id/\(verb)") { request, context in
                let owner = try context.require(.owner)
                let agreement = try await loadAgreement(try context.parameters.require("id"))
                let reason = try await requiredReason(request)
                var owns = false
                for dataset in agreement.datasets where try await self.ownerIfAny(of: dataset) == owner.body {
                    owns = true
                }
                guard owns else {
                    throw APIError.forbidden("agreement \(agreement.id) covers no dataset of '\(owner.body ?? "")'")
                }
                let store = store
                let changed = try await blocking {
                    try store.setAgreement(
                        agreement.id, status: status, reason: reason, by: owner.name, body: owner.body)
                }
                return try JSONBody.response(changed)
            }
        }
        for (verb, state) in [("suspend", DatasetState.suspended), ("resume", .open), ("withdraw", .withdrawn)] {
            v1.post("datasets/:id/\(verb)") { request, context in
                let owner = try context.require(.owner)
                let id = try context.parameters.require("id")
                try await requireOwner(owner, of: id)
                let reason = try await requiredReason(request)
                let store = store
                try await blocking { try store.setDatasetState(id, state, reason: reason, by: owner.name) }
                return try JSONBody.response(["dataset": id, "state": state.rawValue, "reason": reason])
            }
        }
    }

    struct ApplicationRequest: Decodable {
        var datasets: [String]
        var models: [ModelKind]
        var purpose: String
        var scenario: String
        var safeguards: String
        var starts: String
        var ends: String
    }

    struct Decision: Decodable {
        var dataset: String?
        var reason: String?
    }

    struct Reason: Decodable { var reason: String }

    struct DecisionResponse: Encodable {
        var application: ModelgateCore.Application
        var agreement: Agreement?
    }

    func requiredReason(_ request: Request) async throws -> String {
        let body = try await JSONBody.decode(Reason.self, from: request, limit: Self.maximumBodyBytes, keys: ["reason"])
        let reason = body.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw APIError.badRequest("reason_required", "key 'reason' must say why") }
        return reason
    }

    func validated(_ body: ApplicationRequest, researcher: String) async throws -> ModelgateCore.Application {
        guard !body.datasets.isEmpty, !body.models.isEmpty else {
            throw APIError.badRequest("invalid_body", "keys 'datasets' and 'models' must each name at least one")
        }
        for (key, value) in [("purpose", body.purpose), ("scenario", body.scenario), ("safeguards", body.safeguards)]
        where value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw APIError.badRequest("invalid_body", "key '\(key)' must be stated")
        }
        guard let starts = Timestamp.parse(body.starts) else {
            throw APIError.badRequest("invalid_body", "key 'starts' is not a day (2026-01-01) or an ISO 8601 time")
        }
        guard let ends = Timestamp.parse(body.ends), ends > starts else {
            throw APIError.badRequest("invalid_body", "key 'ends' must be a day or time after 'starts'")
        }
        for dataset in Set(body.datasets) { _ = try await owner(of: dataset) }
        return ModelgateCore.Application(
            id: "app-" + UUID().uuidString.lowercased().prefix(12), researcher: researcher,
            datasets: Array(Set(body.datasets)).sorted(), models: body.models, purpose: body.purpose,
            scenario: body.scenario, safeguards: body.safeguards, starts: Timestamp.string(starts),
            ends: Timestamp.string(ends), submittedAt: Timestamp.string(Date()))
    }

    func loadApplication(_ id: String) async throws -> ModelgateCore.Application {
        let store = store
        guard let application = try await blocking({ try store.application(id) }) else {
            throw APIError.notFound("application \(id)")
        }
        return application
    }

    func loadAgreement(_ id: String) async throws -> Agreement {
        let store = store
        guard let agreement = try await blocking({ try store.agreement(id) }) else {
            throw APIError.notFound("agreement \(id)")
        }
        return agreement
    }

    /// What a principal may see of applications or agreements: a researcher its own (the store
    /// already filtered), an owner those naming a dataset of its body, an auditor all.
    func visible<T>(_ items: [T], to principal: Principal, datasets: KeyPath<T, [String]>) async throws -> [T] {
        guard principal.role == .owner else { return items }
        var shown: [T] = []
        for item in items {
            for dataset in item[keyPath: datasets] where try await ownerIfAny(of: dataset) == principal.body {
                shown.append(item)
                break
            }
        }
        return shown
    }
}
