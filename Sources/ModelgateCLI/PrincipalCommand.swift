import ArgumentParser
import Foundation
import ModelgateCore
import ModelgateGateway
import ModelgateServer
import ModelgateStore

struct PrincipalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "principal",
        abstract: "Add principals and manage their tokens.",
        subcommands: [Add.self, Disable.self, Enable.self, Rotate.self, List.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Add a principal and print its bearer token (once: only its SHA-256 is kept).")
        @Option(help: "researcher, owner, auditor or admin.") var role: Role
        @Option(help: "A unique name.") var name: String
        @Option(help: "For an owner: the public body it answers for (a dataset's `owner`).") var body: String?
        @OptionGroup var state: StateOptions

        func validate() throws {
            do {
                _ = try Principal(checking: name, role: role, body: body)
            } catch let error as ModelgateError {
                throw ValidationError(error.message)
            }
        }

        func run() throws {
            let (token, stored) = Tokens.make()
            try state.openStore().addPrincipal(
                Principal(checking: name, role: role, body: body), token: stored, by: "operator")
            print(token)
        }
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "disable", abstract: "Stop a principal's token from working.")
        @Argument var name: String
        @OptionGroup var state: StateOptions
        func run() throws { try state.openStore().setPrincipal(name, disabled: true, by: "operator") }
    }

    struct Enable: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "enable", abstract: "Let a disabled principal's token work again.")
        @Argument var name: String
        @OptionGroup var state: StateOptions
        func run() throws { try state.openStore().setPrincipal(name, disabled: false, by: "operator") }
    }

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate",
            abstract: "Give a principal a new token (printed once); the old one stops working.")
        @Argument var name: String
        @OptionGroup var state: StateOptions
        func run() throws {
            let (token, stored) = Tokens.make()
            try state.openStore().replaceToken(of: name, with: stored, by: "operator")
            print(token)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List principals (never their tokens).")
        @OptionGroup var state: StateOptions
        func run() throws {
            for principal in try state.openStore().principals() {
                print(
                    [
                        principal.name, principal.role.rawValue, principal.body ?? "-",
                        principal.disabled ? "disabled" : "active",
                    ]
                    .joined(separator: "\t"))
            }
        }
    }
}

extension Role: ExpressibleByArgument {}
