"""Rendering: KPI results -> view model -> templates and charts -> HTML, PDF, PNG."""

from __future__ import annotations
