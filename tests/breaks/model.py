"""A deliberate break of the source code: a test suite is only as good as the breaks it catches.

Each `Break` is one `str.replace` on one source file (`old` occurs exactly once) and the pytest
node ids that must fail while it is applied (and pass once it is reverted)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Break:
    name: str  # what breaks, in a few words
    path: str  # source file, relative to the project root
    old: str  # exact text, occurring exactly once in the file
    new: str  # what it is replaced by while the break is applied
    tests: list[str] = field(default_factory=list)  # pytest node ids that must fail
