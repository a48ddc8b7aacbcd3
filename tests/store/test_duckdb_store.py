"""DuckDB store settings a user relies on."""

from __future__ import annotations

from pathlib import Path

from accord.store import open_store


def test_progress_bar_is_off_so_json_on_stdout_stays_clean(tmp_path: Path) -> None:
    # DuckDB prints a progress bar on stdout for queries longer than two seconds; on a
    # large store it would land inside `accord ... --json` output.
    store = open_store(tmp_path / "s.duckdb")
    try:
        [(enabled,)] = store.raw.execute(
            "SELECT current_setting('enable_progress_bar')").fetchall()
    finally:
        store.close()
    assert enabled is False
