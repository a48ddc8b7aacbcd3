"""Where `accord sync` finds a CRM's credentials: environment variables first, else a
credentials file outside any repository. A token is held as a `Secret`, which never
shows its value (`str`, `repr`, an error message or a log line print `***`).

- hubspot: `ACCORD_HUBSPOT_TOKEN` (a private app's access token);
- salesforce: `ACCORD_SALESFORCE_TOKEN` (an OAuth access token) and
  `ACCORD_SALESFORCE_INSTANCE_URL` (`https://yourorg.my.salesforce.com`).

The file (`--credentials FILE`, else `$ACCORD_SYNC_CREDENTIALS`, else
`~/.config/accord/credentials` when it exists) holds the same names as `NAME=value`
lines (`#` starts a comment). A file inside a Git work tree or inside the workspace is
refused: credentials are never committed with the contract.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from accord.errors import UsageError

__all__ = ["DEFAULT_FILE", "Credentials", "Secret", "load_credentials"]

DEFAULT_FILE = Path("~/.config/accord/credentials")

_TOKEN = {"hubspot": "ACCORD_HUBSPOT_TOKEN", "salesforce": "ACCORD_SALESFORCE_TOKEN"}
_INSTANCE = {"salesforce": "ACCORD_SALESFORCE_INSTANCE_URL"}
_DEFAULT_BASE = {"hubspot": "https://api.hubapi.com"}
_LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


class Secret:
    """A credential value that never prints itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The value, for the one place that sends it (an Authorization header)."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"


@dataclass(frozen=True)
class Credentials:
    """A vendor's token and the base URL its API is called at."""

    vendor: str
    token: Secret
    base_url: str
    source: str  # where they came from: "environment" or the file's path


def _inside_repository(path: Path, workspace: Path | None) -> bool:
    path = path.resolve()
    if workspace is not None and path.is_relative_to(workspace.resolve()):
        return True
    return any((parent / ".git").exists() for parent in path.parents)


def _read_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        name, sep, value = text.partition("=")
        if not sep:
            raise UsageError(f"{path}: line {number} is not NAME=value")
        values[name.strip()] = value.strip().strip("\"'")
    return values


def _check_base_url(vendor: str, url: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise UsageError(f"{vendor}: base URL {url!r} is not an http(s) URL")
    if parsed.scheme == "http" and parsed.hostname not in _LOCAL_HOSTS:
        raise UsageError(f"{vendor}: base URL {url!r} would send the token unencrypted; "
                         "use https (plain http only for 127.0.0.1 or localhost)")
    return url.rstrip("/")


def load_credentials(vendor: str, *, file: Path | None = None, base_url: str | None = None,
                     environ: Mapping[str, str] | None = None,
                     workspace: Path | None = None) -> Credentials:
    """The credentials of `vendor` (hubspot or salesforce): the environment's variables,
    else the credentials file (module docstring). `base_url` overrides the API's address
    (a local test server, a sandbox). A missing token raises `UsageError` naming the
    variable and the file looked at — never a value."""
    if vendor not in _TOKEN:
        raise UsageError(f"unknown CRM {vendor!r}; expected one of: hubspot, salesforce")
    env = os.environ if environ is None else environ
    values: dict[str, str] = {k: env[k] for k in (_TOKEN[vendor], _INSTANCE.get(vendor, ""))
                              if k and env.get(k)}
    source = "environment"
    if _TOKEN[vendor] not in values:
        chosen = file or (Path(env["ACCORD_SYNC_CREDENTIALS"])
                          if env.get("ACCORD_SYNC_CREDENTIALS") else None)
        if chosen is None and DEFAULT_FILE.expanduser().is_file():
            chosen = DEFAULT_FILE.expanduser()
        if chosen is not None:
            chosen = chosen.expanduser()
            if not chosen.is_file():
                raise UsageError(f"credentials file {chosen} does not exist")
            if _inside_repository(chosen, workspace):
                raise UsageError(f"credentials file {chosen} is inside a repository or the "
                                 "workspace; keep it outside (e.g. ~/.config/accord/"
                                 "credentials) so it is never committed")
            found = _read_file(chosen)
            values = {**found, **values}
            source = str(chosen)
        if _TOKEN[vendor] not in values:
            where = f" or in {chosen}" if chosen is not None else ""
            raise UsageError(f"{vendor}: no token; set {_TOKEN[vendor]} in the "
                             f"environment{where} (see `accord sync pull --help`)")
    url = base_url or values.get(_INSTANCE.get(vendor, ""), "") or _DEFAULT_BASE.get(vendor)
    if not url:
        raise UsageError(f"{vendor}: no instance URL; set {_INSTANCE[vendor]} (e.g. "
                         "https://yourorg.my.salesforce.com) or pass --base-url")
    return Credentials(vendor, Secret(values[_TOKEN[vendor]]), _check_base_url(vendor, url),
                       source)
