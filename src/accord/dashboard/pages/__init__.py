"""The dashboard's pages: one module per page, each with `build(ctx) -> PageContent`.

`NAV` is the menu (slug, label) in order; the overview's slug is empty (`/dashboard/`).
The lead page (`/dashboard/leads/<id>`) is `leads.build_lead`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from accord.dashboard.page import PageContent
from accord.dashboard.pages.common import PageContext

__all__ = ["NAV", "PageContext", "build_lead", "find_page"]

#: (slug, menu label, module under accord.dashboard.pages)
PAGES: tuple[tuple[str, str, str], ...] = (
    ("", "Overview", "overview"),
    ("funnel", "Funnel", "funnel"),
    ("sla", "Speed to lead & SLAs", "sla"),
    ("insights", "Insights", "insights"),
    ("attribution", "Attribution", "attribution"),
    ("pipeline", "Pipeline velocity", "pipeline"),
    ("routing", "Routing", "routing"),
    ("contract", "Contract", "contract"),
    ("leads", "Leads", "leads"),
)
NAV: tuple[tuple[str, str], ...] = tuple((slug, label) for slug, label, _ in PAGES)


def find_page(slug: str) -> tuple[str, Callable[[PageContext], PageContent]] | None:
    for s, _, module in PAGES:
        if s == slug:
            build: Callable[[PageContext], PageContent] = importlib.import_module(
                f"accord.dashboard.pages.{module}").build
            return s, build
    return None


def build_lead(ctx: PageContext, lead_id: str) -> PageContent:
    from accord.dashboard.pages.leads import build_one

    page: PageContent = build_one(ctx, lead_id)
    return page
