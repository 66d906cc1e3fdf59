#!/usr/bin/env python3
"""The reference for scripts/bench-store, and an independent check of modelgate's audit chain.

record: the same recording work as `modelgate audit bench`, done with Python's sqlite3 module
        (SQLite's C library, as modelgate uses through GRDB): W writer processes, each job one
        BEGIN IMMEDIATE transaction to admit it (quota row, job row, chained event; unsynced) and
        one to finish it (job update, usage row, chained event; synced); WAL, busy timeout.
verify: reads the audit_events of a modelgate store and recomputes every hash from the canonical
        encoding as the README documents it, without any modelgate code.

  python3 scripts/store_reference.py record --db FILE --writers 4 --jobs 12500
  python3 scripts/store_reference.py verify --db STATE/modelgate.sqlite
"""
import argparse
import datetime
import hashlib
import json
import multiprocessing
import sqlite3
import sys
import time

GENESIS = "0" * 64


def event_hash(index, at, kind, principal, dataset, job, detail, previous):
    """The canonical encoding: tag, index (8 bytes big endian), then each string field as a
    presence byte, its UTF-8 length (8 bytes big endian) and its bytes."""
    data = bytearray(b"modelgate-audit-v1\0")
    data += index.to_bytes(8, "big")
    for field in (at, kind, principal, dataset, job, detail, previous):
        if field is None:
            data.append(0)
        else:
            encoded = field.encode("utf-8")
            data.append(1)
            data += len(encoded).to_bytes(8, "big")
            data += encoded
    return hashlib.sha256(data).hexdigest()


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def connect(path):
    db = sqlite3.connect(path, timeout=30, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    return db


def append(db, kind, principal, dataset, job, detail):
    head = db.execute("SELECT idx, hash FROM audit_events ORDER BY idx DESC LIMIT 1").fetchone()
    index, previous = (head[0] + 1, head[1]) if head else (1, GENESIS)
    at = now()
    text = json.dumps(detail, sort_keys=True, separators=(",", ":"))
    digest = event_hash(index, at, kind, principal, dataset, job, text, previous)
    db.execute(
        "INSERT INTO audit_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (index, at, kind, principal, dataset, job, text, previous, digest),
    )


def writer(path, jobs, principal):
    db = connect(path)
    for n in range(jobs):
        job = f"{principal}-{n}"
        day = now()[:10]
        # As modelgate: admission unsynced (WAL's NORMAL), the finish synced (FULL).
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("BEGIN IMMEDIATE")
        used = db.execute(
            "SELECT jobs FROM quota_usage WHERE principal = ? AND dataset = 'bench' AND day = ?", (principal, day)
        ).fetchone()
        db.execute(
            "INSERT INTO quota_usage VALUES (?, 'bench', ?, 1) "
            "ON CONFLICT (principal, dataset, day) DO UPDATE SET jobs = jobs + 1",
            (principal, day),
        )
        db.execute(
            "INSERT INTO jobs (id, principal, dataset, status, submitted_at) VALUES (?, ?, 'bench', 'admitted', ?)",
            (job, principal, now()),
        )
        append(db, "job_admitted", principal, "bench", job, {"model": "summary", "quotaUsed": (used[0] if used else 0) + 1})
        db.execute("COMMIT")
        db.execute("PRAGMA synchronous = FULL")
        db.execute("BEGIN IMMEDIATE")
        db.execute("SELECT status FROM jobs WHERE id = ?", (job,)).fetchone()
        db.execute("UPDATE jobs SET status = 'released', finished_at = ? WHERE id = ?", (now(), job))
        db.execute("INSERT INTO usage VALUES (?, 1000, 0, 0.004, 0.005, 7340032)", (job,))
        append(db, "job_finished", principal, "bench", job, {"status": "released", "resultHash": "c" * 64})
        db.execute("COMMIT")


def record(args):
    db = connect(args.db)
    db.executescript(
        """
        CREATE TABLE jobs (id TEXT PRIMARY KEY, principal TEXT NOT NULL, dataset TEXT, status TEXT NOT NULL,
            submitted_at TEXT NOT NULL, finished_at TEXT);
        CREATE TABLE usage (job TEXT PRIMARY KEY, rows_scanned INTEGER, rows_dropped INTEGER,
            cpu_seconds REAL, wall_seconds REAL, peak_memory_bytes INTEGER);
        CREATE TABLE quota_usage (principal TEXT, dataset TEXT, day TEXT, jobs INTEGER,
            PRIMARY KEY (principal, dataset, day)) WITHOUT ROWID;
        CREATE TABLE audit_events (idx INTEGER PRIMARY KEY, at TEXT, kind TEXT, principal TEXT, dataset TEXT,
            job TEXT, detail TEXT, previous_hash TEXT, hash TEXT);
        """
    )
    db.close()
    start = time.perf_counter()
    processes = [
        multiprocessing.Process(target=writer, args=(args.db, args.jobs, f"writer-{i}")) for i in range(args.writers)
    ]
    for p in processes:
        p.start()
    for p in processes:
        p.join()
        if p.exitcode != 0:
            sys.exit(f"a writer failed ({p.exitcode})")
    seconds = time.perf_counter() - start
    jobs = args.writers * args.jobs
    print(json.dumps({"jobs": jobs, "seconds": seconds, "jobsPerSecond": jobs / seconds}))


def verify(args):
    db = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    start = time.perf_counter()
    expected, head = 1, GENESIS
    broken = None
    rows = db.execute(
        "SELECT idx, at, kind, principal, dataset, job, detail, previous_hash, hash FROM audit_events ORDER BY idx"
    )
    for index, at, kind, principal, dataset, job, detail, previous, digest in rows:
        if index != expected or previous != head or event_hash(index, at, kind, principal, dataset, job, detail, previous) != digest:
            broken = expected
            break
        expected, head = index + 1, digest
    seconds = time.perf_counter() - start
    print(json.dumps({"events": expected - 1, "seconds": seconds, "intact": broken is None, "brokenAt": broken, "head": head}))
    sys.exit(0 if broken is None else 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("record")
    r.add_argument("--db", required=True)
    r.add_argument("--writers", type=int, default=4)
    r.add_argument("--jobs", type=int, default=12500)
    v = sub.add_parser("verify")
    v.add_argument("--db", required=True)
    args = parser.parse_args()
    record(args) if args.command == "record" else verify(args)


if __name__ == "__main__":
    main()
