"""Load and validate `accord.yaml`, reporting every problem at once with its line.

Order: YAML syntax (one issue, nothing more can be read), then duplicate keys, the schema
(pydantic: unknown fields, wrong types, bad values) and the cross-section rules
(`contract/rules.py`). All issues are collected, sorted by line, then raised together.
"""

from __future__ import annotations

import hashlib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from accord.contract.issues import ContractIssue, did_you_mean, dotted
from accord.contract.rules import RULES
from accord.contract.schema import Contract
from accord.contract.yaml_source import YamlSource, YamlSyntaxError, load_yaml_source
from accord.errors import ContractError, WorkspaceError

CONTRACT_FILE = "accord.yaml"


@dataclass(frozen=True)
class LoadedContract:
    contract: Contract
    path: Path | None
    sha256: str
    source: YamlSource

    @property
    def version(self) -> int:
        return self.contract.version


def check_contract_text(text: str, file: str = CONTRACT_FILE) -> tuple[Contract | None,
                                                                         list[ContractIssue]]:
    """Validate contract text; return the contract (None if invalid) and every issue."""
    try:
        src = load_yaml_source(text)
    except YamlSyntaxError as exc:
        return None, [ContractIssue("", f"not valid YAML: {exc.message}", exc.line, exc.column,
                                    file)]
    if not isinstance(src.data, dict):
        return None, [ContractIssue("", "the contract must be a mapping of sections "
                                        "(version, owners, stages, …)", 1, 1, file)]
    issues: list[ContractIssue] = []
    for path, first, again in src.duplicates:
        issues.append(ContractIssue(dotted(path), f"duplicate id {path[-1]!r}", again.line,
                                    again.column, file,
                                    f"first defined at line {first.line}"))
    contract: Contract | None = None
    try:
        contract = Contract.model_validate(src.data)
    except ValidationError as exc:
        issues.extend(_schema_issues(exc, src, file))
    for rule in RULES:
        for finding in rule(src.data):
            pos = src.position(finding.path, prefer_key=finding.at_key)
            column = pos.column
            if finding.expr_column is not None:
                column += finding.expr_column - 1
            issues.append(ContractIssue(dotted(finding.path), finding.message, pos.line, column,
                                        file, finding.hint))
    issues = sorted(set(issues), key=lambda i: (i.line, i.column, i.path, i.message))
    errors = [i for i in issues if i.level == "error"]
    return (contract if not errors else None), issues


def contract_file(path: str | Path) -> Path:
    """The contract file `path` names: the file itself, or a workspace folder's
    `accord.yaml`; `WorkspaceError` when there is none."""
    p = Path(path)
    if p.is_dir():
        p = p / CONTRACT_FILE
    if not p.exists():
        raise WorkspaceError(f"no contract at {p}; run `accord init` to write a starter one")
    return p


def load_contract(path: str | Path) -> LoadedContract:
    """Read and validate a contract file; raise ContractError listing every problem."""
    p = contract_file(path)
    text = p.read_text(encoding="utf-8")
    contract, issues = check_contract_text(text, str(p))
    if contract is None:
        raise ContractError([i for i in issues if i.level == "error"], str(p))
    return LoadedContract(contract, p, hashlib.sha256(text.encode()).hexdigest(),
                          load_yaml_source(text))


def load_contract_text(text: str, file: str = CONTRACT_FILE) -> Contract:
    contract, issues = check_contract_text(text, file)
    if contract is None:
        raise ContractError([i for i in issues if i.level == "error"], file)
    return contract


# --- pydantic errors -> issues -------------------------------------------------------------

_TYPE_SUFFIXES = ("_type", "_parsing")


def _schema_issues(exc: ValidationError, src: YamlSource, file: str) -> list[ContractIssue]:
    out: list[ContractIssue] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        path = _data_path(loc, src.data)
        kind = err["type"]
        msg = str(err["msg"]).removeprefix("Value error, ")
        hint = None
        at_key = False
        if kind == "extra_forbidden":
            name = str(path[-1])
            msg = f"unknown field {name!r}"
            hint = did_you_mean(name, _allowed_fields(loc[:-1]))
            at_key = True
        elif kind == "missing":
            msg = f"missing required field {path[-1]!r}"
            if len(path) == 3 and path[0] == "stages" and path[2] == "owner":
                msg = f"stage {path[1]!r} has no owner"
                hint = "every stage needs an owner (seed 000)"
            pos = src.position(path[:-1], prefer_key=True)
            out.append(ContractIssue(dotted(path), msg, pos.line, pos.column, file, hint))
            continue
        elif kind == "union_tag_not_found":
            msg = "missing 'kind'"
            hint = "one of first_touch, min_touches, accept_or_reject, volume"
        elif kind.endswith(_TYPE_SUFFIXES) or kind.startswith("literal"):
            msg = f"{msg}, got {err.get('input')!r}"
        elif kind == "too_short" and path == ("rejection_reasons",):
            msg = "rejection reason list is empty"
        pos = src.position(path, prefer_key=at_key)
        out.append(ContractIssue(dotted(path), msg, pos.line, pos.column, file, hint))
    return out


def _data_path(loc: tuple[Any, ...], data: Any) -> tuple[str | int, ...]:
    """Map a pydantic error location onto the YAML data, dropping union tags."""
    out: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and node.get("kind") == part:
            continue  # discriminated-union tag (an SLA's kind), not a key
        if isinstance(node, dict) and str(part) in node:
            out.append(str(part))
            node = node[str(part)]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            out.append(part)
            node = node[part]
        elif isinstance(node, dict) and part not in ("function-before", "function-after"):
            # either a union tag (skip) or a key absent from the data (missing field)
            if _looks_like_tag(part, node):
                continue
            out.append(str(part))
            node = None
        else:
            continue
    return tuple(out)


def _looks_like_tag(part: Any, node: dict[str, Any]) -> bool:
    return isinstance(part, str) and (node.get("kind") == part or part[:1].isupper()
                                      or part.startswith(("literal[", "function-")))


def _allowed_fields(loc: tuple[Any, ...]) -> list[str]:
    """Field names (aliases) allowed at `loc`, walking the schema's annotations."""
    ann: Any = Contract
    for part in loc:
        ann = _step(ann, part)
        if ann is None:
            return []
    model = _as_model(ann)
    if model is None:
        return []
    return [f.alias or n for n, f in model.model_fields.items()]


def _as_model(ann: Any) -> type[BaseModel] | None:
    ann = _unwrap(ann)
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    return None


def _unwrap(ann: Any) -> Any:
    while typing.get_origin(ann) is typing.Annotated:
        ann = typing.get_args(ann)[0]
    return ann


def _step(ann: Any, part: Any) -> Any:
    ann = _unwrap(ann)
    model = _as_model(ann)
    if model is not None:
        for name, field in model.model_fields.items():
            if part in (name, field.alias):
                return field.annotation
        return None
    origin = typing.get_origin(ann)
    args = typing.get_args(ann)
    if origin is dict:
        return args[1]
    if origin in (list, tuple):
        return args[0]
    if origin in (typing.Union, types.UnionType):
        for arg in args:
            m = _as_model(arg)
            if m is None:
                continue
            kind = m.model_fields.get("kind")
            tags = typing.get_args(kind.annotation) if kind is not None else ()
            if m.__name__ == part or part in tags:
                return m
        models = [a for a in args if _as_model(a) is not None]
        return models[0] if len(models) == 1 else None
    return None
