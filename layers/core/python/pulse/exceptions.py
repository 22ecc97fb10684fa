"""Errors raised by the core library.

Every error derives from :class:`PulseError`; handlers map them to HTTP codes
and exit statuses by type, never by message text.
"""

from __future__ import annotations


class PulseError(Exception):
    """Base class of every error the core raises on purpose."""


class ConfigError(PulseError):
    """The brands file or the settings are invalid (the message says where)."""


class InvalidBrandIdError(PulseError):
    """A brand id is not a safe identifier (it would become an S3 key or a path)."""


class UnknownBrandError(PulseError):
    """The brand id is valid but no brand of that id is configured."""


class InvalidPeriodError(PulseError):
    """A month or time zone cannot be parsed."""


class DataError(PulseError):
    """Input data (a fetched batch, an import file) does not match the canonical tables."""


class NoDataError(DataError):
    """The lake holds nothing for a brand-month: a report of it would show only zeros."""


class SourceError(PulseError):
    """A data source (platform API, demo, file export) failed."""


class StorageError(PulseError):
    """Reading or writing the archive failed."""


class NotFoundError(StorageError):
    """The requested object is not in the archive."""


class RenderError(PulseError):
    """The report could not be rendered (templates, charts, browser)."""


class BrowserNotFoundError(RenderError):
    """No Chrome/Chromium binary is available to print the PDF."""


class DeliveryError(PulseError):
    """The report could not be mailed."""
