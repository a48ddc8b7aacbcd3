"""Live connectors to HubSpot and Salesforce: incremental pulls into vendor-shaped export
files (`pull`), accord's decisions written back to contact and lead properties (`push`),
and where the API credentials come from (`credentials`)."""

from __future__ import annotations

import os

from accord.errors import AccordError

__all__ = ["VENDORS", "SyncError", "no_usage_reports"]

#: The CRMs `accord sync` talks to.
VENDORS = ("hubspot", "salesforce")


class SyncError(AccordError):
    """A CRM's API refused or failed a request; the message names the vendor, the object
    or record and the HTTP status (never the credentials)."""


def no_usage_reports() -> None:
    """Turn off dlt's anonymous usage reports before dlt is used: `accord sync` talks to
    the CRM and nothing else (a value the caller set in the environment is kept)."""
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
