"""Live connectors to HubSpot and Salesforce: incremental pulls into vendor-shaped export
files (`pull`), accord's decisions written back to contact and lead properties (`push`),
and where the API credentials come from (`credentials`)."""

from __future__ import annotations

from accord.errors import AccordError

__all__ = ["VENDORS", "SyncError"]

#: The CRMs `accord sync` talks to.
VENDORS = ("hubspot", "salesforce")


class SyncError(AccordError):
    """A CRM's API refused or failed a request; the message names the vendor, the object
    or record and the HTTP status (never the credentials)."""
