"""docs/org.md: every YAML snippet validates and every `accord org` command in it runs.

`accord org health` lines are not run here: they need a filled workspace (`accord demo`)
or a PostgreSQL store; test_org_health.py runs the command against a workspace.
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from accord.cli import org
from accord.org.chart import chart_from_data
from accord.org.profile import CompanyProfile

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "org.md").read_text(encoding="utf-8")


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", DOC, flags=re.S)


def commands() -> list[tuple[str, int]]:
    out = []
    for block in blocks("bash"):
        for line in block.splitlines():
            if not line.startswith("accord org ") or line.startswith("accord org health"):
                continue
            command, _, comment = line.partition("#")
            code = int(m.group(1)) if (m := re.search(r"exits (\d)", comment)) else 0
            out.append((command.strip(), code))
    return out


def test_doc_yaml_snippets_are_valid_profiles_or_charts() -> None:
    snippets = [yaml.safe_load(b) for b in blocks("yaml")]
    assert len(snippets) == 2
    for data in snippets:
        if "people" in data:
            chart_from_data(data, file="docs/org.md")
        else:
            CompanyProfile.model_validate(data)


@pytest.mark.parametrize(("command", "code"), commands())
def test_doc_command_runs(command: str, code: int, tmp_path: Path,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    app = typer.Typer()
    app.add_typer(org.app, name="org")
    result = CliRunner().invoke(app, shlex.split(command)[1:])
    assert result.exit_code == code, result.output
    if " -o " in command:
        assert (tmp_path / shlex.split(command)[-1]).stat().st_size > 0


def test_every_lint_rule_is_documented() -> None:
    from accord.org.rules import ALL_RULES

    names = {f.__name__.replace("_", "-") for f in ALL_RULES}
    documented = set(re.findall(r"^\| `([a-z-]+)` \| (?:error|warning)", DOC, flags=re.M))
    assert documented == names
