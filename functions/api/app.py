"""On-demand HTTP API (API Gateway HTTP API -> this function).

Thin adapter: the routes live in :mod:`pulse.api`; services and the browser
are built on first use and reused while the function is warm.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from pulse.api import create_handler

logger = Logger()
_handle = create_handler()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return _handle(event, context)
