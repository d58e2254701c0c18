"""fct_average_tariff on the bundled data: the README's "ours" column, and both bases recomputed
from the published timeline and the raw 2017 trade weights with pandas (not the mart's SQL)."""

from __future__ import annotations

import re
from datetime import date

import pandas as pd
import pytest

from tests.helpers import PROJECT_ROOT

pytestmark = pytest.mark.e2e

WEIGHTED = "trade_weighted"
SIMPLE = "simple"
CHECKED_DATES = [date(2018, 7, 6), date(2019, 6, 1), date(2025, 11, 10)]


def readme_average_table() -> dict[date, dict[str, str]]:
    """README's table under "What a run answers today": as-of date -> its cells by header."""
    lines = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| as of | what happened"))
    header = [c.strip() for c in lines[start].strip("|").split("|")]
    rows = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = dict(zip(header, (c.strip() for c in line.strip("|").split("|")), strict=True))
        rows[date.fromisoformat(cells["as of"])] = cells
    return rows


def test_readme_table_is_parsed():
    rows = readme_average_table()
    assert len(rows) >= 10
    assert all(re.fullmatch(r"\d+\.\d\d", r["avg. applied tariff: ours"]) for r in rows.values())


def test_readme_ours_column_is_the_published_trade_weighted_average(marts_con):
    readme = readme_average_table()
    mart = dict(
        marts_con.execute(
            "select as_of_date, avg_applied_rate_pct from fct_average_tariff "
            "where average_method = ?",
            [WEIGHTED],
        ).fetchall()
    )
    wrong = {
        str(d): (cells["avg. applied tariff: ours"], f"{mart.get(d, float('nan')):.2f}")
        for d, cells in readme.items()
        if d not in mart or f"{mart[d]:.2f}" != cells["avg. applied tariff: ours"]
    }
    assert not wrong, f"README 'ours' column vs fct_average_tariff ({WEIGHTED}): {wrong}"


def test_readme_covered_and_share_columns_are_the_published_coverage(marts_con):
    readme = readme_average_table()
    mart = {
        d: (covered, total)
        for d, covered, total in marts_con.execute(
            "select as_of_date, sum(covered_value_usd), sum(total_value_usd) "
            "from fct_retaliation_coverage group by 1"
        ).fetchall()
    }
    for d, cells in readme.items():
        covered, total = mart[d]
        assert f"{covered / 1e9:.2f}" == cells["covered ($B)"], d
        assert f"{100 * covered / total:.1f}%" == cells["share"], d


@pytest.fixture
def recomputed(published, marts_con) -> dict[date, dict[str, float]]:
    """Both averages per date, from fct_tariff_timeline and the raw PIIE trade rows."""
    settings, _ = published
    flows = marts_con.execute(
        "select hs_code, hs_revision, trade_value_usd from read_parquet(?) "
        "where source = 'piie_itc_trade_map' and flow = 'import' and hs_level = 8",
        [str(settings.current_dir / "raw" / "trade_flows" / "*.parquet")],
    ).df()
    timeline = marts_con.execute(
        "select hs8_code, hs_revision, valid_from_date, valid_to_date, applied_rate_pct "
        "from fct_tariff_timeline"
    ).df()
    timeline = timeline[timeline["hs_revision"].isin(set(flows["hs_revision"]))]
    valid_from = pd.to_datetime(timeline["valid_from_date"])
    valid_to = pd.to_datetime(timeline["valid_to_date"])
    out = {}
    for day in CHECKED_DATES:
        when = pd.Timestamp(day)
        in_force = timeline[(valid_from <= when) & (valid_to.isna() | (valid_to > when))]
        # an HS8's rate: the mean of its national lines (pandas skips lines without a rate)
        hs8 = in_force.groupby(["hs8_code", "hs_revision"], as_index=False)["applied_rate_pct"]
        hs8 = hs8.mean()
        joined = flows.merge(
            hs8, left_on=["hs_code", "hs_revision"], right_on=["hs8_code", "hs_revision"]
        )
        joined = joined[joined["applied_rate_pct"].notna()]
        value = joined["trade_value_usd"]
        out[day] = {
            WEIGHTED: float((value * joined["applied_rate_pct"]).sum() / value.sum()),
            "weighted_value_usd": float(value.sum()),
            "excluded_value_usd": float(flows["trade_value_usd"].sum() - value.sum()),
            SIMPLE: float(hs8["applied_rate_pct"].mean()),
        }
    return out


@pytest.mark.parametrize("day", CHECKED_DATES, ids=str)
def test_trade_weighted_average_recomputed_from_timeline_and_trade(marts_con, recomputed, day):
    row = marts_con.execute(
        "select avg_applied_rate_pct, weighted_value_usd, excluded_value_usd "
        "from fct_average_tariff where average_method = ? and as_of_date = ?",
        [WEIGHTED, day],
    ).fetchone()
    expected = recomputed[day]
    assert row[0] == pytest.approx(expected[WEIGHTED], abs=1e-9), (
        f"{WEIGHTED} on {day}: mart {row[0]}, recomputed {expected[WEIGHTED]}"
    )
    assert row[1] == pytest.approx(expected["weighted_value_usd"], abs=0.5)
    assert row[2] == pytest.approx(expected["excluded_value_usd"], abs=0.5)


@pytest.mark.parametrize("day", CHECKED_DATES, ids=str)
def test_simple_average_recomputed_from_timeline(marts_con, recomputed, day):
    (value,) = marts_con.execute(
        "select avg_applied_rate_pct from fct_average_tariff "
        "where average_method = ? and as_of_date = ?",
        [SIMPLE, day],
    ).fetchone()
    assert value == pytest.approx(recomputed[day][SIMPLE], abs=1e-9), (
        f"{SIMPLE} on {day}: mart {value}, mean of the HS8 applied rates of the timeline "
        f"{recomputed[day][SIMPLE]} (does the simple average still include the retaliation?)"
    )
