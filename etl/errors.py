"""Exceptions that carry enough context to be printed as one clear line.

`clip` and `escape_control` keep a message safe to print: data quoted in an error (a field, a
value) is cut to a few dozen characters and its control characters are shown escaped, so an
error never dumps a file's content or drives the terminal.
"""

from __future__ import annotations

import re

FIELD_LIMIT = 80  # characters of a quoted field or value in a message
PATH_LIMIT = 300  # characters of a file path in a message (the path is what the user needs)
MESSAGE_LIMIT = 400  # characters of a whole one-line message (the CLI caps what it prints)

# C0 and C1 controls, DEL, and the bidirectional overrides/isolates (text that reorders itself)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_control(text: str) -> str:
    """Control characters as visible escapes (`\\x1b`, `\\n`, `\\u202e`); the rest unchanged."""

    def escaped(match: re.Match[str]) -> str:
        char = match.group()
        if char in _NAMED:
            return _NAMED[char]
        return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"

    return _CONTROL.sub(escaped, text)


def clip(value: object, limit: int = FIELD_LIMIT) -> str:
    """`value` as safe, short text: control characters escaped, cut to `limit` characters."""
    text = escape_control(value if isinstance(value, str) else str(value))
    if len(text) <= limit:
        return text
    return f"{text[: max(limit - 1, 1)]}… (+{len(text) - limit + 1} chars)"


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
            where.append(f"column '{clip(field)}'")
        msg = f"{', '.join(where)}: {clip(problem, MESSAGE_LIMIT // 2)}"
        if value is not None:
            msg += f" (got {clip(repr(value))})"
        if expected is not None:
            msg += f"; expected {clip(expected, MESSAGE_LIMIT // 4)}"
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


class SettingsError(EtlError):
    """An environment variable or a path setting is invalid (named with its allowed values)."""


class Interrupted(BaseException):  # noqa: N818 - like KeyboardInterrupt, not an error
    """SIGTERM received: raised in the main thread so runs are marked failed and locks freed."""

    def __init__(self, signum: int) -> None:
        import signal

        self.signum = signum
        super().__init__(f"interrupted by {signal.Signals(signum).name}")
