"""Local once-only records: a killed run does not block the next one; a live one does; records are private."""

from __future__ import annotations

import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

from pulse.delivery.idempotency import LocalPersistenceLayer, run_once

KEY = {"job": "monthly", "brand": "brightbank", "month": "2026-10"}

HOLDER = """
import sys, time
from pathlib import Path
from pulse.delivery.idempotency import LocalPersistenceLayer, run_once

def work():
    Path(sys.argv[2]).touch()
    time.sleep(120)
    return {}

run_once(LocalPersistenceLayer(sys.argv[1]), {KEY!r}, work, expires_after_seconds=3600, lock_seconds=900)
""".replace("{KEY!r}", repr(KEY))


def start_holder(tmp_path: Path) -> subprocess.Popen[bytes]:
    ready = tmp_path / "ready"
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path / "records"), str(ready)])
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert proc.poll() is None and time.monotonic() < deadline, "the holder did not start"
        time.sleep(0.05)
    return proc


def again(tmp_path: Path) -> dict[str, str]:
    return run_once(
        LocalPersistenceLayer(tmp_path / "records"),
        KEY,
        lambda: {"sent": "now"},
        expires_after_seconds=3600,
        lock_seconds=900,
    )


def test_a_live_run_holds_the_brand_month(tmp_path: Path) -> None:
    holder = start_holder(tmp_path)
    try:
        with pytest.raises(IdempotencyAlreadyInProgressError):
            again(tmp_path)
    finally:
        holder.kill()
        holder.wait()


def test_a_killed_run_does_not_block_the_rerun(tmp_path: Path) -> None:
    holder = start_holder(tmp_path)
    holder.kill()  # SIGKILL: no cleanup, the in-progress record stays behind (lock of 15 min)
    holder.wait()
    records = list((tmp_path / "records").glob("*.json"))
    assert len(records) == 1 and '"INPROGRESS"' in records[0].read_text()
    assert again(tmp_path) == {"sent": "now"}  # at once, not 15 minutes later
    assert again(tmp_path) == {"sent": "now"}  # and now it is done: a repeat returns the outcome


def test_records_are_private(tmp_path: Path) -> None:
    again(tmp_path)
    records = list((tmp_path / "records").glob("*.json"))
    assert records and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in records)
    assert stat.S_IMODE((tmp_path / "records").stat().st_mode) == 0o700
