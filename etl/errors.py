"""Exceptions that carry enough context to be printed as one clear line."""

from __future__ import annotations


class EtlError(Exception):
    """Base class: anything the CLI prints as one line (no traceback without --debug)."""


class SourceFormatError(EtlError):
    """A landing file does not have the layout its adapter expects."""

    def __init__(
        self,
        file: str,
        problem: str,
        *,
        sheet: str | None = None,
        row: int | None = None,
        field: str | None = None,
        value: object = None,
        expected: str | None = None,
    ) -> None:
        self.file, self.sheet, self.row, self.field = file, sheet, row, field
        self.value, self.expected, self.problem = value, expected, problem
        where = [f"file {file}"]
        if sheet is not None:
            where.append(f"sheet {sheet!r}")
        if row is not None:
            where.append(f"row {row}")
        if field is not None:
            where.append(f"column {field!r}")
        msg = f"{', '.join(where)}: {problem}"
        if value is not None:
            msg += f" (got {value!r})"
        if expected is not None:
            msg += f"; expected {expected}"
        super().__init__(msg)


class ReconciliationError(EtlError):
    """Rows read != rows loaded + rows quarantined, or a total that does not reconcile."""


class QualityGateError(EtlError):
    """A critical expectation failed: the run stops before publish."""


class ModelError(EtlError):
    """A SQL model is invalid: unknown reference, cycle, or a DuckDB error while building it."""


class LockError(EtlError):
    """Another process holds the warehouse lock."""


class ContractError(EtlError):
    """A mart's columns or types differ from the published contract (etl/contract.py)."""
