"""`accord serve`: the HTTP API over a workspace (docs/api.md)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from accord.cli.common import StoreOpt, WorkspaceOpt, guarded
from accord.errors import UsageError

#: Environment the worker processes read their workspace and store from (`--workers`).
ENV_WORKSPACE = "ACCORD_SERVE_WORKSPACE"
ENV_STORE = "ACCORD_SERVE_STORE"


@guarded
def serve_command(
    host: Annotated[str, typer.Option(help="Address to bind; 127.0.0.1 (this machine only) "
                                           "unless told otherwise.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8765,
    workers: Annotated[int, typer.Option(
        help="Server processes. Several need a PostgreSQL store (they take turns as the "
             "writer and apply each other's events); DuckDB has one writing process.",
        min=1, max=64)] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn log level: critical, error, "
                                                "warning, info, debug.")] = "info",
    ws_path: WorkspaceOpt = Path("."),
    store: StoreOpt = None,
) -> None:
    """Serve the contract live: POST /v1/events answers with the decision; reads for leads,
    KPIs, SLAs, the funnel and the contract. Every request needs a token (`accord token
    create`). The dashboard both teams open is at /dashboard/ (log in with a token;
    docs/dashboard.md).

    Examples:

      accord serve                       # then open http://127.0.0.1:8765/dashboard/

      accord serve --port 9000 --store postgresql://127.0.0.1/accord --workers 2
    """
    import uvicorn

    from accord.api.app import create_app
    from accord.workspace import Workspace

    levels = ("critical", "error", "warning", "info", "debug")
    if log_level not in levels:
        raise UsageError(f"--log-level: {log_level!r} is not one of {', '.join(levels)}")
    root = ws_path.resolve()
    if workers == 1:
        uvicorn.run(create_app(root, store), host=host, port=port, log_level=log_level)
        return
    url = Workspace(root, store).store_location
    if not url.startswith("postgresql"):
        raise UsageError(f"--workers {workers}: several server processes need a PostgreSQL "
                         "store (--store postgresql://...); DuckDB has one writing process, "
                         "so serve it with one worker")
    os.environ[ENV_WORKSPACE] = str(root)
    os.environ[ENV_STORE] = url
    uvicorn.run("accord.api.app:app_from_environment", factory=True, host=host, port=port,
                workers=workers, log_level=log_level)
