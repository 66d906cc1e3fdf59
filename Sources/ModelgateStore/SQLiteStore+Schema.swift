import GRDB

extension SQLiteStore {
    /// The `user_version` the last migration sets. (v3–v10 did not set it: v11 does, so that a
    /// store opened at 2 runs the migrator, which knows from its own table which ran.)
    static let schemaVersion = 12

    /// The schema, as migrations. Add a migration for every change; never edit a shipped one;
    /// each ends by setting `user_version` (``schemaVersion``) to its number.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 catalog, jobs, usage, quotas, audit log") { db in
            try db.execute(
                sql: """
                    CREATE TABLE datasets (
                        id TEXT PRIMARY KEY,
                        title TEXT NOT NULL,
                        owner TEXT NOT NULL,
                        current_version TEXT NOT NULL
                    );
                    CREATE TABLE policy_versions (
                        dataset TEXT NOT NULL REFERENCES datasets(id),
                        hash TEXT NOT NULL,
                        text TEXT NOT NULL,
                        loaded_at TEXT NOT NULL,
                        PRIMARY KEY (dataset, hash)
                    );
                    CREATE TABLE dataset_versions (
                        dataset TEXT NOT NULL REFERENCES datasets(id),
                        version TEXT NOT NULL,
                        row_count INTEGER NOT NULL,
                        policy_hash TEXT NOT NULL,
                        ingested_at TEXT NOT NULL,
                        source TEXT NOT NULL,
                        recorded_at TEXT NOT NULL,
                        PRIMARY KEY (dataset, version, policy_hash),
                        FOREIGN KEY (dataset, policy_hash) REFERENCES policy_versions(dataset, hash)
                    );
                    -- One row per job, refused ones included. `submitted_at` is when it was
                    -- first recorded; admitted jobs have `admitted_at` and `runner` too.
                    -- Tables are keyed by their text ids (WITHOUT ROWID) and carry no index
                    -- beyond what start-up needs: every page a job touches is written to the
                    -- log at each commit, and recording is bound by those writes, not by CPU.
                    -- Reports and exports scan, which costs what reading their output costs.
                    CREATE TABLE jobs (
                        id TEXT PRIMARY KEY,
                        principal TEXT NOT NULL,
                        dataset TEXT,
                        dataset_version TEXT,
                        policy_hash TEXT,
                        model TEXT,
                        status TEXT NOT NULL
                            CHECK (status IN ('admitted', 'released', 'refused', 'failed', 'interrupted')),
                        reason_code TEXT,
                        reason_message TEXT,
                        verdict TEXT,
                        cells_released INTEGER,
                        cells_suppressed INTEGER,
                        result_hash TEXT,
                        runner TEXT,
                        deadline TEXT,
                        submitted_at TEXT NOT NULL,
                        admitted_at TEXT,
                        finished_at TEXT
                    ) WITHOUT ROWID;
                    -- Start-up recovery reads the unfinished jobs at every start: a small index.
                    CREATE INDEX jobs_unfinished ON jobs(status) WHERE status = 'admitted';
                    CREATE TABLE usage (
                        job TEXT PRIMARY KEY REFERENCES jobs(id),
                        rows_scanned INTEGER,
                        rows_dropped INTEGER,
                        cpu_seconds REAL NOT NULL,
                        wall_seconds REAL NOT NULL,
                        peak_memory_bytes INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    -- Admitted jobs per researcher, dataset and UTC day, for `quota.jobsPerDay`.
                    CREATE TABLE quota_usage (
                        principal TEXT NOT NULL,
                        dataset TEXT NOT NULL,
                        day TEXT NOT NULL,
                        jobs INTEGER NOT NULL,
                        PRIMARY KEY (principal, dataset, day)
                    ) WITHOUT ROWID;
                    CREATE TABLE audit_events (
                        idx INTEGER PRIMARY KEY,
                        at TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        principal TEXT,
                        dataset TEXT,
                        job TEXT,
                        detail TEXT NOT NULL,
                        previous_hash TEXT NOT NULL,
                        hash TEXT NOT NULL
                    );
                    -- Append-only for the program itself. Someone with the file can drop these
                    -- triggers; the hash chain is what catches them.
                    CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
                        BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
                    CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
                        BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
                    PRAGMA user_version = 1;
                    """)
        }
        migrator.registerMigration("v2 principals, applications, agreements, dataset states, job documents") { db in
            try db.execute(
                sql: """
                    ALTER TABLE jobs ADD COLUMN document TEXT;
                    CREATE INDEX jobs_by_principal ON jobs(principal, submitted_at);
                    ALTER TABLE datasets ADD COLUMN state TEXT NOT NULL DEFAULT 'open'
                        CHECK (state IN ('open', 'suspended', 'withdrawn'));
                    ALTER TABLE datasets ADD COLUMN state_reason TEXT;
                    -- Tokens: only their SHA-256 is kept, found by their public id.
                    CREATE TABLE principals (
                        name TEXT PRIMARY KEY,
                        role TEXT NOT NULL CHECK (role IN ('researcher', 'owner', 'auditor', 'admin')),
                        body TEXT,
                        disabled INTEGER NOT NULL DEFAULT 0,
                        token_id TEXT NOT NULL UNIQUE,
                        token_hash TEXT NOT NULL,
                        created_at TEXT NOT NULL
                    ) WITHOUT ROWID;
                    -- Applications and agreements as their JSON documents, with the columns
                    -- they are looked up by.
                    CREATE TABLE applications (
                        id TEXT PRIMARY KEY,
                        researcher TEXT NOT NULL,
                        status TEXT NOT NULL,
                        document TEXT NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE agreements (
                        id TEXT PRIMARY KEY,
                        researcher TEXT NOT NULL,
                        status TEXT NOT NULL,
                        document TEXT NOT NULL
                    ) WITHOUT ROWID;
                    PRAGMA user_version = 2;
                    """)
        }
        migrator.registerMigration("v3 release ledger") { db in
            // One row per job that added to a dataset version's ledger, in the transaction that
            // records the job's end (see ReleaseLedger). Sets and splits are little-endian UInt32s.
            try db.execute(
                sql: """
                    CREATE TABLE ledger_entries (
                        dataset TEXT NOT NULL,
                        version TEXT NOT NULL,
                        generation INTEGER NOT NULL,
                        job TEXT NOT NULL REFERENCES jobs(id),
                        splits BLOB NOT NULL,
                        released BLOB NOT NULL,
                        protected BLOB NOT NULL,
                        atoms_file TEXT,
                        PRIMARY KEY (dataset, version, generation)
                    ) WITHOUT ROWID
                    """)
        }
        migrator.registerMigration("v4 release ledger measures") { db in
            // What each entry released or withheld of measures' values (see LedgerEntry). Entries
            // from before have NULL measures: their sets count as revealing every measure.
            try db.execute(
                sql: """
                    ALTER TABLE ledger_entries ADD COLUMN measures TEXT;
                    ALTER TABLE ledger_entries ADD COLUMN measured BLOB NOT NULL DEFAULT x'';
                    ALTER TABLE ledger_entries ADD COLUMN value_protected BLOB NOT NULL DEFAULT x'';
                    """)
        }
        migrator.registerMigration("v5 release ledger weighted sums") { db in
            // Regressions' samples by the feature that weighted them, and the weighted vectors
            // entered (see LedgerEntry); entries from before weighted nothing.
            try db.execute(
                sql: """
                    ALTER TABLE ledger_entries ADD COLUMN weighted_features TEXT NOT NULL DEFAULT '[]';
                    ALTER TABLE ledger_entries ADD COLUMN weighted_samples BLOB NOT NULL DEFAULT x'';
                    ALTER TABLE ledger_entries ADD COLUMN weighted BLOB NOT NULL DEFAULT x'';
                    """)
        }
        migrator.registerMigration("v6 privacy budgets") { db in
            // ε spent per dataset, in millionths: the row with agreement '' is the dataset's
            // lifetime total, one row per agreement its allocation's. A job keeps what it was
            // debited and the agreement it came from.
            try db.execute(
                sql: """
                    CREATE TABLE privacy_spending (
                        dataset TEXT NOT NULL,
                        agreement TEXT NOT NULL,
                        spent INTEGER NOT NULL CHECK (spent >= 0),
                        PRIMARY KEY (dataset, agreement)
                    ) WITHOUT ROWID;
                    ALTER TABLE jobs ADD COLUMN agreement TEXT;
                    ALTER TABLE jobs ADD COLUMN epsilon_micros INTEGER NOT NULL DEFAULT 0;
                    """)
        }
        migrator.registerMigration("v7 repeated dp answers, idempotency keys") { db in
            // A dp job's answer key (its dataset version and normalised spec): an identical job
            // later gets the released noisy answer again at no cost. An idempotency key maps a
            // client's retried request to the job of its first attempt.
            try db.execute(
                sql: """
                    ALTER TABLE jobs ADD COLUMN answer_key TEXT;
                    CREATE INDEX jobs_by_answer_key ON jobs (answer_key) WHERE answer_key IS NOT NULL;
                    CREATE TABLE idempotency_keys (
                        principal TEXT NOT NULL,
                        key TEXT NOT NULL,
                        job TEXT NOT NULL,
                        request TEXT NOT NULL,
                        created_at TEXT NOT NULL,
                        PRIMARY KEY (principal, key)
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v8 privacy allocations") { db in
            // An agreement's ε allocation on a dp dataset as an owner set it, in millionths; an
            // agreement without a row has the policy's agreementEpsilon.
            try db.execute(
                sql: """
                    CREATE TABLE privacy_allocations (
                        dataset TEXT NOT NULL,
                        agreement TEXT NOT NULL,
                        epsilon INTEGER NOT NULL CHECK (epsilon >= 0),
                        PRIMARY KEY (dataset, agreement)
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v9 job receipts") { db in
            // The event that recorded a job's end (its receipt), so that a result fetched again
            // carries it as the first answer did.
            try db.execute(
                sql: """
                    ALTER TABLE jobs ADD COLUMN receipt_index INTEGER;
                    ALTER TABLE jobs ADD COLUMN receipt_hash TEXT;
                    """)
        }
        migrator.registerMigration("v10 data doubts") { db in
            // Art. 22: a researcher's doubt about a dataset, and its owner's answer.
            try db.execute(
                sql: """
                    CREATE TABLE data_doubts (
                        id TEXT PRIMARY KEY,
                        researcher TEXT NOT NULL,
                        dataset TEXT NOT NULL,
                        status TEXT NOT NULL,
                        due_by TEXT NOT NULL,
                        document TEXT NOT NULL
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v11 job leases") { db in
            // The process that holds an admitted job's lease (its runner) and until when; it
            // renews it while the job runs. Another gateway marks a job whose lease expired
            // interrupted, and takes the lease away: the holder's late end is then refused.
            try db.execute(
                sql: """
                    ALTER TABLE jobs ADD COLUMN lease_token TEXT;
                    ALTER TABLE jobs ADD COLUMN lease_expires TEXT;
                    PRAGMA user_version = 11;
                    """)
        }
        migrator.registerMigration("v12 the asynchronous job queue") { db in
            // Jobs accepted with `Prefer: respond-async` and not yet admitted or refused (see
            // QueuedJob): any gateway on the store claims and runs them.
            try db.execute(
                sql: """
                    CREATE TABLE job_queue (
                        id TEXT PRIMARY KEY,
                        principal TEXT NOT NULL,
                        spec TEXT NOT NULL,
                        needs_agreement INTEGER NOT NULL,
                        idempotency_key TEXT,
                        queued_at TEXT NOT NULL,
                        claimed_by TEXT,
                        claim_expires TEXT,
                        answered_by TEXT,
                        failure_code TEXT,
                        failure_message TEXT,
                        ended_at TEXT
                    ) WITHOUT ROWID;
                    PRAGMA user_version = 12;
                    """)
        }
        return migrator
    }
}
