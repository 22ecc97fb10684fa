"""The drop folder inbox/<brand>/ in S3, picked up by the daily fetch handler (moto S3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pulse.config import load_brands
from pulse.lake import Lake
from pulse.period import Month
from pulse.storage import open_store
from tests.conftest import load_event, load_function
from tests.functional.conftest import BUCKET, Context, keys

FIXTURES = Path(__file__).parents[1] / "fixtures" / "exports"


def test_the_fetch_job_imports_the_inbox_and_moves_each_file(aws: Any) -> None:
    brand = next(iter(load_brands()))
    inbox = f"inbox/{brand.id}/"
    good = FIXTURES / "fr" / "instagram_posts_fr.csv"
    aws.put_object(Bucket=BUCKET, Key=inbox + good.name, Body=good.read_bytes())
    aws.put_object(Bucket=BUCKET, Key=inbox + "notes.csv", Body=b"Tweet,Quand\nbonjour,hier\n")
    result = load_function("fetch").lambda_handler(load_event("fetch.json"), Context())
    assert result["failures"] == []  # a refused file is the user's to fix, not a failed job
    report = next(r for r in result["brands"] if r["brand"] == brand.id)["inbox"]
    assert report["imported"] == [inbox + good.name]
    assert report["failed"][0]["key"] == inbox + "notes.csv"
    assert "not a known export" in report["failed"][0]["error"]
    stored = keys(aws, inbox)
    assert not [k for k in stored if k.count("/") == 2], "nothing is left waiting"
    processed = [k for k in stored if k.startswith(inbox + "processed/")]
    failed = [k for k in stored if k.startswith(inbox + "failed/")]
    assert len(processed) == 1 and processed[0].endswith("-instagram_posts_fr.csv")
    assert sorted(k.rsplit("-", 1)[-1] for k in failed) == ["notes.csv", "notes.csv.error.txt"]
    raw = aws.get_object(Bucket=BUCKET, Key=processed[0])["Body"].read()
    assert raw == good.read_bytes(), "the raw file is kept as it was"
    posts = Lake(open_store(f"s3://{BUCKET}")).read("posts", brand.id, [Month(2026, 3)])
    assert {"17900000000000001", "17900000000000002"} <= set(posts["post_id"])
    again = load_function("fetch").lambda_handler(load_event("fetch.json"), Context())
    assert next(r for r in again["brands"] if r["brand"] == brand.id)["inbox"]["imported"] == []
