"""Write docs/cli.md from the commands themselves, so the reference cannot drift.

    python -m accord.cli.reference > docs/cli.md
"""

from __future__ import annotations

from typing import Any

import typer.main

from accord.cli import app


def _is_group(cmd: Any) -> bool:
    return hasattr(cmd, "list_commands")  # Typer ships its own click; duck-type the group


def _walk(cmd: Any, path: list[str]) -> list[tuple[list[str], Any]]:
    out = [(path, cmd)] if not _is_group(cmd) else []
    if _is_group(cmd):
        ctx = type(cmd).context_class(cmd)
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                out.extend(_walk(sub, [*path, name]))
    return out


def commands() -> list[tuple[str, Any]]:
    root = typer.main.get_command(app)
    return [(" ".join(["accord", *p]), c) for p, c in _walk(root, [])]


def _options(cmd: Any) -> list[str]:
    rows = []
    for param in cmd.params:
        if getattr(param, "param_type_name", "") == "option":
            names = ", ".join(f"`{o}`" for o in param.opts)
            rows.append(f"| {names} | {(getattr(param, 'help', '') or '').replace('|', '/')} |")
        else:
            rows.append(f"| `{(param.name or '').upper()}` | argument |")
    return rows


def render() -> str:
    lines = ["# Command reference", "",
             "Generated from the commands' own help (`python -m accord.cli.reference`); every",
             "command also answers `--help`, and takes `--json` where it prints a result.", ""]
    for name, cmd in commands():
        lines += [f"## `{name}`", "", (cmd.help or "").strip(), ""]
        opts = _options(cmd)
        if opts:
            lines += ["| option | meaning |", "|---|---|", *opts, ""]
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")
