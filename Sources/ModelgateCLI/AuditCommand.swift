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

/// Opens the store for reading, refusing to create a SQLite one.
func existingStore(_ state: StateOptions) throws -> any GatewayStore {
    try state.existingStore()
}
