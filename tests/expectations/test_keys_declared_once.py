"""A mart's key and its never-null columns are declared once, in etl/contract.py: its gate suite
takes them from there, and the SQL model's header says the same key (a reader of the SQL sees
what the gate checks)."""

from __future__ import annotations

import re

import pytest

from etl.contract import MARTS, data_dictionary_markdown
from expectations import marts as mart_suites
from tests.helpers import PROJECT_ROOT


def _suite_key(mart: str) -> tuple[str, ...]:
    suite = getattr(mart_suites, mart)()
    keys = []
    for expectation in suite.expectations:
        kind = type(expectation).__name__
        if kind == "ExpectCompoundColumnsToBeUnique":
            keys.append(tuple(expectation.column_list))
        elif kind == "ExpectColumnValuesToBeUnique":
            keys.append((expectation.column,))
    assert len(keys) == 1, (mart, keys)
    return keys[0]


@pytest.mark.parametrize("mart", sorted(MARTS))
def test_the_gate_checks_the_contract_key_and_the_sql_header_states_it(mart):
    key = MARTS[mart].key
    assert _suite_key(mart) == key
    header = (PROJECT_ROOT / "sql" / "marts" / f"{mart}.sql").read_text(encoding="utf-8")
    match = re.search(r"primary key:\s*([\w, ]+?)\s*\*/", header)
    assert match, f"sql/marts/{mart}.sql has no 'primary key:' line in its header"
    assert tuple(c.strip() for c in match.group(1).split(",")) == key, (mart, match.group(1))


@pytest.mark.parametrize("mart", sorted(MARTS))
def test_the_gate_checks_exactly_the_never_null_columns_the_contract_declares(mart):
    spec = MARTS[mart]
    checked = [
        e.column
        for e in getattr(mart_suites, mart)().expectations
        if type(e).__name__ == "ExpectColumnValuesToNotBeNull"
    ]
    assert checked == list(spec.never_null), (mart, checked)
    assert set(spec.key) <= set(checked), f"{mart}: a key column may be null"
    columns = {c.name for c in spec.columns}
    assert set(spec.not_null) <= columns, f"{mart}: not_null names no column of the mart"


def test_the_data_dictionary_marks_the_never_null_columns():
    text = data_dictionary_markdown()
    for mart, spec in MARTS.items():
        section = text.split(f"## `{mart}`", 1)[1].split("\n## ", 1)[0]
        for column in spec.columns:
            (line,) = [r for r in section.splitlines() if r.startswith(f"| `{column.name}` |")]
            cells = [c.strip() for c in line.strip("|").split("|")]
            expected = "no" if column.name in spec.never_null else "yes"
            assert cells[2] == expected, (mart, column.name, line)
