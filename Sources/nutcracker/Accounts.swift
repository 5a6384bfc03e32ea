import ArgumentParser
import Foundation
import MeterCore
import NutCrackerServer

struct User: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage the people who may use the server.",
                                                    subcommands: [UserAdd.self, UserList.self])
}

struct UserAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Create a user, or set their password and role.")

    @OptionGroup var storeOptions: StoreOptions
    @Argument(help: "User name.") var name: String
    @Option(help: "viewer (reads), operator (reads and writes) or admin.") var role: Role = .viewer
    @Option(help: "Password; read from standard input when not given (one line).") var password: String?

    func run() async throws {
        let store = try await storeOptions.open()
        let accounts = try await Accounts(store: store)
        let secret: String
        if let password {
            secret = password
        } else {
            if isatty(STDIN_FILENO) == 1 { FileHandle.standardError.write(Data("password for \(name): ".utf8)) }
            guard let line = readLine(strippingNewline: true) else { throw ValidationError("no password given on standard input") }
            secret = line
        }
        do {
            try await accounts.addUser(name: name, password: secret, role: role)
        } catch let e as AccountError {
            throw ValidationError(e.description)
        }
        printOut("user \(name) saved with role \(role.rawValue)\n")
    }
}

struct UserList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List users and their roles.")
    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        for u in try await storeOptions.open().users() { printOut("\(u.name)\t\(u.role)\n") }
    }
}

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage device keys (API keys scoped to one source).",
                                                    subcommands: [TokenCreate.self, TokenRevoke.self])
}

struct TokenCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create",
                                                    abstract: "Create a device key that may write readings of one source; printed once.")
    @OptionGroup var storeOptions: StoreOptions
    @Option(help: "The source the key may write.") var source: String
    @Option(help: "A label to recognise the key by.") var label = ""

    func run() async throws {
        guard let id = SourceID(source) else { throw ValidationError("--source: not a source id: \(source)") }
        let accounts = try await Accounts(store: try await storeOptions.open())
        let key = try await accounts.createDeviceKey(source: id, label: label)
        printOut("\(key.key)\n")
        FileHandle.standardError.write(Data("device key \(key.id) for source \(source): keep it now, it is not shown again\n".utf8))
    }
}

struct TokenRevoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a device key by its id.")
    @OptionGroup var storeOptions: StoreOptions
    @Argument(help: "The key's id (the part after nck_).") var id: String

    func run() async throws {
        let accounts = try await Accounts(store: try await storeOptions.open())
        guard try await accounts.revokeDeviceKey(id: id) else { throw ValidationError("no device key \(id)") }
        printOut("device key \(id) revoked\n")
    }
}

extension Role: ExpressibleByArgument {}
