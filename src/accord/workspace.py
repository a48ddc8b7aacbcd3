"""A workspace: a folder holding `accord.yaml` and `.accord/` (the default DuckDB store).

`Workspace.session()` is how every command (and, later, every API request) starts: it
opens the store, compiles the contract once and resolves the one "now" (`--as-of`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path

from accord.contract.compiled import CompiledContract, compile_contract
from accord.contract.loader import CONTRACT_FILE, LoadedContract, load_contract
from accord.errors import AccordError, WorkspaceError
from accord.store import DEFAULT_STORE, Store, open_store, public_url
from accord.store.as_of import AsOf, resolve_as_of


def starter_contract_text() -> str:
    """The commented starter contract shipped with accord."""
    return resources.files("accord.contract").joinpath("starter.yaml").read_text("utf-8")


@dataclass
class Session:
    """What a command works with: the workspace, its compiled contract (None when the
    command does not need one and there is none) and the open store."""

    workspace: Workspace
    store: Store
    _contract: CompiledContract | None = None
    _as_of: dict[datetime | None, AsOf] = field(default_factory=dict, repr=False)

    @property
    def contract(self) -> CompiledContract:
        """The compiled contract; `WorkspaceError` when the workspace has none."""
        if self._contract is None:
            raise WorkspaceError(f"no contract at {self.workspace.contract_path}; run "
                                 "`accord init` to write a starter one")
        return self._contract

    @property
    def has_contract(self) -> bool:
        return self._contract is not None

    def as_of(self, given: datetime | None = None) -> AsOf:
        """The one "now": `given`, else the store's latest fact, else the wall clock."""
        if given not in self._as_of:
            self._as_of[given] = resolve_as_of(self.store, given)
        return self._as_of[given]

    def close(self) -> None:
        self.store.close()


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

    @property
    def store_label(self) -> str:
        """The store location as it may be shown or printed: without a password."""
        return public_url(self.store_location)

    def open_store(self) -> Store:
        return open_store(self.store_location)

    def load_contract(self) -> LoadedContract:
        return load_contract(self.contract_path)

    def compile_contract(self) -> CompiledContract:
        """Read, validate and compile `accord.yaml` (`ContractError` lists every problem)."""
        loaded = self.load_contract()
        return compile_contract(loaded.contract, sha256=loaded.sha256, path=loaded.path)

    def has_contract(self) -> bool:
        return self.contract_path.exists()

    @contextmanager
    def session(self, *, contract: bool | None = True) -> Iterator[Session]:
        """Open the store and compile the contract; close the store afterwards.

        `contract=False`: a command that can run without one gets a session whose contract
        is compiled only when the file exists. `contract=None`: the contract is not read
        at all (a command that only touches the store, such as `accord import`, works while
        accord.yaml is being edited)."""
        wanted = contract or (contract is not None and self.has_contract())
        compiled = self.compile_contract() if wanted else None
        store = self.open_store()
        session = Session(self, store, compiled)
        try:
            yield session
        finally:
            session.close()


@dataclass(frozen=True)
class WorkspaceStatus:
    """What `accord status` shows: where the store is, the contract's version (or what is
    wrong with it) and the rows per fact table."""

    store: str  # without a password (`Workspace.store_label`)
    backend: str
    contract: str
    contract_version: int | None
    contract_problem: str | None
    counts: dict[str, int]

    def as_dict(self) -> dict[str, object]:
        return {"store": self.store, "backend": self.backend, "contract": self.contract,
                "contract_version": self.contract_version,
                "contract_problem": self.contract_problem, "counts": dict(self.counts)}


def workspace_status(session: Session) -> WorkspaceStatus:
    """The status of a session opened without its contract (`contract=None`): the
    contract is read here so that a broken one is reported, not raised (first problem)."""
    ws = session.workspace
    version: int | None = None
    problem: str | None = None
    if session.has_contract:
        version = session.contract.version
    elif ws.has_contract():
        try:
            version = ws.load_contract().version
        except AccordError as exc:
            problem = str(exc).splitlines()[0]
    else:
        problem = f"no contract at {ws.contract_path}"
    return WorkspaceStatus(ws.store_label, session.store.backend_name, str(ws.contract_path),
                           version, problem, session.store.counts())


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
