"""A workspace: a folder holding `accord.yaml` and `.accord/` (the default DuckDB store)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from accord.contract.loader import CONTRACT_FILE, LoadedContract, load_contract
from accord.errors import WorkspaceError
from accord.store import DEFAULT_STORE, Store, open_store


def starter_contract_text() -> str:
    """The commented starter contract shipped with accord."""
    return resources.files("accord.contract").joinpath("starter.yaml").read_text("utf-8")


@dataclass(frozen=True)
class Workspace:
    root: Path
    store_url: str | None = None

    @property
    def contract_path(self) -> Path:
        return self.root / CONTRACT_FILE

    @property
    def default_store_path(self) -> Path:
        return self.root / DEFAULT_STORE

    @property
    def store_location(self) -> str:
        return self.store_url or str(self.default_store_path)

    def open_store(self) -> Store:
        return open_store(self.store_location)

    def load_contract(self) -> LoadedContract:
        return load_contract(self.contract_path)

    def has_contract(self) -> bool:
        return self.contract_path.exists()


def init_workspace(root: Path, *, force: bool = False) -> Workspace:
    """Write the starter contract and create the empty store. Refuses to overwrite a
    contract unless `force`."""
    root.mkdir(parents=True, exist_ok=True)
    ws = Workspace(root)
    if ws.contract_path.exists() and not force:
        raise WorkspaceError(f"{ws.contract_path} already exists; use --force to overwrite it")
    ws.contract_path.write_text(starter_contract_text(), encoding="utf-8")
    ws.open_store().close()
    return ws
