"""An unreachable S3 archive is a clear one-line error, not a botocore traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from pulse.exceptions import StorageError
from pulse.storage import S3Store

PULSE = str(Path(sys.executable).with_name("pulse"))
POSTS = (
    "platform,account,post_id,created_at,impressions,reach,likes,comments,shares,saves,clicks\n"
    "x,brightbank,1,2026-10-01T09:00:00Z,10,5,1,0,0,0,0\n"
)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens there once the socket is closed


def test_import_into_an_unreachable_bucket_says_so(tmp_path: Path, aws_env: None) -> None:
    posts = tmp_path / "posts.csv"
    posts.write_text(POSTS, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_")}
    env |= {
        "PULSE_ARCHIVE": "s3://pulse-unreachable",
        "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{closed_port()}",
        "AWS_MAX_ATTEMPTS": "1",
    }
    done = subprocess.run(
        [PULSE, "import", "--brand", "brightbank", "--posts", str(posts)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode != 0, done.stderr
    assert "Traceback" not in done.stderr and "botocore" not in done.stderr
    assert "error: cannot read s3://pulse-unreachable/lake/posts/" in done.stderr
    assert "Could not connect" in done.stderr


@pytest.mark.parametrize("operation", ["exists", "get", "put", "list", "delete", "update"])
def test_every_s3_operation_maps_connection_errors(aws_env: None, operation: str) -> None:
    client = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{closed_port()}",
        config=Config(retries={"max_attempts": 1}, connect_timeout=2),
    )
    store = S3Store("pulse-unreachable", client=client)
    calls = {
        "exists": lambda: store.exists("k"),
        "get": lambda: store.get("k"),
        "put": lambda: store.put("k", b"x"),
        "list": lambda: list(store.list("lake/")),
        "delete": lambda: store.delete("k"),
        "update": lambda: store.update("k", lambda current: b"x"),
    }
    with pytest.raises(StorageError, match="s3://pulse-unreachable"):
        calls[operation]()
