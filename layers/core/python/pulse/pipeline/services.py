"""The jobs' dependencies, built once per process and kept while a Lambda is warm.

There is one way to keep objects across warm invocations: :func:`shared_services`
builds the process's :class:`Services` on first use; the services hold the
renderer (a browser) they open lazily, so handlers, the worker and the API all
reuse the same one. Tests call :func:`reset_shared_services` for a new cold start.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools.utilities.idempotency import BasePersistenceLayer

from pulse.config import BrandRegistry, open_brands
from pulse.delivery import MailSender, make_sender
from pulse.delivery.idempotency import make_persistence
from pulse.jobs import JobQueue, SqsJobQueue
from pulse.lake import Lake
from pulse.render.renderer import Renderer
from pulse.settings import Settings, get_settings
from pulse.share import KeySource, open_key_source
from pulse.sources import DemoSource, Source
from pulse.storage import ObjectStore, open_store

RendererFactory = Callable[[Settings], Renderer]


def chromium_renderer(settings: Settings) -> Renderer:
    """The default renderer: headless Chromium (imported lazily: cold starts without a report stay cheap)."""
    from pulse.render.browser import ChromiumRenderer

    return ChromiumRenderer(settings.browser)


@dataclass
class Services:
    """Everything the jobs need, built once per process (one Lambda cold start)."""

    settings: Settings
    brands: BrandRegistry
    store: ObjectStore
    sender: MailSender
    source: Source
    persistence: BasePersistenceLayer | None = None
    queue: JobQueue | None = None
    #: Opens a renderer: Chromium by default, a fake one in tests of delivery.
    renderer_factory: RendererFactory = chromium_renderer
    #: Keys of share links (pulse/share.py); None where links cannot be minted or verified.
    share_keys: KeySource | None = None
    lake: Lake = field(init=False)
    _renderer: Renderer | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.lake = Lake(self.store)
        if self.persistence is None:
            self.persistence = make_persistence(self.settings)

    @classmethod
    def from_settings(
        cls,
        settings: Settings | None = None,
        *,
        s3_client: Any = None,
        ses_client: Any = None,
        dynamodb_client: Any = None,
        sqs_client: Any = None,
        secrets_client: Any = None,
        source: Source | None = None,
        renderer_factory: RendererFactory | None = None,
    ) -> Services:
        settings = settings or get_settings()
        store = open_store(settings.archive, s3_client=s3_client)
        return cls(
            settings=settings,
            brands=open_brands(settings.config, ttl_seconds=settings.config_ttl_seconds, s3_client=s3_client),
            store=store,
            sender=make_sender(settings, ses_client=ses_client),
            source=source or make_source(settings, store),
            persistence=make_persistence(settings, dynamodb_client=dynamodb_client),
            queue=SqsJobQueue(settings.report_queue_url, sqs_client) if settings.report_queue_url else None,
            renderer_factory=renderer_factory or chromium_renderer,
            share_keys=open_key_source(settings, secrets_client=secrets_client),
        )

    def open_renderer(self) -> Renderer:
        """A new renderer for a batch (the caller closes it)."""
        return self.renderer_factory(self.settings)

    def renderer(self) -> Renderer:
        """The services' own renderer, opened on first use and kept while warm."""
        if self._renderer is None:
            self._renderer = self.open_renderer()
        return self._renderer

    def close(self) -> None:
        """Close the kept renderer, if any."""
        renderer, self._renderer = self._renderer, None
        if renderer is not None:
            renderer.close()


def make_source(settings: Settings, store: ObjectStore) -> Source:
    """The configured source of engagement data."""
    if settings.data_source == "platforms":
        from pulse.connectors import PlatformSource

        return PlatformSource(store, settings=settings)
    return DemoSource()


_shared: dict[str, Services] = {}


def shared_services() -> Services:
    """The process's :class:`Services`, built on first use (one Lambda cold start) and reused."""
    if "services" not in _shared:
        _shared["services"] = Services.from_settings()
    return _shared["services"]


def reset_shared_services() -> None:
    """Forget the process's services, closing their renderer (tests: each one is a new cold start)."""
    services = _shared.pop("services", None)
    if services is not None:
        services.close()
