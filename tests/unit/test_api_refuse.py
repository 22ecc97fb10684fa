"""What the API refuses before any route runs (the same checks on Lambda and behind `pulse serve`)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from pulse.api import MAX_BODY_BYTES, json_depth, refuse


def event(body: str | None, content_type: str | None = "application/json", **extra: Any) -> dict[str, Any]:
    headers = {"content-type": content_type} if content_type else {}
    return {"headers": {**headers, **extra.pop("headers", {})}, "body": body, **extra}


def status(result: dict[str, Any] | None) -> int | None:
    return None if result is None else int(result["statusCode"])


def test_a_good_request_passes() -> None:
    assert refuse(event('{"brand": "acme", "send": false}'), None) is None
    assert refuse(event(None, None), None) is None  # a GET
    assert refuse(event("{}", "application/json; charset=utf-8"), None) is None


def test_the_key_comes_before_anything_about_the_body() -> None:
    assert status(refuse(event("[[[", "text/plain"), "k")) == 401
    assert status(refuse(event("{}", headers={"x-api-key": "wrong"}), "k")) == 401
    assert refuse(event("{}", headers={"x-api-key": "k"}), "k") is None


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        ('{"brand": "acme"}', "text/plain", 415),
        ("brand=acme", "application/x-www-form-urlencoded", 415),
        ('{"brand": "acme"}', None, 415),
        ("[" * 17 + "]" * 17, "application/json", 400),
        ('{"a": "' + "x" * MAX_BODY_BYTES + '"}', "application/json", 413),
        ('{"a": "é' + "é" * (MAX_BODY_BYTES // 2) + '"}', "application/json", 413),  # bytes, not characters
        ('{"a": ' + "9" * 5000 + "}", "application/json", 400),
        ('{"a": ', "application/json", 400),
    ],
)
def test_bodies_that_cannot_be_right(body: str, content_type: str | None, expected: int) -> None:
    result = refuse(event(body, content_type), None)
    assert status(result) == expected
    assert result is not None and json.loads(result["body"])["message"]


def test_base64_bodies_are_checked_once_decoded() -> None:
    deep = base64.b64encode(b"[" * 40 + b"]" * 40).decode()
    assert status(refuse(event(deep, isBase64Encoded=True), None)) == 400
    assert status(refuse(event("not base64!", isBase64Encoded=True), None)) == 400
    good = base64.b64encode(b'{"brand": "acme"}').decode()
    assert refuse(event(good, isBase64Encoded=True), None) is None


def test_json_depth_ignores_brackets_in_strings() -> None:
    assert json_depth('{"a": "[[[[{{{{", "b": "\\"[["}') == 1
    assert json_depth('[[{"a": [1]}]]') == 4
