import Hummingbird
import ModelgateCore
import ModelgateGateway

extension APIServer {
    /// The conditional-open procedure: applications, owners' decisions, agreements, and the
    /// owner's brakes on an agreement or a whole dataset. Each route parses, asks the gateway's
    /// ``AccessWorkflow`` and renders what it returns.
    func addAccessRoutes(to v1: RouterGroup<GatewayContext>) {
        let workflow = workflow
        v1.post("applications") { request, context in
            let researcher = try context.require(.apply)
            let body = try await JSONBody.decode(
                AccessWorkflow.ApplicationRequest.self, from: request, limit: Self.maximumBodyBytes,
                keys: AccessWorkflow.ApplicationRequest.keys)
            let application = try await blocking { try workflow.apply(body, by: researcher) }
            return try JSONBody.response(application, status: .created)
        }
        v1.get("applications") { _, context in
            let principal = try context.require(.readApplications)
            return try JSONBody.response(
                ["applications": try await blocking { try workflow.applications(for: principal) }])
        }
        v1.get("applications/:id") { _, context in
            let principal = try context.require(.readApplications)
            let id = try context.parameters.require("id")
            return try JSONBody.response(try await blocking { try workflow.application(id, for: principal) })
        }
        for (verb, approve) in [("approve", true), ("refuse", false)] {
            v1.post("applications/:id/\(verb)") { request, context in
                let owner = try context.require(.decideApplication)
                let id = try context.parameters.require("id")
                let body = try await JSONBody.decode(
                    Decision.self, from: request, limit: Self.maximumBodyBytes,
                    keys: approve ? ["dataset", "reason", "datasets", "models", "ends"] : ["dataset", "reason"])
                let decided = try await blocking {
                    try workflow.decide(
                        id, approve: approve, dataset: body.dataset, reason: body.reason, by: owner,
                        models: body.models,
                        ends: body.ends, only: body.datasets)
                }
                return try JSONBody.response(
                    DecisionResponse(application: decided.application, agreement: decided.agreement))
            }
        }
        v1.get("agreements") { _, context in
            let principal = try context.require(.readAgreements)
            return try JSONBody.response(["agreements": try await blocking { try workflow.agreements(for: principal) }])
        }
        v1.get("agreements/:id") { _, context in
            let principal = try context.require(.readAgreements)
            let id = try context.parameters.require("id")
            return try JSONBody.response(try await blocking { try workflow.agreement(id, for: principal) })
        }
        for (verb, status) in [
            ("suspend", Agreement.Status.suspended), ("resume", .active), ("terminate", .terminated),
        ] {
            v1.post("agreements/:id/\(verb)") { request, context in
                let owner = try context.require(.changeAgreement)
                let id = try context.parameters.require("id")
                let reason = try await Self.reason(request)
                return try JSONBody.response(
                    try await blocking { try workflow.change(agreement: id, to: status, reason: reason, by: owner) })
            }
        }
        v1.post("agreements/:id/privacy") { request, context in
            let owner = try context.require(.changeAgreement)
            let id = try context.parameters.require("id")
            let body = try await JSONBody.decode(
                Allocation.self, from: request, limit: Self.maximumBodyBytes, keys: ["dataset", "epsilon", "reason"])
            guard let epsilon = MicroEpsilon(text: body.epsilon) else {
                throw ModelgateError(
                    .invalidBody,
                    "epsilon must be a decimal ε with at most six decimal places, such as \"4\" or \"0.5\"")
            }
            return try JSONBody.response(
                try await blocking {
                    try workflow.allocate(epsilon, to: id, on: body.dataset, reason: body.reason, by: owner)
                })
        }
        v1.get("datasets/:id/privacy") { _, context in
            let principal = try context.require(.readUsage)
            let id = try context.parameters.require("id")
            return try JSONBody.response(try await blocking { try workflow.privacyBudgets(of: id, for: principal) })
        }
        for (verb, state) in [("suspend", DatasetState.suspended), ("resume", .open), ("withdraw", .withdrawn)] {
            v1.post("datasets/:id/\(verb)") { request, context in
                let owner = try context.require(.changeDataset)
                let id = try context.parameters.require("id")
                let reason = try await Self.reason(request)
                return try JSONBody.response(
                    try await blocking { try workflow.change(dataset: id, to: state, reason: reason, by: owner) })
            }
        }
    }

    /// An owner's decision; an approval may carry conditions: `datasets` (the ones of its body
    /// to approve; its others are dropped), `models` (those allowed), `ends` (an earlier end).
    struct Decision: Decodable {
        var dataset: String?
        var reason: String?
        var datasets: [String]?
        var models: [ModelKind]?
        var ends: String?
    }

    struct Reason: Decodable { var reason: String? }

    /// `{dataset, epsilon, reason}`; ε as decimal text ("4") or a JSON number.
    struct Allocation: Decodable {
        var dataset: String
        var epsilon: String
        var reason: String?

        enum CodingKeys: String, CodingKey { case dataset, epsilon, reason }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            dataset = try container.decode(String.self, forKey: .dataset)
            reason = try container.decodeIfPresent(String.self, forKey: .reason)
            if let text = try? container.decode(String.self, forKey: .epsilon) {
                epsilon = text
            } else {
                epsilon = "\(try container.decode(Double.self, forKey: .epsilon))"
            }
        }
    }

    struct DecisionResponse: Encodable {
        var application: ModelgateCore.Application
        var agreement: Agreement?
    }

    /// The `reason` of a body that may hold only that (the procedure says whether it must).
    static func reason(_ request: Request) async throws -> String? {
        try await JSONBody.decode(Reason.self, from: request, limit: maximumBodyBytes, keys: ["reason"]).reason
    }
}
