"""A mart's key is declared once, in etl/contract.py: its gate suite takes it from there, and the
SQL model's header says the same key (a reader of the SQL sees what the gate checks)."""

from __future__ import annotations

import re

import pytest

from etl.contract import MARTS
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
