"""Give back to the system the memory a finished report used.

A warm worker builds report after report in one process. pandas and pyarrow free a
report's frames when it is done, but their allocators (mimalloc for Arrow, glibc's
malloc for the rest) keep the freed pages for reuse, so a container's resident memory
ratchets up towards the largest month it has seen plus what fragmentation adds
(``benchmarks/report_bench``: one 1M-message brand, 4 reports in a row, RSS 754 → 859 MB
without this, back to about 250 MB after each report with it). Lambda bills and kills by
resident memory, so each job ends by handing those pages back.
"""

from __future__ import annotations

import ctypes
import gc
from collections.abc import Callable
from functools import cache

import pyarrow as pa


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (musl, macOS)."""
    try:  # glibc's soname on every Linux the image or a laptop runs (Debian, Amazon Linux)
        trim: Callable[[int], int] = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


def release_memory() -> None:
    """Collect cycles, then return freed pages of Arrow's pool and of malloc to the system."""
    gc.collect()
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
