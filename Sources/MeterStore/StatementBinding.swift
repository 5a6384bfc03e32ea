import GRDB
import GRDBSQLite

extension Statement {
    /// Runs the statement once with its parameters bound on SQLite's C API by `bind` (parameters
    /// numbered from 1), for the few statements a merge runs per block or per correction: GRDB's
    /// arguments box every value, which there cost more than SQLite's own work. Throws SQLite's error.
    func run(_ bind: (OpaquePointer) -> Void) throws {
        let stmt = sqliteStatement
        sqlite3_reset(stmt)
        sqlite3_clear_bindings(stmt)
        bind(stmt)
        let code = sqlite3_step(stmt)
        defer { sqlite3_reset(stmt) }
        guard code == SQLITE_DONE || code == SQLITE_ROW else {
            let message = sqlite3_db_handle(stmt).flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: sql)
        }
    }
}

/// `sqlite3_bind_*` for the values a merge writes.
enum Bind {
    /// SQLite copies the bytes before the call returns.
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    static func int(_ stmt: OpaquePointer, _ i: Int32, _ v: Int64) { sqlite3_bind_int64(stmt, i, v) }
    static func double(_ stmt: OpaquePointer, _ i: Int32, _ v: Double) { sqlite3_bind_double(stmt, i, v) }

    static func text(_ stmt: OpaquePointer, _ i: Int32, _ v: String?) {
        guard let v else { sqlite3_bind_null(stmt, i); return }
        sqlite3_bind_text(stmt, i, v, -1, transient)
    }

    static func blob(_ stmt: OpaquePointer, _ i: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in _ = sqlite3_bind_blob(stmt, i, raw.baseAddress, Int32(raw.count), transient) }
    }
}
