import GRDB

extension SQLiteStore: CredentialStore {
    static func registerCredentialMigration(_ m: inout DatabaseMigrator) {
        m.registerMigration("v3-credentials") { db in
            try db.execute(sql: """
                CREATE TABLE users (
                    name TEXT PRIMARY KEY,
                    password_hash TEXT NOT NULL,
                    role TEXT NOT NULL,
                    created_at INTEGER NOT NULL DEFAULT (strftime('%s','now'))
                );
                CREATE TABLE device_keys (
                    id TEXT PRIMARY KEY,
                    secret_hash TEXT NOT NULL,
                    source TEXT NOT NULL,
                    label TEXT NOT NULL DEFAULT '',
                    created_at INTEGER NOT NULL,
                    revoked INTEGER NOT NULL DEFAULT 0
                );
                CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                """)
        }
    }

    public func saveUser(name: String, passwordHash: String, role: String) async throws {
        try await pool.write { db in
            try db.execute(sql: """
                INSERT INTO users(name, password_hash, role) VALUES (?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET password_hash = excluded.password_hash, role = excluded.role
                """, arguments: [name, passwordHash, role])
        }
    }

    public func user(name: String) async throws -> StoredUser? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT name, password_hash, role FROM users WHERE name = ?", arguments: [name])
                .map { StoredUser(name: $0[0], passwordHash: $0[1], role: $0[2]) }
        }
    }

    public func users() async throws -> [StoredUser] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT name, password_hash, role FROM users ORDER BY name")
                .map { StoredUser(name: $0[0], passwordHash: $0[1], role: $0[2]) }
        }
    }

    public func saveDeviceKey(_ key: StoredDeviceKey) async throws {
        try await pool.write { db in
            try db.execute(sql: "INSERT INTO device_keys(id, secret_hash, source, label, created_at, revoked) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [key.id, key.secretHash, key.source, key.label, key.createdAt, key.revoked])
        }
    }

    public func deviceKey(id: String) async throws -> StoredDeviceKey? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT id, secret_hash, source, label, created_at, revoked FROM device_keys WHERE id = ?", arguments: [id])
                .map { StoredDeviceKey(id: $0[0], secretHash: $0[1], source: $0[2], label: $0[3], createdAt: $0[4], revoked: $0[5]) }
        }
    }

    public func revokeDeviceKey(id: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE device_keys SET revoked = 1 WHERE id = ?", arguments: [id])
            return db.changesCount > 0
        }
    }

    public func setting(_ key: String) async throws -> String? {
        try await pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = ?", arguments: [key]) }
    }

    public func settingOrInsert(_ key: String, _ value: String) async throws -> String {
        try await pool.write { db in
            try db.execute(sql: "INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING", arguments: [key, value])
            return try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = ?", arguments: [key]) ?? value
        }
    }
}
