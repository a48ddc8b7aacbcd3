"""Getting facts into the store: a folder in the canonical format (`fact_folder`) or files
in a company's own format through a column mapping (`mapping`)."""

from __future__ import annotations

from pathlib import Path

from accord.ingest.fact_folder import ImportResult, import_fact_folder
from accord.store.base import Store


def import_facts(store: Store, path: str | Path, mapping: str | Path | None = None
                 ) -> ImportResult:
    """Import the facts at `path` in one transaction: a folder of canonical fact files
    (`docs/facts.md`), or, with `mapping`, the source files a column-mapping YAML reads
    from `path`. Every file is checked before anything is written (`ImportFactsError`
    names the file, row and column); importing the same facts again changes nothing."""
    if mapping is not None:
        from accord.ingest.mapping import import_mapping

        return import_mapping(store, mapping, path)
    return import_fact_folder(store, path)


__all__ = ["ImportResult", "import_facts"]
