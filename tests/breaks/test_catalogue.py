"""The break catalogue stays applicable: `make breaks` would otherwise prove nothing."""

from __future__ import annotations

import re
from pathlib import Path

from tests.breaks.catalogue import all_breaks

ROOT = Path(__file__).resolve().parents[2]


def test_the_catalogue_holds_the_eight_breaks_of_the_issue_and_names_are_unique():
    names = [b.name for b in all_breaks()]
    assert len(names) >= 8, names
    assert len(set(names)) == len(names), names


def test_every_break_applies_to_exactly_one_place_and_changes_the_file():
    for brk in all_breaks():
        text = (ROOT / brk.path).read_text(encoding="utf-8")
        assert text.count(brk.old) == 1, (
            f"{brk.name}: its text occurs {text.count(brk.old)} times in {brk.path}"
        )
        assert brk.new != brk.old, brk.name


def test_every_test_a_break_names_exists():
    for brk in all_breaks():
        assert brk.tests, f"{brk.name} names no test"
        for node in brk.tests:
            file, _, name = node.partition("::")
            path = ROOT / file
            assert path.is_file(), f"{brk.name}: {file} does not exist"
            if name:
                func = name.split("::")[-1].split("[")[0]
                assert re.search(rf"^\s*def {re.escape(func)}\(", path.read_text(), re.M), (
                    f"{brk.name}: no test {func} in {file}"
                )
