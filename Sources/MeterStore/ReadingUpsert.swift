import GRDB
import GRDBSQLite
import MeterCore

/// One reading written on SQLite's C API: values bound straight from a batch's columns, no boxed
/// arguments per row, so a reading costs one prepared step. Must run inside a write transaction on
/// the connection that prepared the statement.
///
/// It is the store's upsert: an identical value is left alone, a different one is a
/// correction (a trigger keeps the old version), and an estimate never replaces a measured value.
struct ReadingUpsert {
    /// Which way one write went.
    enum Change { case inserted, corrected, unchanged }

    /// The upsert's conflict clause, shared with the inbox merge.
    static let onConflict = """
        ON CONFLICT(meter, start) DO UPDATE SET
            kwh = excluded.kwh, quality = excluded.quality, rule = excluded.rule,
            batch = excluded.batch, version = readings.version + 1
        WHERE (readings.kwh <> excluded.kwh OR readings.quality <> excluded.quality)
          AND NOT (excluded.quality = 1 AND readings.quality <> 1)
        """
    static let insertSQL = "INSERT INTO readings(meter, start, kwh, quality, rule, batch) VALUES (?, ?, ?, ?, ?, ?)"
    static let upsertSQL = "INSERT INTO readings(meter, start, kwh, quality, rule, batch) VALUES (?, ?, ?, ?, ?, ?)\n" + onConflict

    private let db: Database
    private let statement: Statement

    /// - Parameter new: the caller knows every key it writes is not in `readings` (a plain insert, one
    ///   B-tree walk instead of the upsert's two).
    init(_ db: Database, new: Bool = false) throws {
        self.db = db
        statement = try db.cachedStatement(sql: new ? Self.insertSQL : Self.upsertSQL)
    }

    /// Writes one reading and says what it did.
    mutating func callAsFunction(meter: Int64, start: Int64, kwh: Double, quality: Quality, rule: String?, batch: Int64) throws -> Change {
        let stmt = statement.sqliteStatement
        let connection = db.sqliteConnection
        let before = sqlite3_total_changes(connection)
        sqlite3_reset(stmt)
        sqlite3_bind_int64(stmt, 1, meter)
        sqlite3_bind_int64(stmt, 2, start)
        sqlite3_bind_double(stmt, 3, kwh)
        sqlite3_bind_int64(stmt, 4, Int64(quality.rawValue))
        if let rule {
            _ = rule.withCString { sqlite3_bind_text(stmt, 5, $0, -1, Self.transient) }
        } else {
            sqlite3_bind_null(stmt, 5)
        }
        sqlite3_bind_int64(stmt, 6, batch)
        let code = sqlite3_step(stmt)
        guard code == SQLITE_DONE else {
            let message = String(cString: sqlite3_errmsg(connection))
            sqlite3_reset(stmt)
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: String(cString: sqlite3_sql(stmt)))
        }
        switch sqlite3_total_changes(connection) - before {
        case 0: return .unchanged
        case 1: return .inserted
        default: return .corrected
        }
    }

    /// What the upsert does to a stored value (nil: none stored) given a new one.
    static func change(from old: StoredValue?, to new: StoredValue) -> Change {
        guard let old else { return .inserted }
        if old.kwh == new.kwh && old.quality == new.quality { return .unchanged }
        if new.quality == .estimated && old.quality != .estimated { return .unchanged }
        return .corrected
    }

    /// SQLite copies the text before the bind returns.
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
}

/// A stored reading's value and quality: what decides an upsert's outcome.
struct StoredValue: Sendable {
    var kwh: Double
    var quality: Quality
}
