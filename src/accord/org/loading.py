"""Read a profile or chart YAML file and validate it, naming the file, line and field.

Pydantic checks the shape; each of its errors becomes an `InputIssue` with the YAML
path (`people[3].reports_to`) and the line it sits on, so a user can go straight to
the mistake. Values supplied as command-line flags are reported by flag name instead.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from accord.contract.yaml_source import YamlSource, YamlSyntaxError, load_yaml_source
from accord.org.errors import InputIssue, OrgInputError

M = TypeVar("M", bound=BaseModel)


def read_yaml(path: Path) -> YamlSource:
    """Parse `path`, keeping positions; unreadable or malformed files raise OrgInputError."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise OrgInputError([InputIssue(str(path), "", f"cannot read: {exc.strerror}")]) from exc
    try:
        src = load_yaml_source(text)
    except YamlSyntaxError as exc:
        raise OrgInputError([InputIssue(str(path), "", exc.message, exc.line)]) from exc
    issues = [
        InputIssue(str(path), dotted(p), f"duplicate key (first at line {first.line})", dup.line)
        for p, first, dup in src.duplicates
    ]
    if not isinstance(src.data, dict):
        issues.append(InputIssue(str(path), "", "expected a mapping at the top level", 1))
    if issues:
        raise OrgInputError(issues)
    return src


def validate(
    model: type[M],
    data: Mapping[str, Any],
    *,
    file: str,
    src: YamlSource | None = None,
    flags: Mapping[str, str] | None = None,
) -> M:
    """Validate `data` as `model`; every problem is collected into one OrgInputError.

    `flags` maps a field (`employees`, or a dotted path such as `current.roles`) to the
    command-line flag that supplied it, so an error in a flag's value names the flag
    rather than the file. An unknown value names it, the closest allowed one and all.
    """
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        issues = [_issue(model, err, file, src, flags or {}) for err in exc.errors()]
        raise OrgInputError(issues) from exc


def dotted(path: tuple[str | int, ...]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _issue(
    model: type[BaseModel], err: Any, file: str, src: YamlSource | None, flags: Mapping[str, str]
) -> InputIssue:
    loc = tuple(p for p in err["loc"] if isinstance(p, str | int))
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        known = _fields_at(model, loc[:-1])
        guess = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
        message = "unknown field" + (f" (did you mean {guess[0]!r}?)" if guess else "")
        if known and not guess:
            message += f"; expected one of: {', '.join(sorted(known))}"
    elif err["type"] in ("literal_error", "enum"):
        expected = _expected(err)
        guess = difflib.get_close_matches(str(err.get("input")), expected, n=1, cutoff=0.6)
        message = f"unknown value {err.get('input')!r}" + (
            f"; did you mean {guess[0]!r}?" if guess else "") + (
            f"; expected one of: {', '.join(expected)}" if expected else f" ({message})")
    for depth in range(len(loc), 0, -1):  # the flag that gave the value (most precise)
        key = ".".join(str(p) for p in loc[:depth])
        if key in flags:
            return InputIssue(flags[key], dotted(loc[depth:]), message)
    line = src.position(loc).line if src is not None else None
    return InputIssue(file, dotted(loc), message, line)


def _expected(err: Any) -> list[str]:
    """The allowed values of a literal / enum error (pydantic puts them in `ctx`)."""
    text = str((err.get("ctx") or {}).get("expected", ""))
    return [v.strip().strip("'") for v in text.replace(" or ", ", ").split(",") if v.strip()]


def _fields_at(model: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    """Field names of the model reached by following `loc` through nested models/lists."""
    current: Any = model
    for part in loc:
        current = _unwrap_optional(current)
        if isinstance(part, str):
            if not _is_model(current):
                return []
            field = current.model_fields.get(part)
            if field is None:
                return []
            current = field.annotation
        else:
            if typing.get_origin(current) not in (tuple, list):
                return []
            args = [a for a in typing.get_args(current) if a is not Ellipsis]
            current = args[0] if args else None
    current = _unwrap_optional(current)
    return list(current.model_fields) if _is_model(current) else []


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _unwrap_optional(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation
