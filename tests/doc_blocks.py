"""Read the fenced examples out of a Markdown doc, so tests can run every one of them."""

from __future__ import annotations

from pathlib import Path


def fenced_blocks(doc: Path, lang: str) -> list[str]:
    """Fenced blocks of `doc` whose info string is `lang` ("" for bare fences)."""
    found: list[str] = []
    current: list[str] | None = None
    keep = False
    for line in doc.read_text().splitlines():
        if current is None and line.startswith("```"):
            current, keep = [], line[3:].strip() == lang
        elif current is not None and line.strip() == "```":
            if keep:
                found.append("\n".join(current) + "\n")
            current = None
        elif current is not None:
            current.append(line)
    return found
