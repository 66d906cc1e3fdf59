import Hummingbird
import ModelgateCore
import ModelgateGateway

extension APIServer {
    /// The catalog (the gateway's ``Catalog``): what each dataset is, its columns and their
    /// classes, the models allowed and whether it takes jobs; and who is asking (`/v1/me`).
    func addCatalogRoutes(to v1: RouterGroup<GatewayContext>) {
        let catalog = workflow.catalog
        v1.get("me") { _, context in
            let principal = try context.require(.readCatalog)
            return try JSONBody.response(try await blocking { try catalog.profile(of: principal) })
        }
        v1.get("datasets") { _, context in
            let reader = try context.require(.readCatalog)
            return try JSONBody.response(["datasets": try await blocking { try catalog.entries(for: reader) }])
        }
        v1.get("datasets/:id") { _, context in
            let reader = try context.require(.readCatalog)
            let id = try context.parameters.require("id")
            return try JSONBody.response(try await blocking { try catalog.entry(id, for: reader) })
        }
    }
}
