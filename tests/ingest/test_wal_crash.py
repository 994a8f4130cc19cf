"""kill -9 mid-stream: every acknowledged WAL record survives, exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

from heron.ingest.wal import WriteAheadLog

# The child appends from several concurrent tasks (so group commits are in flight when it
# dies) and prints "seq id" only after append() returned, i.e. after the fsync.
CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from heron.ingest.wal import WriteAheadLog

    wal = WriteAheadLog(Path(sys.argv[1]), segment_bytes=16 * 1024, sync=True)

    async def writer(task: int) -> None:
        n = 0
        while True:
            ident = f"{task}-{n}"
            payload = ident.encode() + b":" + b"x" * (97 * (n % 7))
            seq = await wal.append("traces", "crash-project", payload)
            sys.stdout.write(f"{seq} {ident}\\n")
            sys.stdout.flush()
            n += 1

    async def main() -> None:
        await asyncio.gather(*(writer(t) for t in range(8)))

    asyncio.run(main())
    """
)


def test_acknowledged_records_survive_sigkill_exactly_once(tmp_path: Path) -> None:
    directory = tmp_path / "wal"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(directory)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    acked: dict[int, str] = {}
    try:
        for line in child.stdout:
            seq, ident = line.split()
            acked[int(seq)] = ident
            if len(acked) >= 600:
                break
        else:
            raise AssertionError(f"child died early: {child.stderr.read() if child.stderr else ''}")
        os.kill(child.pid, signal.SIGKILL)
        # Lines already written before the kill were acknowledged too.
        for line in child.stdout:
            if line.endswith("\n"):
                seq, ident = line.split()
                acked[int(seq)] = ident
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
        if child.stderr is not None:
            child.stderr.close()
    assert child.returncode == -signal.SIGKILL

    wal = WriteAheadLog(directory, sync=True)
    try:
        records = wal.read_after(wal.checkpoint_seq)
    finally:
        wal.close()
    seqs = Counter(r.seq for r in records)
    assert all(count == 1 for count in seqs.values())
    by_seq = {r.seq: r for r in records}
    missing = sorted(set(acked) - set(by_seq))
    assert not missing, f"acknowledged but lost: {missing[:10]}"
    for seq, ident in acked.items():
        record = by_seq[seq]
        assert record.payload.split(b":", 1)[0].decode() == ident
        assert record.project_id == "crash-project"
    # Each acknowledged payload appears once in the whole log, not twice under two seqs.
    idents = Counter(r.payload.split(b":", 1)[0] for r in records)
    assert all(count == 1 for count in idents.values())
    assert len(list(directory.glob("*.wal"))) > 1  # the run spanned segment rollovers
