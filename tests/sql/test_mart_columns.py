"""Every published column of every mart (etl/contract.py) is asserted by a fixture test.

The fixture tests compare whole rows of each mart with the hand-worked rows of
`tests/sql/mart_expectations.py` (`test_models_on_fixture_rows.test_mart_rows_equal_hand_
worked_rows`, one case per row set). A column counts as asserted when an expected row of its
mart holds it. A column that truly cannot be asserted on fixture rows goes in ALLOWLIST with a
one-line reason; it is empty.
"""

from __future__ import annotations

from etl.contract import MARTS, MartSpec
from tests.sql import mart_expectations, test_models_on_fixture_rows

# (mart, column) -> why no fixture test can assert it
ALLOWLIST: dict[tuple[str, str], str] = {}


def unasserted(
    marts: dict[str, MartSpec],
    expected: dict[str, tuple[mart_expectations.MartRows, ...]],
    allowlist: dict[tuple[str, str], str],
) -> dict[str, list[str]]:
    """{mart: [columns no expected row holds and the allowlist does not excuse]}."""
    out = {}
    for name, spec in marts.items():
        asserted = {
            column for rows in expected.get(name, ()) for row in rows.rows for column in row
        }
        missing = [
            c.name
            for c in spec.columns
            if c.name not in asserted and (name, c.name) not in allowlist
        ]
        if missing:
            out[name] = missing
    return out


def test_every_mart_column_is_asserted():
    missing = unasserted(MARTS, mart_expectations.EXPECTED, ALLOWLIST)
    assert not missing, "columns no fixture test asserts: " + "; ".join(
        f"{mart}: {', '.join(columns)}" for mart, columns in missing.items()
    )


def test_the_expectations_name_only_contract_marts_and_columns():
    assert set(mart_expectations.EXPECTED) <= set(MARTS), "expectations for unknown marts"
    for mart, row_sets in mart_expectations.EXPECTED.items():
        contract = {c.name for c in MARTS[mart].columns}
        for rows in row_sets:
            assert rows.rows, f"{mart}: an empty row set asserts nothing"
            assert set(rows.key) <= contract, f"{mart}: key {rows.key} is not in the contract"
            for row in rows.rows:
                assert set(row) == contract, (
                    f"{mart}: a row lacks {sorted(contract - set(row))} "
                    f"or has {sorted(set(row) - contract)}"
                )


def test_every_row_set_is_compared_by_the_row_test():
    params = {tuple(p.values) for p in test_models_on_fixture_rows.ROW_SETS}
    wanted = {
        (mart, i)
        for mart, row_sets in mart_expectations.EXPECTED.items()
        for i in range(len(row_sets))
    }
    assert params == wanted
    marks = test_models_on_fixture_rows.test_mart_rows_equal_hand_worked_rows.pytestmark
    assert [m.args[1] for m in marks if m.name == "parametrize"] == [
        test_models_on_fixture_rows.ROW_SETS
    ]


def test_allowlist_entries_are_real_unasserted_columns_with_a_reason():
    for (mart, column), reason in ALLOWLIST.items():
        assert column in {c.name for c in MARTS[mart].columns}, (mart, column)
        assert reason.strip() and "\n" not in reason, (mart, column)
        asserted = {c for rows in mart_expectations.EXPECTED.get(mart, ()) for r in rows.rows
                    for c in r}  # fmt: skip
        assert column not in asserted, f"{mart}.{column} is asserted: drop it from ALLOWLIST"


def test_the_check_names_the_mart_and_the_column_a_row_set_leaves_out():
    # the meta-test itself can fail: drop one column from one row set and from every other
    real = mart_expectations.EXPECTED["fct_exemption_band"]
    trimmed = tuple(
        mart_expectations.MartRows(
            rows.fixture,
            rows.key,
            tuple({k: v for k, v in r.items() if k != "taxed_value_high_usd"} for r in rows.rows),
            rows.complete,
        )
        for rows in real
    )
    expected = {**mart_expectations.EXPECTED, "fct_exemption_band": trimmed}
    assert unasserted(MARTS, expected, {}) == {"fct_exemption_band": ["taxed_value_high_usd"]}
    without = {k: v for k, v in mart_expectations.EXPECTED.items() if k != "dim_weight_bases"}
    assert unasserted(MARTS, without, {}) == {
        "dim_weight_bases": [c.name for c in MARTS["dim_weight_bases"].columns]
    }
    excused = {("fct_exemption_band", "taxed_value_high_usd"): "reason"}
    assert unasserted(MARTS, expected, excused) == {}
