"""Public share links (API Gateway HTTP API, routes without IAM -> this function).

Thin adapter: the routes live in :mod:`pulse.share_routes`. The signed token in the
path is the only credential; this function can read archived reports and the share
keys, nothing else (no lake, no writes, no queue, no mail).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from pulse.share_routes import create_share_handler

logger = Logger()
_handle = create_share_handler()


# No correlation id from the path, and the event (its path holds the token) is never logged.
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return _handle(event, context)
