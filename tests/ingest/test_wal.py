"""The write-ahead log on real files: append, replay, checkpoint, rollover, recovery."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from heron.config import Settings
from heron.errors import BackpressureError, WalError
from heron.ingest.wal import WalRecord, WriteAheadLog

OpenWal = Callable[..., WriteAheadLog]


def _append_all(wal: WriteAheadLog, payloads: list[bytes], project: str = "p1") -> list[int]:
    async def run() -> list[int]:
        return [await wal.append("traces", project, payload) for payload in payloads]

    return asyncio.run(run())


def _segments(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.wal"))


def test_appended_records_are_read_back_in_order(open_wal: OpenWal) -> None:
    wal = open_wal()
    seqs = _append_all(wal, [b"one", b"two"])
    seqs.append(wal.append_blocking("logs", "projet-é", b"\x00three"))
    assert seqs == [1, 2, 3]
    assert wal.read_after(0) == [
        WalRecord(1, "traces", "p1", b"one"),
        WalRecord(2, "traces", "p1", b"two"),
        WalRecord(3, "logs", "projet-é", b"\x00three"),
    ]
    assert wal.read_after(1, max_records=1) == [WalRecord(2, "traces", "p1", b"two")]
    assert wal.last_seq == 3
    assert wal.stats.appends == 3


def test_reopening_replays_everything_after_the_checkpoint_once(
    open_wal: OpenWal, tmp_path: Path
) -> None:
    wal = open_wal()
    _append_all(wal, [f"r{i}".encode() for i in range(1, 6)])
    wal.checkpoint(2)
    wal.close()
    again = open_wal()
    assert again.checkpoint_seq == 2
    replay = again.read_after(again.checkpoint_seq)
    assert [(r.seq, r.payload) for r in replay] == [(3, b"r3"), (4, b"r4"), (5, b"r5")]
    # New records continue the sequence instead of reusing numbers.
    assert _append_all(again, [b"r6"]) == [6]


def test_checkpoint_releases_backlog_and_is_written_atomically(
    open_wal: OpenWal, tmp_path: Path
) -> None:
    wal = open_wal()
    _append_all(wal, [b"x" * 100, b"y" * 100])
    full = wal.backlog_bytes
    assert full > 200
    wal.checkpoint(1)
    assert 100 < wal.backlog_bytes < full
    wal.checkpoint(2)
    assert wal.backlog_bytes == 0
    saved = json.loads((tmp_path / "wal" / "checkpoint.json").read_text())
    assert saved["stored"] == 2
    assert saved["inflight"] is None
    assert saved["wal_id"] == wal.wal_id
    assert not list((tmp_path / "wal").glob("*.tmp"))
    wal.checkpoint(1)  # going backwards is ignored
    assert wal.checkpoint_seq == 2


def test_inflight_batches_survive_a_restart(open_wal: OpenWal) -> None:
    wal = open_wal()
    _append_all(wal, [b"a", b"b", b"c"])
    wal.mark_inflight(1, 2)
    wal.close()
    again = open_wal()
    assert again.inflight == (1, 2)
    assert again.checkpoint_seq == 0
    again.checkpoint(2)
    assert again.inflight is None


def test_segments_roll_over_and_stored_ones_are_deleted(open_wal: OpenWal, tmp_path: Path) -> None:
    wal = open_wal(segment_bytes=300)
    payloads = [bytes([i]) * 100 for i in range(1, 11)]
    _append_all(wal, payloads)
    directory = tmp_path / "wal"
    segments = _segments(directory)
    assert len(segments) >= 4
    assert all(path.stat().st_size <= 300 for path in segments)
    assert [r.payload for r in wal.read_after(0)] == payloads
    wal.checkpoint(6)
    remaining = _segments(directory)
    assert len(remaining) < len(segments)
    assert wal.stats.segments_deleted == len(segments) - len(remaining)
    assert [r.seq for r in wal.read_after(wal.checkpoint_seq)] == [7, 8, 9, 10]
    wal.close()
    again = open_wal(segment_bytes=300)
    assert [r.payload for r in again.read_after(again.checkpoint_seq)] == payloads[6:]
    # Storing everything deletes all but the active segment, and numbering continues.
    again.checkpoint(10)
    assert len(_segments(directory)) == 1
    again.close()
    third = open_wal(segment_bytes=300)
    assert third.read_after(third.checkpoint_seq) == []
    assert _append_all(third, [b"next"]) == [11]


def test_a_torn_tail_is_truncated_and_logged(open_wal: OpenWal, tmp_path: Path) -> None:
    wal = open_wal()
    _append_all(wal, [b"first", b"second", b"third-record-payload"])
    wal.close()
    [segment] = _segments(tmp_path / "wal")
    whole = segment.stat().st_size
    with segment.open("r+b") as f:
        f.truncate(whole - 7)  # the crash cut the last record short
    again = open_wal()
    assert [r.payload for r in again.read_after(0)] == [b"first", b"second"]
    assert again.stats.truncated_bytes == whole - 7 - segment.stat().st_size
    assert again.stats.truncated_bytes > 0
    # The log ends on a whole record again: new appends are readable after a reopen.
    assert _append_all(again, [b"fourth"]) == [3]
    again.close()
    third = open_wal()
    assert [r.payload for r in third.read_after(0)] == [b"first", b"second", b"fourth"]
    assert third.stats.truncated_bytes == 0


def test_a_corrupt_checksum_cuts_the_log_at_that_record(open_wal: OpenWal, tmp_path: Path) -> None:
    wal = open_wal()
    _append_all(wal, [b"alpha", b"bravo-payload", b"charlie"])
    wal.close()
    [segment] = _segments(tmp_path / "wal")
    data = bytearray(segment.read_bytes())
    spot = data.index(b"bravo-payload")
    data[spot] ^= 0xFF  # a flipped bit inside record 2
    segment.write_bytes(bytes(data))
    again = open_wal()
    # Record 3 is whole, but it follows a corrupt record: the log is cut before record 2.
    assert [r.payload for r in again.read_after(0)] == [b"alpha"]
    # magic (8) + record 1: frame header (8) + body header (11) + b"p1" + b"alpha"
    assert segment.stat().st_size == 8 + 8 + 11 + len(b"p1") + len(b"alpha")
    assert b"charlie" not in segment.read_bytes()


def test_garbage_after_the_last_record_is_removed(open_wal: OpenWal, tmp_path: Path) -> None:
    wal = open_wal()
    _append_all(wal, [b"kept"])
    wal.close()
    [segment] = _segments(tmp_path / "wal")
    size = segment.stat().st_size
    with segment.open("ab") as f:
        f.write(b"\x10\x00\x00\x00garbage that is not a record")
    again = open_wal()
    assert [r.payload for r in again.read_after(0)] == [b"kept"]
    assert segment.stat().st_size == size
    assert again.stats.truncated_bytes == 4 + len(b"garbage that is not a record")


def test_a_segment_torn_while_being_created_is_repaired(open_wal: OpenWal, tmp_path: Path) -> None:
    wal = open_wal()
    _append_all(wal, [b"before"])
    wal.close()
    directory = tmp_path / "wal"
    (directory / f"{2:020d}.wal").write_bytes(b"HRN")  # crash during the magic write
    again = open_wal()
    assert [r.payload for r in again.read_after(0)] == [b"before"]
    assert _append_all(again, [b"after"]) == [2]
    again.close()
    assert [r.payload for r in open_wal().read_after(0)] == [b"before", b"after"]


def test_foreign_files_in_the_wal_dir_are_refused_with_a_fix(
    open_wal: OpenWal, tmp_path: Path
) -> None:
    directory = tmp_path / "wal"
    directory.mkdir()
    (directory / "notes.wal").write_text("hello")
    with pytest.raises(WalError, match=r"notes.wal is not a WAL segment name.*move it out"):
        open_wal()
    (directory / "notes.wal").unlink()
    (directory / f"{1:020d}.wal").write_bytes(b"PK\x03\x04 a zip file")
    with pytest.raises(WalError, match="does not start with the WAL magic bytes"):
        open_wal()


def test_a_damaged_checkpoint_is_refused_with_a_fix(open_wal: OpenWal, tmp_path: Path) -> None:
    open_wal().close()
    (tmp_path / "wal" / "checkpoint.json").write_text("{not json")
    with pytest.raises(WalError, match=r"checkpoint.*unreadable.*delete it to replay"):
        open_wal()


def test_concurrent_appends_share_fsyncs(open_wal: OpenWal) -> None:
    wal = open_wal(sync=True)
    count = 300

    async def run() -> list[int]:
        return await asyncio.gather(
            *(wal.append("traces", "p", f"{i}".encode()) for i in range(count))
        )

    seqs = asyncio.run(run())
    assert sorted(seqs) == list(range(1, count + 1))
    assert wal.stats.appends == count
    assert 1 <= wal.stats.fsyncs < count
    # Each future got the sequence number of its own payload.
    by_seq = {r.seq: r.payload for r in wal.read_after(0)}
    assert [by_seq[seq] for seq in seqs] == [f"{i}".encode() for i in range(count)]


def test_without_sync_nothing_is_fsynced(open_wal: OpenWal) -> None:
    wal = open_wal(sync=False)
    _append_all(wal, [b"a", b"b"])
    assert wal.stats.fsyncs == 0


def test_appends_over_the_budget_are_refused_without_writing(open_wal: OpenWal) -> None:
    wal = open_wal(budget_bytes=3 * 150, retry_after_s=7)
    _append_all(wal, [b"x" * 120] * 3)
    assert wal.backlog_bytes <= 3 * 150
    with pytest.raises(BackpressureError) as info:
        _append_all(wal, [b"y" * 120])
    assert info.value.retry_after_s == 7
    assert "budget of 450 bytes" in str(info.value)
    assert "HERON_WAL_BUDGET_BYTES" in str(info.value)
    assert wal.last_seq == 3
    assert len(wal.read_after(0)) == 3
    wal.checkpoint(2)  # the flusher caught up: room again
    assert _append_all(wal, [b"y" * 120]) == [4]


def test_a_lone_record_larger_than_the_budget_is_accepted_into_an_empty_log(
    open_wal: OpenWal,
) -> None:
    wal = open_wal(budget_bytes=10)
    assert _append_all(wal, [b"z" * 100]) == [1]
    with pytest.raises(BackpressureError):
        _append_all(wal, [b"z"])


def test_waiting_for_records_sees_new_appends(open_wal: OpenWal) -> None:
    wal = open_wal()
    assert wal.wait_for_records(0, timeout=0.01) is False
    _append_all(wal, [b"a"])
    assert wal.wait_for_records(0, timeout=5) is True
    assert wal.wait_for_records(1, timeout=0.01, until=lambda: True) is True


def test_quarantine_keeps_the_payload_and_the_reason(open_wal: OpenWal, tmp_path: Path) -> None:
    wal = open_wal()
    record = WalRecord(9, "traces", "p", b"payload")
    path = wal.quarantine(record, "ValueError: bad")
    assert path.read_bytes() == b"payload"
    meta = json.loads(path.with_suffix(".json").read_text())
    assert meta == {"seq": 9, "project_id": "p", "reason": "ValueError: bad"}


def test_a_closed_log_refuses_appends(open_wal: OpenWal) -> None:
    wal = open_wal()
    wal.close()
    with pytest.raises(WalError, match="closed"):
        wal.append_blocking("traces", "p", b"late")


def test_open_with_settings_uses_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", wal_sync=False, wal_budget_bytes=1234)
    wal = WriteAheadLog.open(settings)
    try:
        assert wal.directory == tmp_path / "data" / "wal"
        assert wal.budget_bytes == 1234
        assert wal.sync is False
        assert (tmp_path / "data" / "wal" / "checkpoint.json").exists()
        wal.check_writable()
    finally:
        wal.close()
    with pytest.raises(WalError, match="writer thread is not running"):
        wal.check_writable()


def test_a_directory_that_cannot_take_files_fails_the_readiness_check(open_wal: OpenWal) -> None:
    wal = open_wal()
    # Tests run as root, where permissions are not enforced: block the probe file instead.
    (wal.directory / ".writable").mkdir()
    with pytest.raises(WalError, match="is not writable"):
        wal.check_writable()
