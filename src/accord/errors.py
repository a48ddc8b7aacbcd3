"""One exception family for accord. Callers match on the class, never on message text."""

from __future__ import annotations


class AccordError(Exception):
    """Root of every error accord raises on purpose."""


class ContractError(AccordError, ValueError):
    """The contract file has problems; `issues` holds every one of them."""

    def __init__(self, issues: list, path: str | None = None) -> None:
        self.issues = list(issues)
        self.path = path
        shown = self.issues[:20]
        lines = [str(i) for i in shown]
        if len(self.issues) > len(shown):
            lines.append(f"… and {len(self.issues) - len(shown)} more")
        super().__init__("\n".join(lines) if lines else "invalid contract")


class CriteriaSyntaxError(AccordError, ValueError):
    """A criteria expression could not be parsed. `column` is 1-based within the text."""

    def __init__(self, message: str, text: str, column: int) -> None:
        self.message = message
        self.text = text
        self.column = column
        super().__init__(f"{message} at column {column}: {text!r}")


class ImportFactsError(AccordError, ValueError):
    """A fact file could not be imported. Carries file, row (1-based data row) and column."""

    def __init__(self, message: str, file: str | None = None, row: int | None = None,
                 column: str | None = None) -> None:
        self.message = message
        self.file = file
        self.row = row
        self.column = column
        where = ":".join(str(p) for p in (file, row) if p is not None)
        col = f" column {column!r}" if column else ""
        super().__init__(f"{where}{col}: {message}" if where or col else message)


class StoreError(AccordError, RuntimeError):
    """The store could not be opened or written."""


class EngineError(AccordError, ValueError):
    """An event or decision the engine refuses; the message names the record."""


class WorkspaceError(AccordError, FileNotFoundError):
    """No workspace / contract where one was expected."""
