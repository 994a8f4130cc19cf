"""The write-ahead log: an append-only, checksummed, segmented log of accepted OTLP batches.

A request is acknowledged only once its record is on disk (``fsync``); the background
flusher later writes it to the store and advances the checkpoint. On disk::

    <wal_dir>/
      00000000000000000001.wal   segment, named by the first sequence number it may hold
      00000000000000000733.wal
      checkpoint.json            {"wal_id", "stored", "inflight"} written atomically
      quarantine/                records the flusher could not decode (kept for an operator)

Records are framed and checksummed as ``heron.ingest.wal_record`` describes. A crash
can leave a torn record at the end of the last segment; opening the log truncates the
file there (and says so in a log line), so the log always ends on a whole record.

Group commit: callers enqueue records; one writer thread writes everything pending and
shares one ``fsync`` among them before resolving their futures.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import threading
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from heron.config import Settings
from heron.errors import BackpressureError, WalError
from heron.ingest.wal_record import (
    FRAME_HEADER_SIZE,
    MAGIC,
    RECORD_KINDS,
    RecordKind,
    WalRecord,
    decode_frame,
    encode_frame,
    frame_length,
)

__all__ = ["RecordKind", "Wal", "WalRecord", "WalStats", "WriteAheadLog"]

_CHECKPOINT = "checkpoint.json"
_SUFFIX = ".wal"
log = structlog.get_logger("heron.ingest.wal")


@dataclass(slots=True)
class WalStats:
    """Counters for tests and operators (read them; the WAL writes them)."""

    appends: int = 0
    fsyncs: int = 0
    """Segment data fsyncs: with group commit, fewer than appends under load."""
    truncated_bytes: int = 0
    """Bytes cut from torn or corrupt tails when the log was opened."""
    segments_deleted: int = 0


@dataclass(slots=True)
class _Segment:
    path: Path
    first_seq: int
    last_seq: int = 0
    size: int = len(MAGIC)


@dataclass(slots=True)
class _Entry:
    seq: int
    segment: _Segment
    offset: int
    length: int


@dataclass(slots=True)
class _Pending:
    kind: RecordKind
    project_id: str
    payload: bytes
    future: Future[int]
    size: int = field(init=False)

    def __post_init__(self) -> None:
        self.size = FRAME_HEADER_SIZE + len(self.project_id.encode()) + len(self.payload)


class WriteAheadLog:
    """A durable queue of accepted batches between ingest and the flusher.

    Thread-safe: ``append`` runs on the event loop, the writer thread writes, and the
    flusher thread reads, marks and checkpoints.
    """

    def __init__(
        self,
        directory: Path,
        *,
        segment_bytes: int = 64 * 1024 * 1024,
        budget_bytes: int = 512 * 1024 * 1024,
        sync: bool = True,
        retry_after_s: int = 2,
    ) -> None:
        """Open (or create) the log in ``directory``, recovering from any torn tail."""
        self.directory = Path(directory)
        self.segment_bytes = segment_bytes
        self.budget_bytes = budget_bytes
        self.sync = sync
        self.retry_after_s = retry_after_s
        self.stats = WalStats()
        self._lock = threading.Lock()
        self._records_cond = threading.Condition(self._lock)
        self._writer_cond = threading.Condition(threading.Lock())
        self._pending: list[_Pending] = []
        self._pending_bytes = 0
        self._closing = False
        self._segments: list[_Segment] = []
        self._index: deque[_Entry] = deque()
        self._backlog = 0
        self._file: int | None = None
        self.directory.mkdir(parents=True, exist_ok=True)
        self.wal_id, self._stored, self._inflight = self._load_checkpoint()
        self._next_seq = self._scan() + 1
        self._delete_stored_segments()
        self._writer = threading.Thread(target=self._write_loop, name="heron-wal", daemon=True)
        self._writer.start()

    @classmethod
    def open(cls, settings: Settings) -> WriteAheadLog:
        """Open the log in ``settings.wal_dir`` with the configured sizes and sync mode."""
        return cls(
            settings.wal_dir,
            segment_bytes=settings.wal_segment_bytes,
            budget_bytes=settings.wal_budget_bytes,
            sync=settings.wal_sync,
            retry_after_s=settings.retry_after_s,
        )

    # -- state ----------------------------------------------------------------------

    @property
    def checkpoint_seq(self) -> int:
        """The last sequence number durably stored (0 before the first flush)."""
        with self._lock:
            return self._stored

    @property
    def inflight(self) -> tuple[int, int] | None:
        """The batch (first, last seq) being stored when the checkpoint was last written."""
        with self._lock:
            return self._inflight

    @property
    def last_seq(self) -> int:
        """The highest durable sequence number (the checkpoint when nothing is pending)."""
        with self._lock:
            return self._index[-1].seq if self._index else self._stored

    @property
    def backlog_bytes(self) -> int:
        """Bytes accepted but not yet stored (including appends waiting for the writer)."""
        with self._lock:
            return self._backlog + self._pending_bytes

    def check_writable(self) -> None:
        """Raise WalError when the WAL directory cannot take new files (readiness check)."""
        probe = self.directory / ".writable"
        try:
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise WalError(
                f"the WAL directory {self.directory} is not writable: {exc}; check free disk "
                "space and permissions of HERON_DATA_DIR"
            ) from exc
        if not self._writer.is_alive():
            raise WalError("the WAL writer thread is not running; the log was closed")

    # -- appending --------------------------------------------------------------------

    async def append(self, kind: RecordKind, project_id: str, payload: bytes) -> int:
        """Write one record and return its sequence number once it is durable on disk.

        Raises BackpressureError (nothing written) when the backlog is over budget.
        """
        return await asyncio.wrap_future(self.submit(kind, project_id, payload))

    def append_blocking(self, kind: RecordKind, project_id: str, payload: bytes) -> int:
        """Like ``append`` for callers without an event loop."""
        return self.submit(kind, project_id, payload).result()

    def submit(self, kind: RecordKind, project_id: str, payload: bytes) -> Future[int]:
        """Enqueue one record; the future resolves to its sequence number once durable."""
        if kind not in RECORD_KINDS:
            raise WalError(f"unknown WAL record kind {kind!r}; expected 'traces' or 'logs'")
        item = _Pending(kind, project_id, payload, Future())
        # Checked under the writer's lock so that close() cannot strand this record.
        with self._writer_cond:
            if self._closing:
                raise WalError("the write-ahead log is closed; the server is shutting down")
            with self._lock:
                backlog = self._backlog + self._pending_bytes
                # A lone record larger than the budget still gets in when the log is
                # empty, otherwise its client would be told to retry forever.
                if backlog and backlog + item.size > self.budget_bytes:
                    raise BackpressureError(
                        f"the write-ahead log holds {backlog} bytes not yet stored, over its "
                        f"budget of {self.budget_bytes} bytes (HERON_WAL_BUDGET_BYTES); the "
                        f"store is slower than ingest: retry after {self.retry_after_s} s",
                        retry_after_s=self.retry_after_s,
                    )
                self._pending_bytes += item.size
            self._pending.append(item)
            self._writer_cond.notify()
        return item.future

    def _write_loop(self) -> None:
        while True:
            with self._writer_cond:
                while not self._pending and not self._closing:
                    self._writer_cond.wait()
                batch, self._pending = self._pending, []
                if not batch and self._closing:
                    return
            live = [p for p in batch if p.future.set_running_or_notify_cancel()]
            try:
                written = self._write_batch(live)
            except Exception as exc:  # the writer must survive anything to answer later appends
                self._fail(batch, live, exc)
                continue
            with self._lock:
                self._pending_bytes -= sum(p.size for p in batch)
                for entry in written:
                    self._index.append(entry)
                    self._backlog += entry.length
                self.stats.appends += len(written)
                self._records_cond.notify_all()
            for item, entry in zip(live, written, strict=True):
                item.future.set_result(entry.seq)

    def _fail(self, batch: list[_Pending], live: list[_Pending], exc: Exception) -> None:
        log.error("wal.write_failed", directory=str(self.directory), error=str(exc))
        with self._lock:
            self._pending_bytes -= sum(p.size for p in batch)
        error = WalError(
            f"cannot write the write-ahead log in {self.directory}: {exc}; "
            "check free disk space and permissions of HERON_DATA_DIR"
        )
        for item in live:
            item.future.set_exception(error)

    def _write_batch(self, batch: list[_Pending]) -> list[_Entry]:
        entries: list[_Entry] = []
        segment = self._segments[-1] if self._segments else None
        start_size = segment.size if segment else 0
        try:
            for item in batch:
                seq = self._next_seq
                self._next_seq += 1
                frame = encode_frame(seq, item.kind, item.project_id, item.payload)
                if segment is None or (
                    segment.last_seq and segment.size + len(frame) > self.segment_bytes
                ):
                    segment = self._roll(seq)
                    start_size = segment.size
                if os.pwrite(self._fd(), frame, segment.size) != len(frame):
                    raise OSError(errno.ENOSPC, "short write (disk full?)")
                entries.append(_Entry(seq, segment, segment.size, len(frame)))
                segment.size += len(frame)
                segment.last_seq = seq
            if entries:
                self._fsync(self._fd())
        except OSError:
            # Leave no half-written record behind; these appends are reported as failed.
            if segment is not None and self._file is not None:
                os.ftruncate(self._file, start_size)
                segment.size = start_size
            raise
        return entries

    def _roll(self, first_seq: int) -> _Segment:
        if self._file is not None:
            self._fsync(self._file)  # the old segment is complete: make it durable first
            os.close(self._file)
            self._file = None
        path = self.directory / f"{first_seq:020d}{_SUFFIX}"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(fd, MAGIC)
        self._fsync(fd)
        self._fsync_dir()
        self._file = fd
        segment = _Segment(path, first_seq)
        with self._lock:
            self._segments.append(segment)
        return segment

    def _fd(self) -> int:
        if self._file is None:
            self._file = os.open(self._segments[-1].path, os.O_RDWR)
        return self._file

    def _fsync(self, fd: int) -> None:
        if self.sync:
            os.fsync(fd)
            self.stats.fsyncs += 1

    def _fsync_dir(self) -> None:
        if self.sync:
            fd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    # -- reading and checkpointing (the flusher's side) ---------------------------------

    def wait_for_records(
        self, after_seq: int, timeout: float, *, until: Callable[[], bool] | None = None
    ) -> bool:
        """Block until a durable record with seq > ``after_seq`` exists, ``until()`` is
        true (checked whenever ``notify_waiters`` runs), or the timeout; True unless timed out.
        """

        def ready() -> bool:
            if self._index and self._index[-1].seq > after_seq:
                return True
            return until is not None and until()

        with self._records_cond:
            return self._records_cond.wait_for(ready, timeout)

    def notify_waiters(self) -> None:
        """Wake ``wait_for_records`` callers so they re-check their ``until`` condition."""
        with self._records_cond:
            self._records_cond.notify_all()

    def read_after(self, after_seq: int, *, max_records: int | None = None) -> list[WalRecord]:
        """Durable records with seq > ``after_seq`` in order (at most ``max_records``)."""
        entries: list[_Entry] = []
        with self._lock:
            # The reader starts at the checkpoint, i.e. at the front: skipping is short.
            for entry in self._index:
                if entry.seq <= after_seq:
                    continue
                if max_records is not None and len(entries) >= max_records:
                    break
                entries.append(entry)
        records: list[WalRecord] = []
        handles: dict[Path, int] = {}
        try:
            for entry in entries:
                fd = handles.get(entry.segment.path)
                if fd is None:
                    fd = handles[entry.segment.path] = os.open(entry.segment.path, os.O_RDONLY)
                frame = os.pread(fd, entry.length, entry.offset)
                record = decode_frame(frame)
                if record is None or record.seq != entry.seq:
                    raise WalError(
                        f"record {entry.seq} in {entry.segment.path} changed on disk after it "
                        "was written; the disk or another process corrupted the WAL"
                    )
                records.append(record)
        finally:
            for fd in handles.values():
                os.close(fd)
        return records

    def mark_inflight(self, first_seq: int, last_seq: int) -> None:
        """Durably note the batch about to be stored, so a replay stores exactly it again."""
        with self._lock:
            stored = self._stored
        self._write_checkpoint(stored, (first_seq, last_seq))
        with self._lock:
            self._inflight = (first_seq, last_seq)

    def checkpoint(self, seq: int) -> None:
        """Durably record that every record up to ``seq`` is stored; drop what is not needed."""
        with self._lock:
            if seq <= self._stored:
                return
        self._write_checkpoint(seq, None)
        with self._lock:
            self._stored = seq
            self._inflight = None
            while self._index and self._index[0].seq <= seq:
                self._backlog -= self._index.popleft().length
        self._delete_stored_segments()

    def quarantine(self, record: WalRecord, reason: str) -> Path:
        """Set a record the flusher cannot process aside for an operator; returns its path."""
        folder = self.directory / "quarantine"
        folder.mkdir(exist_ok=True)
        path = folder / f"{record.seq:020d}-{record.kind}.pb"
        path.write_bytes(record.payload)
        meta = {"seq": record.seq, "project_id": record.project_id, "reason": reason}
        path.with_suffix(".json").write_text(json.dumps(meta))
        return path

    def close(self) -> None:
        """Write what is pending, stop the writer thread and close the files."""
        with self._writer_cond:
            self._closing = True
            self._writer_cond.notify()
        self._writer.join()
        if self._file is not None:
            self._fsync(self._file)
            os.close(self._file)
            self._file = None

    # -- opening ----------------------------------------------------------------------

    def _load_checkpoint(self) -> tuple[str, int, tuple[int, int] | None]:
        path = self.directory / _CHECKPOINT
        if not path.exists():
            wal_id = uuid.uuid4().hex
            self.wal_id = wal_id
            self._write_checkpoint(0, None)
            return wal_id, 0, None
        try:
            data = json.loads(path.read_text())
            inflight = data.get("inflight")
            return (
                str(data["wal_id"]),
                int(data["stored"]),
                (int(inflight[0]), int(inflight[1])) if inflight else None,
            )
        except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
            raise WalError(
                f"the WAL checkpoint {path} is unreadable ({exc}); it is written atomically, "
                "so the disk or another program damaged it. Restore it from a backup, or "
                "delete it to replay every segment (spans are deduplicated by id)"
            ) from exc

    def _write_checkpoint(self, stored: int, inflight: tuple[int, int] | None) -> None:
        path = self.directory / _CHECKPOINT
        tmp = path.with_name(_CHECKPOINT + ".tmp")
        data = {"wal_id": self.wal_id, "stored": stored, "inflight": inflight}
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, json.dumps(data).encode())
            if self.sync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        self._fsync_dir()

    def _scan(self) -> int:
        """Index every segment; truncate torn tails. Returns the highest seq seen."""
        paths = sorted(p for p in self.directory.iterdir() if p.suffix == _SUFFIX)
        highest = 0
        for path in paths:
            try:
                first = int(path.stem)
            except ValueError:
                raise WalError(
                    f"{path} is not a WAL segment name (20 digits + .wal); move it out of "
                    f"{self.directory}"
                ) from None
            segment = _Segment(path, first)
            highest = max(highest, self._scan_segment(segment, highest))
            self._segments.append(segment)
        # Segments may all be gone (deleted once stored): numbering continues after them.
        return max(highest, self._stored)

    def _scan_segment(self, segment: _Segment, highest: int) -> int:
        data = segment.path.read_bytes()
        if data[: len(MAGIC)] != MAGIC[: len(data)]:
            raise WalError(
                f"{segment.path} does not start with the WAL magic bytes; it is not a heron "
                f"WAL segment: move it out of {self.directory}"
            )
        offset = len(MAGIC)
        while offset < len(data):
            record_len = frame_length(data, offset)
            record = decode_frame(data[offset : offset + record_len]) if record_len else None
            if record is None or record.seq <= highest:  # torn, corrupt, or out of order
                break
            highest = record.seq
            segment.last_seq = record.seq
            if record.seq > self._stored:
                self._index.append(_Entry(record.seq, segment, offset, record_len))
                self._backlog += record_len
            offset += record_len
        if offset < len(data) or len(data) < len(MAGIC):
            self._truncate(segment.path, data, offset)
        segment.size = offset
        return highest

    def _truncate(self, path: Path, data: bytes, offset: int) -> None:
        dropped = max(len(data) - offset, 0)
        log.warning(
            "wal.truncated_tail",
            segment=str(path),
            offset=offset,
            dropped_bytes=dropped,
            reason="torn or corrupt record (a crash mid-write, or disk damage)",
        )
        self.stats.truncated_bytes += dropped
        fd = os.open(path, os.O_RDWR)
        try:
            if len(data) < len(MAGIC):
                os.pwrite(fd, MAGIC, 0)  # crashed while creating the segment
            os.ftruncate(fd, offset)
            if self.sync:
                os.fsync(fd)
        finally:
            os.close(fd)

    def _delete_stored_segments(self) -> None:
        with self._lock:
            # Never the last segment: the writer appends to it.
            doomed = [s for s in self._segments[:-1] if s.last_seq <= self._stored]
            self._segments = [s for s in self._segments if s not in doomed]
        for segment in doomed:
            segment.path.unlink(missing_ok=True)
            self.stats.segments_deleted += 1
        if doomed:
            self._fsync_dir()


Wal = WriteAheadLog
"""Short alias used by the composition root."""
