"""The error family at the command line: each class ends in its documented exit code with a
message on stderr; an unexpected exception is one line and exit 70, never a traceback
(unless ACCORD_DEBUG=1); Typer's usage errors keep exit 2. docs/cli.md's "Exit codes"
table is checked against the classes' `exit_code` attributes."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

import accord
from accord import errors
from accord.cli import INTERNAL_ERROR, app, main
from accord.cli import workspace as workspace_cli
from accord.errors import AccordError
from accord.org import errors as org_errors

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
runner = CliRunner()


def _documented() -> dict[str, int]:
    """class name -> exit code, from the "Exit codes" table of docs/cli.md."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    out: dict[str, int] = {}
    for line in section.splitlines():
        m = re.match(r"^\| (\d+) \| .* \|([^|]*)\|$", line)
        if m:
            for name in re.findall(r"`(\w+)`", m.group(2)):
                assert name not in out, f"{name} is listed twice"
                out[name] = int(m.group(1))
    return out


def _all_error_classes() -> set[type[AccordError]]:
    for mod in pkgutil.walk_packages(accord.__path__, "accord."):
        importlib.import_module(mod.name)
    found: set[type[AccordError]] = set()
    todo = [AccordError]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_documented_exit_codes_are_the_classes_exit_codes() -> None:
    documented = _documented()
    assert documented, "docs/cli.md has no Exit codes table"
    modules = (errors, org_errors)
    for name, code in documented.items():
        cls = next((getattr(m, name) for m in modules if hasattr(m, name)), None)
        assert cls is not None, f"{name} is documented but not defined"
        assert cls.exit_code == code, f"{name}: documented {code}, class says {cls.exit_code}"
    family = {n for n, v in vars(errors).items()
              if isinstance(v, type) and issubclass(v, AccordError)}
    assert family <= set(documented), f"undocumented: {sorted(family - set(documented))}"


def test_every_error_class_exits_with_a_documented_code_of_its_family() -> None:
    """A subclass defined anywhere in accord exits with the code of its nearest documented
    ancestor, so the table stays true without listing every class."""
    documented = _documented()
    for cls in _all_error_classes():
        ancestor = next(b for b in cls.__mro__ if b.__name__ in documented)
        assert cls.exit_code == documented[ancestor.__name__], (
            f"{cls.__module__}.{cls.__name__} exits {cls.exit_code}, its family "
            f"{ancestor.__name__} is documented as {documented[ancestor.__name__]}")


def test_exit_codes_are_distinct_per_family() -> None:
    assert {errors.AccordError.exit_code, errors.UsageError.exit_code,
            errors.ContractError.exit_code, errors.ImportFactsError.exit_code,
            errors.StoreError.exit_code, errors.WorkspaceError.exit_code} == {1, 2, 3, 4, 5, 6}
    assert INTERNAL_ERROR == 70


@pytest.mark.parametrize(("exc", "code", "expected"), [
    (errors.UnknownNameError("stage", "MQLL", ["Lead", "MQL", "SAL"]), 2,
     "✗ unknown stage 'MQLL'; did you mean 'MQL'?; known: Lead, MQL, SAL"),
    (errors.UsageError("--period: 'soon' is not a period"), 2,
     "✗ --period: 'soon' is not a period"),
    (errors.StoreError("cannot connect to PostgreSQL at db:5432"), 5,
     "✗ cannot connect to PostgreSQL at db:5432"),
    (errors.WorkspaceError("no contract at /x/accord.yaml"), 6, "✗ no contract at /x/accord.yaml"),
    (errors.NotComputedError("derived table 'scores' has not been computed; run `accord run`"),
     1, "✗ derived table 'scores' has not been computed; run `accord run`"),
    (errors.ImportFactsError("not a time", file="touches.csv", row=3, column="occurred_at"), 4,
     "✗ import refused touches.csv:3 column 'occurred_at': not a time"),
    (errors.ContractError(["accord.yaml:4 stages.MQL: bad", "accord.yaml:9 slas: worse"],
                          "accord.yaml"), 3, "✗ accord.yaml:4 stages.MQL: bad"),
])
def test_a_guarded_command_ends_in_its_class_exit_code(
        exc: AccordError, code: int, expected: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: object, **__: object) -> None:
        raise exc

    monkeypatch.setattr(workspace_cli, "workspace_status", boom)
    r = runner.invoke(app, ["status", "-w", str(tmp_path)])
    assert r.exit_code == code
    assert r.stdout == ""
    assert r.stderr.splitlines()[0] == expected
    assert "Traceback" not in r.output
    if isinstance(exc, errors.ContractError):
        assert r.stderr.splitlines()[1:] == ["✗ accord.yaml:9 slas: worse",
                                             "2 problem(s) in accord.yaml."]
    if isinstance(exc, errors.ImportFactsError):
        assert "Nothing was written" in r.stderr


