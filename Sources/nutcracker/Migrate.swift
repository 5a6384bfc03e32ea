import ArgumentParser

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create or upgrade the store's schema.")

    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        _ = try await storeOptions.open()
        print("\(storeOptions.store): schema up to date")
    }
}
