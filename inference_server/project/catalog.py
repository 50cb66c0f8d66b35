"""The project catalog: one SQLite file holding clips, shots, ingest errors, jobs and model versions.

The schema is versioned with ``PRAGMA user_version``; ``MIGRATIONS[i]`` upgrades version i to i+1,
so an older catalog is brought forward when it is opened. Rows are plain dicts at the API.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def _alive(pid: int) -> bool:
    """Whether a process with this pid exists on this host (on Windows, where signal 0 would
    terminate it, always assumed so)."""
    if os.name == "nt":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OSError:
        return False
    return True


SCHEMA_VERSION = 3

MIGRATIONS: tuple[str, ...] = (
    # 0 -> 1
    """
    CREATE TABLE clips (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,          -- movie file, or sequence pattern dir/name.%04d.ext
        kind TEXT NOT NULL,                 -- 'movie' | 'sequence' | 'image'
        signature TEXT NOT NULL,            -- sha1 over (path, size, mtime) of every member file
        size INTEGER NOT NULL,
        mtime REAL NOT NULL,
        width INTEGER, height INTEGER, channels INTEGER,
        bit_depth INTEGER,                  -- bits per channel as stored (8, 10, 12, 16, 32)
        pixel_format TEXT,                  -- e.g. yuv422p10le, or the OIIO type name
        codec TEXT,
        fps REAL,
        first_frame INTEGER, last_frame INTEGER, frame_count INTEGER,
        timecode TEXT,
        camera TEXT, reel TEXT,
        metadata TEXT NOT NULL DEFAULT '{}',
        ingested_at REAL NOT NULL
    );
    CREATE TABLE shots (
        id INTEGER PRIMARY KEY,
        clip_id INTEGER REFERENCES clips(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        source TEXT NOT NULL,               -- 'clip' (whole clip) | 'ale' (editorial log row)
        source_path TEXT,                   -- the ALE file a row came from
        first_frame INTEGER, last_frame INTEGER,
        start_tc TEXT, end_tc TEXT,
        cdl TEXT,                           -- JSON {slope:[3], offset:[3], power:[3], sat} or NULL
        metadata TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX shots_clip ON shots(clip_id);
    CREATE TABLE sidecars (
        path TEXT PRIMARY KEY, signature TEXT NOT NULL, kind TEXT NOT NULL, ingested_at REAL NOT NULL
    );
    CREATE TABLE ingest_errors (
        path TEXT PRIMARY KEY, signature TEXT NOT NULL, error TEXT NOT NULL, at REAL NOT NULL
    );
    CREATE TABLE jobs (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL, params TEXT NOT NULL DEFAULT '{}',
        state TEXT NOT NULL,                -- queued | running | done | failed | cancelled | interrupted
        done INTEGER NOT NULL DEFAULT 0, total INTEGER NOT NULL DEFAULT 0,
        message TEXT NOT NULL DEFAULT '', result TEXT NOT NULL DEFAULT '{}',
        started REAL NOT NULL, finished REAL
    );
    CREATE TABLE model_versions (
        task TEXT NOT NULL, version TEXT NOT NULL,
        sha256 TEXT NOT NULL, steps INTEGER NOT NULL,
        metrics TEXT NOT NULL DEFAULT '{}', parent TEXT,
        created REAL NOT NULL,
        PRIMARY KEY (task, version)
    );
    """,
    # 1 -> 2: which process runs a job, so a job whose process died is not left 'running'
    """
    ALTER TABLE jobs ADD COLUMN pid INTEGER;
    ALTER TABLE jobs ADD COLUMN host TEXT
    """,
    # 2 -> 3: artist pairs (a plate and the artist's own painted fix of it) that training learns from
    """
    CREATE TABLE pairs (
        id INTEGER PRIMARY KEY,
        plate TEXT NOT NULL, fix TEXT NOT NULL,   -- sequence specs as media.open_sequence takes them
        frames INTEGER NOT NULL, added REAL NOT NULL,
        UNIQUE (plate, fix)
    )
    """,
)

_JSON_COLUMNS = ("metadata", "cdl", "params", "result", "metrics")


def _row(cur: sqlite3.Cursor, row: tuple[Any, ...]) -> dict[str, Any]:
    out = {d[0]: v for d, v in zip(cur.description, row)}
    for k in _JSON_COLUMNS:
        if isinstance(out.get(k), str):
            out[k] = json.loads(out[k])
    return out


class Catalog:
    """A project's SQLite catalog. Use as a context manager or call ``close()``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(self.path), timeout=30.0, isolation_level=None, check_same_thread=False)
        self.db.row_factory = _row
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.execute("PRAGMA journal_mode = WAL")
        self._migrate()

    def _migrate(self) -> None:
        version = int(self.db.execute("PRAGMA user_version").fetchone()["user_version"])
        if version > SCHEMA_VERSION:
            raise ValueError(f"catalog {self.path} has schema version {version}; this Rushes "
                             f"understands up to {SCHEMA_VERSION} (upgrade Rushes)")
        for step in range(version, SCHEMA_VERSION):
            with self.transaction():
                self._run_script(MIGRATIONS[step], step + 1)

    def _run_script(self, script: str, new_version: int) -> None:
        for stmt in script.split(";"):
            if stmt.strip():
                self.db.execute(stmt)
        self.db.execute(f"PRAGMA user_version = {int(new_version)}")

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()["user_version"])

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- clips and shots -------------------------------------------------------------
    def clip_signature(self, path: str) -> str | None:
        row = self.db.execute("SELECT signature FROM clips WHERE path = ?", (path,)).fetchone()
        return None if row is None else str(row["signature"])

    def upsert_clip(self, clip: Mapping[str, Any]) -> int:
        """Insert or replace the clip at ``clip['path']`` with one whole-clip shot; returns its id."""
        cols = ("path", "kind", "signature", "size", "mtime", "width", "height", "channels", "bit_depth",
                "pixel_format", "codec", "fps", "first_frame", "last_frame", "frame_count", "timecode",
                "camera", "reel", "metadata")
        values = [json.dumps(clip.get(c) or {}) if c == "metadata" else clip.get(c) for c in cols]
        with self.transaction():
            self.db.execute("DELETE FROM clips WHERE path = ?", (clip["path"],))
            cur = self.db.execute(
                f"INSERT INTO clips ({', '.join(cols)}, ingested_at) VALUES ({', '.join('?' * len(cols))}, ?)",
                (*values, time.time()))
            clip_id = int(cur.lastrowid or 0)
            self.db.execute(
                "INSERT INTO shots (clip_id, name, source, first_frame, last_frame, start_tc, metadata) "
                "VALUES (?, ?, 'clip', ?, ?, ?, '{}')",
                (clip_id, clip.get("shot_name") or Path(str(clip["path"])).stem, clip.get("first_frame"),
                 clip.get("last_frame"), clip.get("timecode")))
            self.db.execute("DELETE FROM ingest_errors WHERE path = ?", (clip["path"],))
        return clip_id

    def clips(self) -> list[dict[str, Any]]:
        return list(self.db.execute("SELECT * FROM clips ORDER BY path").fetchall())

    def shots(self, source: str | None = None) -> list[dict[str, Any]]:
        if source is None:
            return list(self.db.execute("SELECT * FROM shots ORDER BY id").fetchall())
        return list(self.db.execute("SELECT * FROM shots WHERE source = ? ORDER BY id", (source,)).fetchall())

    # ---- editorial sidecars ------------------------------------------------------------
    def sidecar_signature(self, path: str) -> str | None:
        row = self.db.execute("SELECT signature FROM sidecars WHERE path = ?", (path,)).fetchone()
        return None if row is None else str(row["signature"])

    def replace_sidecar(self, path: str, signature: str, kind: str, rows: list[dict[str, Any]]) -> None:
        """Replace every shot row read from the sidecar at ``path`` (an ALE) in one transaction."""
        with self.transaction():
            self.db.execute("DELETE FROM shots WHERE source_path = ?", (path,))
            for r in rows:
                clip = self.db.execute(
                    "SELECT id FROM clips WHERE instr(path, ?) > 0 ORDER BY id LIMIT 1", (r["name"],)).fetchone()
                self.db.execute(
                    "INSERT INTO shots (clip_id, name, source, source_path, first_frame, last_frame, start_tc, "
                    "end_tc, cdl, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (clip["id"] if clip else None, r["name"], kind, path, r.get("first_frame"),
                     r.get("last_frame"), r.get("start_tc"), r.get("end_tc"),
                     json.dumps(r["cdl"]) if r.get("cdl") else None, json.dumps(r.get("metadata") or {})))
            self.db.execute("INSERT OR REPLACE INTO sidecars (path, signature, kind, ingested_at) VALUES (?,?,?,?)",
                            (path, signature, kind, time.time()))
            self.db.execute("DELETE FROM ingest_errors WHERE path = ?", (path,))

    # ---- ingest errors -------------------------------------------------------------------
    def error_signature(self, path: str) -> str | None:
        row = self.db.execute("SELECT signature FROM ingest_errors WHERE path = ?", (path,)).fetchone()
        return None if row is None else str(row["signature"])

    def record_error(self, path: str, signature: str, error: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO ingest_errors (path, signature, error, at) VALUES (?,?,?,?)",
                        (path, signature, error, time.time()))

    def errors(self) -> list[dict[str, Any]]:
        return list(self.db.execute("SELECT * FROM ingest_errors ORDER BY path").fetchall())

    # ---- jobs ----------------------------------------------------------------------------
    def start_job(self, kind: str, params: Mapping[str, Any]) -> int:
        """Record a job run by this process (its pid and host are kept; see ``jobs``)."""
        cur = self.db.execute("INSERT INTO jobs (kind, params, state, started, pid, host) VALUES (?, ?, 'running', ?, ?, ?)",
                              (kind, json.dumps(dict(params)), time.time(), os.getpid(), socket.gethostname()))
        return int(cur.lastrowid or 0)

    def update_job(self, job_id: int, *, state: str | None = None, done: int | None = None,
                   total: int | None = None, message: str | None = None,
                   result: Mapping[str, Any] | None = None) -> None:
        sets: list[str] = []
        args: list[Any] = []
        for col, val in (("state", state), ("done", done), ("total", total), ("message", message)):
            if val is not None:
                sets.append(f"{col} = ?")
                args.append(val)
        if result is not None:
            sets.append("result = ?")
            args.append(json.dumps(dict(result)))
        if state in ("done", "failed", "cancelled", "interrupted"):
            sets.append("finished = ?")
            args.append(time.time())
        if sets:
            self.db.execute(f"UPDATE jobs SET {', '.join(sets)} WHERE id = ?", (*args, job_id))

    def jobs(self) -> list[dict[str, Any]]:
        """All jobs, oldest first. A 'running' job of this host whose process is gone (killed,
        crashed, machine restarted) is marked 'interrupted' first: running it again resumes it."""
        here = socket.gethostname()
        for row in self.db.execute("SELECT id, pid FROM jobs WHERE state = 'running' AND host = ?", (here,)).fetchall():
            if row["pid"] is not None and not _alive(int(row["pid"])):
                self.update_job(int(row["id"]), state="interrupted",
                                message=f"the process running it (pid {row['pid']}) stopped; run the job again to resume")
        return list(self.db.execute("SELECT * FROM jobs ORDER BY id").fetchall())

    # ---- artist pairs ----------------------------------------------------------------------
    def add_pair(self, plate: str, fix: str, frames: int) -> bool:
        """Record an artist pair; False when it was already recorded."""
        cur = self.db.execute("INSERT OR IGNORE INTO pairs (plate, fix, frames, added) VALUES (?, ?, ?, ?)",
                              (plate, fix, int(frames), time.time()))
        return cur.rowcount > 0

    def pairs(self) -> list[dict[str, Any]]:
        return list(self.db.execute("SELECT * FROM pairs ORDER BY id").fetchall())

    # ---- model versions (a record; the registry folder is authoritative) -------------------
    def record_model(self, task: str, version: str, sha256: str, steps: int,
                     metrics: Mapping[str, Any], parent: str | None) -> None:
        self.db.execute("INSERT OR REPLACE INTO model_versions (task, version, sha256, steps, metrics, parent, "
                        "created) VALUES (?,?,?,?,?,?,?)",
                        (task, version, sha256, steps, json.dumps(dict(metrics)), parent, time.time()))

    def model_versions(self, task: str) -> list[dict[str, Any]]:
        return list(self.db.execute("SELECT * FROM model_versions WHERE task = ? ORDER BY version",
                                    (task,)).fetchall())
