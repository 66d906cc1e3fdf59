import ModelgateCore
import ModelgateStore
import PostgresNIO

extension PostgresStore {
    /// The schema, as migrations: each a name and its statements (one per string: the extended
    /// protocol runs one statement at a time). Add a migration for every change; never edit a
    /// shipped one.
    ///
    /// The first is the schema SQLite's migrations v1–v10 leave, column for column and with the
    /// same names, so that both stores keep the same records; it is written again here rather
    /// than generated from one description because the two differ where it matters: byte strings
    /// (`bytea`), booleans, append-only triggers (PL/pgSQL), the chain's head row (SQLite's write
    /// lock needs none), and text compared byte by byte (`COLLATE "C"`, SQLite's order, whatever
    /// the server's locale).
    static let migrations: [(name: String, statements: [String])] = [
        (
            "v1 the schema of SQLite's v1–v10",
            [
                """
                CREATE TABLE datasets (
                    id TEXT PRIMARY KEY, title TEXT NOT NULL, owner TEXT NOT NULL, current_version TEXT NOT NULL,
                    state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'suspended', 'withdrawn')),
                    state_reason TEXT)
                """,
                """
                CREATE TABLE policy_versions (
                    dataset TEXT NOT NULL REFERENCES datasets(id), hash TEXT NOT NULL, text TEXT NOT NULL,
                    loaded_at TEXT NOT NULL, seq BIGSERIAL, PRIMARY KEY (dataset, hash))
                """,
                """
                CREATE TABLE dataset_versions (
                    dataset TEXT NOT NULL REFERENCES datasets(id), version TEXT NOT NULL, row_count BIGINT NOT NULL,
                    policy_hash TEXT NOT NULL, ingested_at TEXT NOT NULL, source TEXT NOT NULL,
                    recorded_at TEXT NOT NULL, PRIMARY KEY (dataset, version, policy_hash),
                    FOREIGN KEY (dataset, policy_hash) REFERENCES policy_versions(dataset, hash))
                """,
                """
                CREATE TABLE jobs (
                    id TEXT PRIMARY KEY, principal TEXT NOT NULL, dataset TEXT, dataset_version TEXT,
                    policy_hash TEXT, model TEXT,
                    status TEXT NOT NULL
                        CHECK (status IN ('admitted', 'released', 'refused', 'failed', 'interrupted')),
                    reason_code TEXT, reason_message TEXT, verdict TEXT, cells_released BIGINT,
                    cells_suppressed BIGINT, result_hash TEXT, runner TEXT, deadline TEXT, submitted_at TEXT NOT NULL,
                    admitted_at TEXT, finished_at TEXT, document TEXT, agreement TEXT,
                    epsilon_micros BIGINT NOT NULL DEFAULT 0, answer_key TEXT, receipt_index BIGINT,
                    receipt_hash TEXT)
                """,
                "CREATE INDEX jobs_unfinished ON jobs(status) WHERE status = 'admitted'",
                "CREATE INDEX jobs_by_principal ON jobs(principal, submitted_at)",
                "CREATE INDEX jobs_by_answer_key ON jobs(answer_key) WHERE answer_key IS NOT NULL",
                """
                CREATE TABLE usage (
                    job TEXT PRIMARY KEY REFERENCES jobs(id), rows_scanned BIGINT, rows_dropped BIGINT,
                    cpu_seconds DOUBLE PRECISION NOT NULL, wall_seconds DOUBLE PRECISION NOT NULL,
                    peak_memory_bytes BIGINT NOT NULL)
                """,
                """
                CREATE TABLE quota_usage (
                    principal TEXT NOT NULL, dataset TEXT NOT NULL, day TEXT NOT NULL, jobs BIGINT NOT NULL,
                    PRIMARY KEY (principal, dataset, day))
                """,
                """
                CREATE TABLE audit_events (
                    idx BIGINT PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL, principal TEXT, dataset TEXT,
                    job TEXT, detail TEXT NOT NULL, previous_hash TEXT NOT NULL, hash TEXT NOT NULL)
                """,
                // The chain's head: one row, locked by every writer (see PostgresStore).
                """
                CREATE TABLE audit_head (
                    one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one), idx BIGINT NOT NULL, hash TEXT NOT NULL)
                """,
                "INSERT INTO audit_head (idx, hash) VALUES (0, '\(AuditEvent.genesisHash)')",
                // Append-only for the program itself. Someone with the database's owner role can
                // drop these triggers; the hash chain is what catches them.
                """
                CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'audit events are append-only'; END $$
                """,
                """
                CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
                    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()
                """,
                """
                CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
                    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()
                """,
                """
                CREATE TABLE principals (
                    name TEXT PRIMARY KEY,
                    role TEXT NOT NULL CHECK (role IN ('researcher', 'owner', 'auditor', 'admin')), body TEXT,
                    disabled BOOLEAN NOT NULL DEFAULT FALSE, token_id TEXT NOT NULL UNIQUE, token_hash TEXT NOT NULL,
                    created_at TEXT NOT NULL)
                """,
                """
                CREATE TABLE applications (
                    id TEXT PRIMARY KEY, researcher TEXT NOT NULL, status TEXT NOT NULL, document TEXT NOT NULL)
                """,
                """
                CREATE TABLE agreements (
                    id TEXT PRIMARY KEY, researcher TEXT NOT NULL, status TEXT NOT NULL, document TEXT NOT NULL)
                """,
                """
                CREATE TABLE ledger_entries (
                    dataset TEXT NOT NULL, version TEXT NOT NULL, generation BIGINT NOT NULL,
                    job TEXT NOT NULL REFERENCES jobs(id), splits BYTEA NOT NULL, released BYTEA NOT NULL,
                    protected BYTEA NOT NULL, atoms_file TEXT, measures TEXT, measured BYTEA NOT NULL,
                    value_protected BYTEA NOT NULL, weighted_features TEXT NOT NULL, weighted_samples BYTEA NOT NULL,
                    weighted BYTEA NOT NULL, PRIMARY KEY (dataset, version, generation))
                """,
                """
                CREATE TABLE privacy_spending (
                    dataset TEXT NOT NULL, agreement TEXT NOT NULL, spent BIGINT NOT NULL CHECK (spent >= 0),
                    PRIMARY KEY (dataset, agreement))
                """,
                """
                CREATE TABLE idempotency_keys (
                    principal TEXT NOT NULL, key TEXT NOT NULL, job TEXT NOT NULL, request TEXT NOT NULL,
                    created_at TEXT NOT NULL, PRIMARY KEY (principal, key))
                """,
                """
                CREATE TABLE privacy_allocations (
                    dataset TEXT NOT NULL, agreement TEXT NOT NULL, epsilon BIGINT NOT NULL CHECK (epsilon >= 0),
                    PRIMARY KEY (dataset, agreement))
                """,
                """
                CREATE TABLE data_doubts (
                    id TEXT PRIMARY KEY, researcher TEXT NOT NULL, dataset TEXT NOT NULL, status TEXT NOT NULL,
                    due_by TEXT NOT NULL, document TEXT NOT NULL)
                """,
            ]
        ),
        (
            "v2 job leases (SQLite's v11)",
            [
                "ALTER TABLE jobs ADD COLUMN lease_token TEXT",
                "ALTER TABLE jobs ADD COLUMN lease_expires TEXT",
                "CREATE INDEX jobs_leased ON jobs(lease_expires) WHERE status = 'admitted'",
            ]
        ),
        (
            "v3 the asynchronous job queue (SQLite's v12)",
            [
                """
                CREATE TABLE job_queue (
                    id TEXT PRIMARY KEY, principal TEXT NOT NULL, spec TEXT NOT NULL,
                    needs_agreement BOOLEAN NOT NULL, idempotency_key TEXT, queued_at TEXT NOT NULL,
                    claimed_by TEXT, claim_expires TEXT, answered_by TEXT, failure_code TEXT,
                    failure_message TEXT, ended_at TEXT)
                """
            ]
        ),
    ]

