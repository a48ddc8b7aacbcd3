"""`accord serve`: the HTTP API over a workspace (docs/api.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from accord.cli.common import StoreOpt, WorkspaceOpt, guarded


@guarded
def serve_command(
    host: Annotated[str, typer.Option(help="Address to bind; 127.0.0.1 (this machine only) "
                                           "unless told otherwise.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8765,
    ws_path: WorkspaceOpt = Path("."),
    store: StoreOpt = None,
) -> None:
    """Serve the contract live: POST /v1/events answers with the decision; reads for leads,
    KPIs, SLAs, the funnel and the contract. Every request needs a token (`accord token
    create`).

    Examples:

      accord serve

      accord serve --port 9000 --store postgresql://127.0.0.1/accord
    """
    import uvicorn

    from accord.api.app import create_app

    uvicorn.run(create_app(ws_path, store), host=host, port=port, log_level="info")
