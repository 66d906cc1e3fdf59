import Hummingbird
import ModelgateCore
import ModelgateGateway

extension APIServer {
    /// Data doubts (art. 22 of the measures): a researcher files one on a dataset; an owner of
    /// the dataset answers it within 10 working days; an auditor reads them all. Each route
    /// parses, asks the gateway's ``AccessWorkflow`` and renders what it returns.
    func addDoubtRoutes(to v1: RouterGroup<GatewayContext>) {
        let workflow = workflow
        v1.post("doubts") { request, context in
            let researcher = try context.require(.fileDoubt)
            let body = try await JSONBody.decode(
                AccessWorkflow.DoubtRequest.self, from: request, limit: Self.maximumBodyBytes,
                keys: AccessWorkflow.DoubtRequest.keys)
            let doubt = try await blocking { try workflow.fileDoubt(body, by: researcher) }
            return try JSONBody.response(doubt, status: .created)
        }
        v1.get("doubts") { _, context in
            let principal = try context.require(.readDoubts)
            return try JSONBody.response(["doubts": try await blocking { try workflow.doubts(for: principal) }])
        }
        v1.get("doubts/:id") { _, context in
            let principal = try context.require(.readDoubts)
            let id = try context.parameters.require("id")
            return try JSONBody.response(try await blocking { try workflow.doubt(id, for: principal) })
        }
        v1.post("doubts/:id/answer") { request, context in
            let owner = try context.require(.answerDoubt)
            let id = try context.parameters.require("id")
            let body = try await JSONBody.decode(
                DoubtAnswer.self, from: request, limit: Self.maximumBodyBytes, keys: ["confirmed", "reason"])
            return try JSONBody.response(
                try await blocking {
                    try workflow.answerDoubt(id, confirmed: body.confirmed, reason: body.reason, by: owner)
                })
        }
    }

    /// An owner's answer to a data doubt: `confirmed` (the data was wrong and is corrected) or
    /// not, and why.
    struct DoubtAnswer: Decodable {
        var confirmed: Bool
        var reason: String?
    }
}
