import Foundation

/// The one way tests reach the real meter files in `../shared/data/` beside the project.
///
/// Where the folder is absent (a user's own clone) tests that need it are skipped and say so;
/// under `CI=true` they run and fail instead, so CI never passes without them.
public enum SharedData {
    /// The project root, found from this file's location.
    public static let projectRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared/data` (or `NUTCRACKER_SHARED_DATA`).
    public static let root: URL = {
        if let env = ProcessInfo.processInfo.environment["NUTCRACKER_SHARED_DATA"] { return URL(fileURLWithPath: env) }
        return projectRoot.deletingLastPathComponent().appendingPathComponent("shared/data")
    }()

    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// Whether tests that need the data should run: it is there, or CI requires it.
    public static var shouldRun: Bool { FileManager.default.fileExists(atPath: root.path) || isCI }


    /// The path of a file under the data folder; throws (failing the test) when it is missing.
    public static func path(_ relative: String) throws -> String {
        let url = root.appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: url.path) else { throw Missing(path: url.path) }
        return url.path
    }

    public struct Missing: Error, CustomStringConvertible {
        public let path: String
        public var description: String { "shared data file missing: \(path)" }
    }
}

/// A scratch folder removed when the value goes away.
public final class TemporaryDirectory: @unchecked Sendable {
    public let url: URL

    public init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("nutcracker-test-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    public func write(_ name: String, _ text: String) throws -> String {
        let p = path(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: p))
        return p
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// The `nutcracker` executable built beside the test bundle.
public enum BuiltProducts {
    public static var nutcracker: String? {
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("nutcracker").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        let fallback = SharedData.projectRoot.appendingPathComponent(".build/debug/nutcracker").path
        return FileManager.default.isExecutableFile(atPath: fallback) ? fallback : nil
    }

    /// Runs a command; returns its exit status, standard output and standard error.
    public static func run(_ path: String, _ args: [String]) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }
}

/// The office tools the workbook tests use (python3 with openpyxl, LibreOffice); under CI their
/// absence fails the suites that need them instead of skipping them.
public enum OfficeTools {
    public static let soffice = ["/usr/bin/soffice", "/usr/local/bin/soffice", "/usr/bin/libreoffice"]
        .first { FileManager.default.fileExists(atPath: $0) } ?? "soffice"

    public static var available: Bool {
        if SharedData.isCI { return true }
        let py = (try? BuiltProducts.run("/usr/bin/env", ["python3", "-c", "import openpyxl"]))?.status == 0
        return py && FileManager.default.fileExists(atPath: soffice)
    }

    /// Converts a file with LibreOffice into `outdir` (`format`: xlsx, csv, ...), with a profile of its
    /// own so that conversions running at the same time do not lock each other out.
    public static func convert(_ path: String, to format: String, outdir: String) throws -> (status: Int32, out: String, err: String) {
        let profile = URL(fileURLWithPath: outdir).appendingPathComponent("lo-profile-\(UUID().uuidString)").absoluteString
        return try BuiltProducts.run(soffice, ["-env:UserInstallation=\(profile)", "--headless", "--convert-to", format, "--outdir", outdir, path])
    }
}
