"""Where the project's shared material (`shared/`: seeds, real data, the attribution
oracle) is: `$ACCORD_SHARED_DIR`, else the folder `shared` beside the repository, else —
for a clone made elsewhere (`git clone . /tmp/x`) — beside the repository it was cloned
from. Tests that need the data fail, not skip, when it is not found."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _origin() -> Path | None:
    """The local folder this checkout was cloned from, if it was cloned from one."""
    try:
        url = subprocess.run(["git", "-C", str(REPO), "config", "--get", "remote.origin.url"],
                             capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return None
    url = url.removeprefix("file://")
    if not url or "://" in url:
        return None
    path = Path(url)
    return path if path.is_dir() else None


def _find() -> Path:
    given = os.environ.get("ACCORD_SHARED_DIR")
    if given:
        return Path(given)
    beside = REPO.parent / "shared"
    if beside.is_dir():
        return beside
    origin = _origin()
    if origin is not None and (origin.resolve().parent / "shared").is_dir():
        return origin.resolve().parent / "shared"
    return beside


SHARED = _find()
