"""Disclosures appended without making a response wait for the store.

A response that carried students writes one line to this process's spool file (an append to a
local file: microseconds, and it survives the process being killed) and goes; a background
thread moves the spool into the store's hash-chained log in batches, every `interval` seconds.
So no request serialises on the log's head row, and none waits for (or fails on) the write
lock while a sync holds it: the batch waits instead, safely on disk.

Files in the spool folder, one writer process each:
- `<host>-<pid>-<n>.open`: being appended to; its writer holds an exclusive lock on it;
- `<host>-<pid>-<n>.ready`: closed, waiting to be moved into the store.
Any process may move a `.ready` file, or an `.open` file whose writer is gone (its lock is
free): it claims the file by renaming it, appends it in one transaction (entries carry ids, so
a file appended twice is appended once), then deletes it. Reports move everything pending
before they read (`flush_spool`), so the log they show is complete up to that moment.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
import threading
import uuid
import weakref
from collections.abc import Callable
from pathlib import Path

import orjson
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from gateway.policy.disclosures import DisclosureEntry, append, index_students
from gateway.store.engine import for_writes

DEFAULT_INTERVAL = 0.25  # seconds between moves into the store


def spool_folder(var_dir: Path, database_url: str) -> Path:
    """One folder per store, so two stores sharing a var_dir never mix their logs."""
    store = make_url(database_url).render_as_string(hide_password=True)
    return var_dir / "disclosure-spool" / hashlib.sha256(store.encode()).hexdigest()[:16]


class DisclosureSpool:
    def __init__(self, folder: Path, engine: Callable[[], Engine],
                 interval: float = DEFAULT_INTERVAL) -> None:
        self.folder = folder
        self.engine = engine
        self.interval = interval
        self._lock = threading.Lock()
        self._moving = threading.Lock()  # one mover at a time in a process
        self._fd: int | None = None
        self._path: Path | None = None
        self._pid: int | None = None
        self._sequence = 0
        self._written = 0
        self._prefix = ""
        self._entries = 0
        self._wake = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None

    # -- the hot path ----------------------------------------------------------------------
    def record(self, entry: DisclosureEntry) -> None:
        doc = entry.document()
        with self._lock:
            fd = self._open()
            self._written += 1
            self._entries += 1
            # Unique without a system call per entry: this file's random prefix, a counter.
            doc["entry_id"] = f"{self._prefix}{self._entries:016x}"
            os.write(fd, orjson.dumps(doc) + b"\n")

    def _open(self) -> int:
        """This process's open spool file (a new one after a fork: gunicorn workers)."""
        if self._fd is not None and self._pid == os.getpid():
            return self._fd
        self._fd, self._path, self._pid, self._written = None, None, os.getpid(), 0
        self.folder.mkdir(parents=True, exist_ok=True)
        self._sequence += 1
        path = self.folder / f"{socket.gethostname()}-{os.getpid()}-{self._sequence}.open"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        self._fd, self._path = fd, path
        self._prefix, self._entries = uuid.uuid4().hex[:16], 0
        self._start_mover()
        return fd

    def _start_mover(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._thread = threading.Thread(target=_move_forever, args=(weakref.ref(self),),
                                        name="disclosure-spool", daemon=True)
        self._thread.start()

    # -- into the store ----------------------------------------------------------------------
    def _rotate(self) -> None:
        """Close the open file (if anything was written) so it can be moved."""
        with self._lock:
            if self._fd is None or self._pid != os.getpid() or not self._written:
                return
            fd, path = self._fd, self._path
            self._fd, self._path, self._written = None, None, 0
            assert path is not None
            os.rename(path, path.with_suffix(".ready"))
            os.close(fd)

    def close(self) -> None:
        """Stop the mover and move what this process spooled: an app being shut down leaves
        no thread holding its store open, and no file for the next process to adopt."""
        self._closed = True
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
        try:
            self.flush()
        except Exception:  # noqa: BLE001 - the files stay; the next process moves them
            pass

    def flush(self) -> int:
        """Move what this process spooled, and any abandoned spool, into the store now."""
        with self._moving:
            self._rotate()
            return flush_spool(self.folder, self.engine())

    def settle(self) -> None:
        """The log as a report reads it: everything spooled moved into the store and indexed
        by student."""
        self.flush()
        with for_writes(self.engine()).begin() as conn:
            index_students(conn)


def _move_forever(spool_ref: weakref.ref[DisclosureSpool]) -> None:
    """The mover holds its spool weakly: an app that is dropped without `close` is collected,
    store pool and all, and its mover ends with it."""
    while (spool := spool_ref()) is not None and not spool._closed:
        wake, interval = spool._wake, spool.interval
        del spool
        wake.wait(interval)
        wake.clear()
        spool = spool_ref()
        if spool is None or spool._closed:
            return
        try:
            spool.flush()
        except Exception:  # noqa: BLE001 - the files stay; the next round tries again
            pass
        del spool


def _claim(path: Path) -> Path | None:
    """Take a spool file for moving: a `.ready` one, or an `.open` one whose writer is gone."""
    if path.suffix == ".open":
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None  # its writer is alive
        os.close(fd)
    claimed = path.with_name(f"moving.{os.getpid()}.{path.name}")
    try:
        os.rename(path, claimed)
    except FileNotFoundError:
        return None  # another process took it
    return claimed


def _abandoned_moves(folder: Path) -> list[Path]:
    """Files a mover claimed and did not finish (it died): taken again. (The spool folder is
    one host's: var_dir is per node.)"""
    found = []
    for path in folder.glob("moving.*"):
        pid = path.name.split(".")[1]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            retaken = _claim(path)
            if retaken is not None:
                found.append(retaken)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def flush_spool(folder: Path, engine: Engine) -> int:
    """Move every movable spool file into the store, each in one transaction; the count of
    disclosures appended."""
    if not folder.is_dir():
        return 0
    moved = 0
    candidates = [p for p in sorted(folder.glob("*.ready")) + sorted(folder.glob("*.open"))
                  if not p.name.startswith("moving.")]
    claimed = [c for c in (_claim(p) for p in candidates) if c is not None]
    for path in claimed + _abandoned_moves(folder):
        with for_writes(engine).begin() as conn:
            moved += append(conn, _entries(path))
        path.unlink()
    return moved


def _entries(path: Path) -> list[DisclosureEntry]:
    """A spool file's entries. Only its last line can be cut short (its writer was killed
    mid-write): that one is lost; anything else unreadable is an error, and the file stays."""
    lines = [line for line in path.read_bytes().splitlines() if line.strip()]
    entries = []
    for number, line in enumerate(lines, start=1):
        try:
            entries.append(DisclosureEntry.from_document(orjson.loads(line)))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            if number != len(lines):
                raise
    return entries
