"""Read YAML while remembering where every key and value sits in the file.

PyYAML's composer gives node positions; we walk the node tree ourselves so that each
path (`slas.speed_to_lead.within`) maps to a 1-based line and column, and so that
duplicate keys — which plain `yaml.safe_load` silently overwrites — are reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Position:
    line: int
    column: int


@dataclass
class YamlSource:
    """Parsed data plus positions of keys and values by path."""

    data: Any
    key_positions: dict[Path, Position] = field(default_factory=dict)
    value_positions: dict[Path, Position] = field(default_factory=dict)
    duplicates: list[tuple[Path, Position, Position]] = field(default_factory=list)

    def position(self, path: Path, *, prefer_key: bool = False) -> Position:
        """Best position for `path`: the value (or key) itself, else the nearest ancestor."""
        p = tuple(path)
        while True:
            first, second = (
                (self.key_positions, self.value_positions)
                if prefer_key
                else (self.value_positions, self.key_positions)
            )
            if p in first:
                return first[p]
            if p in second:
                return second[p]
            if not p:
                return Position(1, 1)
            p = p[:-1]


class YamlSyntaxError(Exception):
    def __init__(self, message: str, line: int, column: int) -> None:
        self.message = message
        self.line = line
        self.column = column
        super().__init__(f"line {line}: {message}")


def _pos(mark: yaml.Mark) -> Position:
    return Position(mark.line + 1, mark.column + 1)


def load_yaml_source(text: str) -> YamlSource:
    """Parse `text`; raise YamlSyntaxError with a line for malformed YAML."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YamlSyntaxError(str(exc.problem or exc), line, col) from exc
    except yaml.reader.ReaderError as exc:  # a control character: no mark, a position
        pos = max(0, min(int(exc.position), len(text)))
        line = text.count("\n", 0, pos) + 1
        col = pos - (text.rfind("\n", 0, pos) + 1) + 1
        ch = exc.character
        code = ch if isinstance(ch, int) else (ch[0] if ch else 0)
        raise YamlSyntaxError(f"character #x{code:04x} is not allowed in YAML (a control "
                              "character)", line, col) from exc
    src = YamlSource(data=None)
    if root is None:
        src.data = {}
        return src
    constructor = yaml.SafeLoader(text)
    try:
        src.data = _build(root, (), src, constructor)
    finally:
        constructor.dispose()
    return src


def _build(node: yaml.Node, path: Path, src: YamlSource, ctor: yaml.SafeLoader) -> Any:
    src.value_positions[path] = _pos(node.start_mark)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        seen: dict[Any, Position] = {}
        for key_node, value_node in node.value:
            key = ctor.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool):
                key = str(key)
            key_str = key if isinstance(key, str) else str(key)
            child = (*path, key_str)
            kpos = _pos(key_node.start_mark)
            if key_str in seen:
                src.duplicates.append((child, seen[key_str], kpos))
                continue
            seen[key_str] = kpos
            src.key_positions[child] = kpos
            out[key_str] = _build(value_node, child, src, ctor)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), src, ctor) for i, item in enumerate(node.value)]
    return ctor.construct_object(node, deep=True)