    /// Applies the migrations not yet applied, in one transaction under an advisory lock, so that
    /// gateways starting together on a new database create the schema once.
    func migrate() throws {
        try BlockingConnection.with(client, logger: logger, timeout: timeout) { connection in
            let encoding = try connection.rows("SHOW server_encoding").first?[0].decode(String.self)
            guard encoding == "UTF8" else {
                throw ModelgateError(
                    "store_unavailable",
                    "the database's encoding is \(encoding ?? "unknown"), not UTF8: create it with ENCODING 'UTF8'")
            }
            // Up to date: nothing to write (a role that may only read opens the store too).
            let known = try connection.rows("SELECT to_regclass('schema_migrations') IS NOT NULL").first?[0].decode(
                Bool.self)
            if known == true,
                try connection.rows("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").first?[0].decode(
                    Int.self) == Self.migrations.count
            {
                return
            }
            try connection.execute("BEGIN")
            do {
                try connection.execute("SELECT pg_advisory_xact_lock(\(Self.migrationLock))")
                try connection.execute(
                    """
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)
                    """)
                let applied =
                    try connection.rows("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
                    .first?[0].decode(Int.self) ?? 0
                guard applied <= Self.migrations.count else {
                    throw ModelgateError(
                        "store_unavailable",
                        "the database's schema is version \(applied), newer than this modelgate's \(Self.migrations.count): upgrade modelgate"
                    )
                }
                for (offset, migration) in Self.migrations.enumerated().dropFirst(applied) {
                    for statement in migration.statements {
                        // Text compares byte by byte, as SQLite's does, whatever the server's locale.
                        let sql = statement.replacingOccurrences(of: "TEXT", with: "TEXT COLLATE \"C\"")
                        try connection.execute(PostgresQuery(unsafeSQL: sql))
                    }
                    try connection.execute(
                        """
                        INSERT INTO schema_migrations (version, name, applied_at)
                        VALUES (\(offset + 1), \(migration.name), \(Timestamp.string(try now(connection))))
                        """)
                }
                try connection.execute("COMMIT")
            } catch {
                _ = try? connection.execute("ROLLBACK")
                throw error
            }
        }
    }

    /// The advisory lock key migrations hold ("modelgat" in ASCII).
    static let migrationLock: Int64 = 0x6d6f_6465_6c67_6174
}
