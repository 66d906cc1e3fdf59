import ArgumentParser
import Foundation
import ModelgateCore
import ModelgateStore

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify, export and check receipts against the tamper-evident audit log.",
        discussion: """
            Every dataset version, policy version and job (admitted, finished, refused, \
            interrupted) is an event in the state's audit log. Each event carries the SHA-256 of \
            the one before it, so changing, inserting, deleting or reordering any event breaks \
            the chain at a place `audit verify` names.
            """,
        subcommands: [
            AuditVerifyCommand.self, AuditExportCommand.self, AuditReceiptCommand.self, AuditBenchCommand.self,
        ]
    )
}

/// Opens the store of a state folder for reading, refusing to create one.
func existingStore(_ state: StateOptions) throws -> SQLiteStore {
    guard SQLiteStore.exists(in: state.url) else {
        throw ModelgateError(
            "no_store",
            "there is no audit log in \(state.state): nothing has been recorded there yet (pass --state, or run `modelgate demo` or `modelgate ingest` first)"
        )
    }
    return try SQLiteStore(state: state.url)
}
