"""The attribution error: bad journeys, unknown models, parameters out of range."""

from __future__ import annotations

from accord.errors import AccordError


class AttributionError(AccordError, ValueError):
    """Attribution cannot run as asked; the message names the input and how to fix it."""