def test_an_unexpected_exception_is_one_line_and_exit_70(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    def boom(*_: object, **__: object) -> None:
        raise KeyError("lead_id")

    monkeypatch.setattr(workspace_cli, "workspace_status", boom)
    monkeypatch.delenv("ACCORD_DEBUG", raising=False)
    with pytest.raises(SystemExit) as done:
        main(["status", "-w", str(tmp_path)])
    assert done.value.code == 70
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err == ("accord: internal error: KeyError: 'lead_id' — rerun with "
                       "ACCORD_DEBUG=1 for the traceback\n")


def test_accord_debug_shows_the_traceback(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: object, **__: object) -> None:
        raise KeyError("lead_id")

    monkeypatch.setattr(workspace_cli, "workspace_status", boom)
    monkeypatch.setenv("ACCORD_DEBUG", "1")
    with pytest.raises(KeyError):
        main(["status", "-w", str(tmp_path)])


def test_usage_errors_keep_exit_2_and_success_exits_0(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["status", "--no-such-option"])
    assert done.value.code == 2
    assert "No such option" in capsys.readouterr().err
    with pytest.raises(SystemExit) as done:
        main(["run", "--as-of", "yesterday", "-w", str(tmp_path)])
    assert done.value.code == 2
    assert "'yesterday' is not an ISO date" in capsys.readouterr().err
    with pytest.raises(SystemExit) as done:
        main(["init", str(tmp_path / "ws")])
    assert done.value.code == 0


def test_a_missing_contract_exits_6_through_main(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["contract", "show", str(tmp_path / "missing.yaml")])
    assert done.value.code == 6
    assert "no contract at" in capsys.readouterr().err


@pytest.mark.parametrize(("exc", "fields"), [
    (errors.ImportFactsError("not a time", file="touches.csv", row=3, column="occurred_at"),
     {"type": "ImportFactsError", "message": "not a time", "exit_code": 4,
      "file": "touches.csv", "row": 3, "column": "occurred_at"}),
    (errors.UnknownNameError("stage", "MQLL", ["MQL"]),
     {"type": "UnknownNameError", "exit_code": 2,
      "message": "unknown stage 'MQLL'; did you mean 'MQL'?; known: MQL"}),
    (errors.StoreError("cannot connect to PostgreSQL at db:5432"),
     {"type": "StoreError", "exit_code": 5, "message": "cannot connect to PostgreSQL at db:5432"}),
    (errors.ContractError(["accord.yaml:4 stages.MQL: bad", "accord.yaml:9 slas: worse"],
                          "accord.yaml"),
     {"type": "ContractError", "exit_code": 3, "path": "accord.yaml",
      "issues": ["accord.yaml:4 stages.MQL: bad", "accord.yaml:9 slas: worse"]}),
])
def test_under_json_an_error_is_one_json_object_on_stdout(
        exc: AccordError, fields: dict[str, object], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: object, **__: object) -> None:
        raise exc

    monkeypatch.setattr(workspace_cli, "workspace_status", boom)
    r = runner.invoke(app, ["status", "-w", str(tmp_path), "--json"])
    assert r.exit_code == fields["exit_code"]
    body = json.loads(r.stdout)["error"]  # the whole of stdout is one object
    assert {k: body[k] for k in fields} == fields
    assert r.stderr == ""


def test_a_refused_import_under_json_names_file_row_and_column(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    data = tmp_path / "data"
    data.mkdir()
    (data / "accounts.csv").write_text(f"account_id,name,employees\nA1,Acme,12\nA2,Glob,{2**63}\n")
    r = runner.invoke(app, ["import", str(data), "-w", str(ws), "--json"])
    assert r.exit_code == 4
    body = json.loads(r.stdout)["error"]
    assert (Path(body["file"]).name, body["row"], body["column"]) == ("accounts.csv", 2,
                                                                     "employees")
    assert "out of range for a 64-bit integer" in body["message"]
    status = runner.invoke(app, ["status", "-w", str(ws), "--json"])
    assert json.loads(status.stdout)["counts"]["accounts"] == 0  # nothing was written


def _commands(group: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    for name, cmd in group.commands.items():
        if hasattr(cmd, "commands"):  # a group of commands
            yield from _commands(cmd, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", cmd


def test_every_json_flag_reaches_the_json_error_object() -> None:
    """`guarded` prints the JSON error object when the command's `as_json` is set, so every
    command's `--json` flag must be that parameter."""
    root = typer.main.get_command(app)
    commands = dict(_commands(root))
    assert "import" in commands and "status" in commands
    wrong = [name for name, cmd in commands.items() for p in cmd.params
             if "--json" in getattr(p, "opts", ()) and p.name != "as_json"]
    assert wrong == []
