"""China's tariff actions 2018-2025 folded over the bundled data, checked against the sources the
test reads itself: the action files (YAML), PIIE's workbook, PIIE's HS6 list of December 2019,
the ITA matrix CSV and the two annex PDFs of 10 March 2025."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from datetime import date
from functools import cache

import duckdb
import pytest
import yaml
from pypdf import PdfReader
from python_calamine import CalamineWorkbook

from tests.helpers import LANDING, PIIE_XLSX, PROJECT_ROOT

pytestmark = pytest.mark.e2e

ACTIONS_DIR = PROJECT_ROOT / "data" / "reference" / "tariff_actions"
ITA_CSV = LANDING / "ita_retaliation_matrix" / "underlying_trade_retaliations.csv"
HS6_LIST = LANDING / "tradewar_tracker" / "new_tariff_list_2020.csv"
ANNEXES = LANDING / "china_retaliation_2025"
PIIE_EVENTS = LANDING / "piie_trade_war_chart" / "tariffs_bown_timeline.csv"
SOY_2018, SOY_2025 = "1201901000", "12019011"
BLANKET_START = date(2025, 4, 10)


@pytest.fixture(scope="module")
def con(published) -> duckdb.DuckDBPyConnection:
    settings, _ = published
    con = duckdb.connect(str(settings.duckdb_path), read_only=True)
    yield con
    con.close()


# --- the sources, read by the test -------------------------------------------------------


@cache
def yaml_actions() -> dict[str, dict]:
    """Every action record of the shipped files, read with plain YAML: {action_id: record}."""
    out = {}
    for path in sorted(ACTIONS_DIR.glob("*.yaml")):
        for record in yaml.safe_load(path.read_text(encoding="utf-8"))["actions"]:
            out[record["action_id"]] = record
    return out


def in_force(record: dict) -> bool:
    return record.get("status", "in_force") == "in_force"


@cache
def workbook_sheet(name: str) -> list[list]:
    return CalamineWorkbook.from_path(str(PIIE_XLSX)).get_sheet_by_name(name).to_python()


def schedule_hs10() -> list[str]:
    """The 2018 national lines of PIIE's `China Tariff Rates` sheet."""
    return [str(row[0]) for row in workbook_sheet("China Tariff Rates")[1:] if row[0]]


@cache
def ita_matrix() -> dict[str, float]:
    """China's lines of the ITA matrix: {CN8 code: total retaliatory rate, percent}."""
    with ITA_CSV.open(encoding="utf-8-sig", newline="") as fh:
        return {
            row[" Foreign National Tariff Line"]: float(
                row["Current Total Estimated Retaliatory Tariff"].removesuffix("%")
            )
            for row in csv.DictReader(fh)
            if row["Country"] == "China"
        }


@cache
def annex_codes() -> dict[str, float]:
    """{code: additional rate} of both annex PDFs: the rate is only in each annex's title."""
    out: dict[str, float] = {}
    for pdf in sorted(ANNEXES.glob("*.pdf")):
        text = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
        (rate,) = set(re.findall(r"加征(\d+)%关税商品清单", text))
        for code in re.findall(r"(?<!\d)(\d{8})(?!\d)", text):
            assert code not in out, code
            out[code] = float(rate)
    return out


@cache
def hs6_rise_sep_2019() -> dict[str, float]:
    """PIIE's December-2019 HS6 list: applied level on 2019-09-01 less that on 2019-06-01."""
    level: dict[tuple[str, str], float] = {}
    with HS6_LIST.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["tariff"] and row["time_of_tariff"] in ("2019-06-01", "2019-09-01"):
                level[row["hs6"], row["time_of_tariff"]] = float(row["tariff"])
    return {
        hs6: level[hs6, "2019-09-01"] - level[hs6, "2019-06-01"]
        for hs6, when in level
        if when == "2019-09-01" and (hs6, "2019-06-01") in level
    }


# --- coverage ------------------------------------------------------------------------------


def coverage_by_date(con) -> dict[date, tuple[float, float, float, float]]:
    rows = con.execute(
        "select as_of_date, sum(covered_value_usd), sum(total_value_usd), "
        "sum(unmatched_value_usd), sum(covered_by_blanket_only_value_usd) "
        "from fct_retaliation_coverage group by as_of_date"
    ).fetchall()
    return {row[0]: row[1:] for row in rows}


def test_coverage_has_a_row_for_every_in_force_action_date(con):
    dates = {r["effective_date"] for r in yaml_actions().values() if in_force(r)}
    assert min(dates) == date(2018, 1, 1)
    assert max(dates) >= date(2025, 11, 10)
    published = set(coverage_by_date(con))
    missing = sorted(str(d) for d in dates - published)
    assert not missing, f"no coverage row on the action dates {missing}"
    assert max(published) == max(dates)


def test_blanket_start_is_the_first_duty_on_all_us_goods():
    starts = [
        r["effective_date"]
        for r in yaml_actions().values()
        if in_force(r) and r["scope"]["kind"] == "all_us_goods"
    ]
    assert min(starts) == BLANKET_START


def test_coverage_in_2019_still_reproduces_piie_and_rises_with_the_september_round(con):
    by_date = coverage_by_date(con)
    covered, total, _, _ = by_date[date(2019, 6, 1)]
    # PIIE's `Figure 2` sheet: covered / not covered / total by sector, $B, as of June 2019
    figure_2 = [row for row in workbook_sheet("Figure 2")[1:] if isinstance(row[3], float)]
    assert len(figure_2) == 12  # the twelve sectors of the figure
    figure_covered = sum(row[2] for row in figure_2)
    figure_total = sum(row[3] for row in figure_2)
    assert covered / 1e9 == pytest.approx(figure_covered, abs=0.005)
    assert total / 1e9 == pytest.approx(figure_total, abs=0.005)
    # PIIE Figure 2 (SOURCES.md, reference figures): $87.14B covered of $154.84B, 56.3%
    assert round(covered / 1e9, 2) == 87.14
    assert round(covered / total, 3) == round(figure_covered / figure_total, 3) == 0.563
    assert by_date[date(2019, 9, 1)][0] > covered


@cache
def unmatched_2017_trade() -> dict[str, float]:
    """2017 trade (USD) in HS8 codes of PIIE's `Imports Value` sheet that no 2018 national line
    has, by PIIE sector (`Sector Definition` sheet)."""
    hs8_of_lines = {code[:8] for code in schedule_hs10()}
    sector = {str(r[0]): r[2] for r in workbook_sheet("Sector Definition")[1:] if r[0]}
    out: dict[str, float] = defaultdict(float)
    for hs8, _, value_thousands in workbook_sheet("Imports Value")[1:]:
        if hs8 and str(hs8) not in hs8_of_lines:
            out[sector[str(hs8)]] += value_thousands * 1000
    return dict(out)


def test_blanket_duties_cover_the_whole_2017_base_including_unmatched_codes(con):
    imports = {str(r[0]): r[2] * 1000 for r in workbook_sheet("Imports Value")[1:] if r[0]}
    unmatched = unmatched_2017_trade()
    assert imports["98000000"] > 5e9  # goods not specified by kind: no 2018 national line
    assert not any(code.startswith("98000000") for code in schedule_hs10())
    assert sum(unmatched.values()) > imports["98000000"]
    by_date = coverage_by_date(con)
    blanket_dates = [d for d in by_date if d >= BLANKET_START]
    action_dates = {
        r["effective_date"]
        for r in yaml_actions().values()
        if in_force(r) and r["effective_date"] >= BLANKET_START
    }
    assert set(blanket_dates) == action_dates
    assert len(blanket_dates) >= 4  # 10 Apr, 12 Apr, 14 May, 10 Nov 2025
    for day in sorted(by_date):
        covered, total, unmatched_value, blanket_only = by_date[day]
        assert total == pytest.approx(sum(imports.values()), abs=1), day
        assert unmatched_value == pytest.approx(sum(unmatched.values()), abs=1), day
        if day >= BLANKET_START:
            assert covered == pytest.approx(total, abs=1), day
            assert blanket_only == pytest.approx(sum(unmatched.values()), abs=1), day
        else:
            assert covered < total - sum(unmatched.values()) + 1, day
            assert (blanket_only or 0) == 0, day
    by_sector = dict(
        con.execute(
            "select sector, covered_by_blanket_only_value_usd from fct_retaliation_coverage "
            "where as_of_date = ?",
            [BLANKET_START],
        ).fetchall()
    )
    # PIIE's sector labels lost their last characters ('All other good'): match by prefix
    full = {label: [s for s in by_sector if s.startswith(label)] for label in unmatched}
    assert all(len(names) == 1 for names in full.values()), full
    expected = {names[0]: unmatched[label] for label, names in full.items()}
    assert expected["All other goods"] >= imports["98000000"]
    for sector, value in by_sector.items():
        assert (value or 0) == pytest.approx(expected.get(sector, 0), abs=1), sector


# --- soybeans --------------------------------------------------------------------------


def windows(con, schedule: str, line: str) -> list[tuple]:
    return con.execute(
        "select valid_from_date, valid_to_date, additional_rate_pct, action_ids "
        "from fct_tariff_timeline where schedule_id = ? and national_line_code = ? "
        "order by valid_from_date",
        [schedule, line],
    ).fetchall()


def soybean_rates() -> dict[str, float]:
    """The rates of each round on soybeans, from the sources."""
    header, *rows = workbook_sheet("China Tariff Rates")
    (soy,) = (row for row in rows if row[0] == SOY_2018)
    retaliation = [i for i, h in enumerate(header) if "Retaliation" in h or "retaliation" in h]
    actions = yaml_actions()
    return {
        "june_2019": sum(soy[i] for i in retaliation),  # PIIE: +25 from 6 July 2018
        "july_2018": soy[next(i for i, h in enumerate(header) if h.startswith("July 6, 2018"))],
        "sep_2019": hs6_rise_sep_2019()[SOY_2018[:6]],
        "farm": annex_codes()[SOY_2025],
        "matrix": ita_matrix()[SOY_2025],
        "blanket_34": actions["CHN-20250410-blanket_34"]["rate_pp"],
        "blanket_84": actions["CHN-20250410-blanket_84"]["rate_pp"],
        "blanket_125": actions["CHN-20250412-blanket_125"]["rate_pp"],
        "suspended": actions["CHN-20250514-reduction"]["points"],
        "factor": actions["CHN-20200214-halving"]["factor"],
    }


def piie_event_levels() -> dict[str, float]:
    """China's duty on all US goods as PIIE's event list states it in words (2025 rows)."""
    with PIIE_EVENTS.open(encoding="utf-8", newline="") as fh:
        events = {row["date"]: row["tariff_action"] for row in csv.DictReader(fh)}
    (raised,) = re.findall(r"China's (\d+) percent retaliat", events["2025-04-10"])
    lowered, peak = re.findall(
        r"China reduces to (\d+) percent from (\d+) percent", events["2025-05-14"]
    )[0]
    return {"84": float(raised), "125": float(peak), "10": float(lowered)}


def test_the_soybean_sources_agree_with_each_other():
    r = soybean_rates()
    # +25 on soybeans from 6 July 2018 (税委会公告〔2018〕5号, the $34B list; PIIE's sheet)
    assert r["july_2018"] == r["june_2019"] == 25
    # +5 on soybeans from 1 September 2019 (PIIE's December 2019 HS6 list, read from the CSV)
    assert r["sep_2019"] == 5  # the 2019 round's rate on soybeans
    # ITA 28 Mar 2025 = 25 + the 2019 round halved + the March 2025 farm duty
    assert r["matrix"] == r["june_2019"] + r["sep_2019"] * r["factor"] + r["farm"] == 37.5
    # the action files' increments add up to the levels PIIE's event list states in words
    levels = piie_event_levels()
    assert r["blanket_34"] + r["blanket_84"] == levels["84"] == 84
    assert r["blanket_34"] + r["blanket_84"] + r["blanket_125"] == levels["125"] == 125
    assert r["blanket_34"] - r["suspended"] == levels["10"] == 10


def test_soybeans_2018_line_through_every_round(con):
    r = soybean_rates()
    after_halving = r["june_2019"] + r["sep_2019"] * r["factor"]
    with_farm = after_halving + r["farm"]
    expected = [
        (date(2018, 1, 1), date(2018, 7, 6), 0),
        (date(2018, 7, 6), date(2019, 9, 1), r["june_2019"]),
        (date(2019, 9, 1), date(2020, 2, 14), r["june_2019"] + r["sep_2019"]),
        (date(2020, 2, 14), date(2025, 3, 10), after_halving),
        (date(2025, 3, 10), date(2025, 4, 10), with_farm),
        (date(2025, 4, 10), date(2025, 4, 12), with_farm + r["blanket_34"] + r["blanket_84"]),
        (
            date(2025, 4, 12),
            date(2025, 5, 14),
            with_farm + r["blanket_34"] + r["blanket_84"] + r["blanket_125"],
        ),
        (date(2025, 5, 14), date(2025, 11, 10), with_farm + r["blanket_34"] - r["suspended"]),
        (date(2025, 11, 10), None, after_halving + r["blanket_34"] - r["suspended"]),
    ]
    got = windows(con, "piie_2019_06", SOY_2018)
    assert [(f, t, a) for f, t, a, _ in got] == expected
    assert [a for _, _, a, _ in got][4] == r["matrix"]  # 37.5 on 10 Mar 2025, as ITA says
    ids = [set(action_ids.split(",")) for *_, action_ids in got]
    assert ids[1] == {"CHN-20180101-mfn_level", "CHN-20180706-retaliation"}
    assert ids[2] - ids[1] == {"CHN-20190901-retaliation"}
    assert ids[3] - ids[2] == {"CHN-20200214-halving"}
    assert ids[4] - ids[3] == {"CHN-20250310-farm"}
    assert ids[5] - ids[4] == {"CHN-20250410-blanket_34", "CHN-20250410-blanket_84"}
    assert ids[6] - ids[5] == {"CHN-20250412-blanket_125"}
    assert ids[6] - ids[7] == {"CHN-20250410-blanket_84", "CHN-20250412-blanket_125"}
    assert ids[7] - ids[6] == {"CHN-20250514-reduction"}
    assert ids[8] - ids[7] == {"CHN-20251110-farm_suspended"}
    actions = yaml_actions()
    for window_ids, (valid_from, *_) in zip(ids, got, strict=True):
        for action_id in window_ids:  # every named action is in force in the window
            assert actions[action_id]["effective_date"] <= valid_from, action_id


def test_soybeans_2025_line_from_the_ita_state_on(con):
    r = soybean_rates()
    m = r["matrix"]
    expected = [
        (date(2025, 3, 28), date(2025, 4, 10), m),
        (date(2025, 4, 10), date(2025, 4, 12), m + r["blanket_34"] + r["blanket_84"]),
        (
            date(2025, 4, 12),
            date(2025, 5, 14),
            m + r["blanket_34"] + r["blanket_84"] + r["blanket_125"],
        ),
        (date(2025, 5, 14), date(2025, 11, 10), m + r["blanket_34"] - r["suspended"]),
        (date(2025, 11, 10), None, m + r["blanket_34"] - r["suspended"] - r["farm"]),
    ]
    got = windows(con, "ita_matrix_2025", SOY_2025)
    assert [(f, t, a) for f, t, a, _ in got] == expected
    ids = [set(action_ids.split(",")) for *_, action_ids in got]
    assert ids[0] == {"CHN-20250328-retaliation_state"}
    assert ids[4] - ids[3] == {"CHN-20251110-farm_suspended"}
    # the same state as the 2018 line once both schedules carry the same actions
    old = {f: a for f, _, a, _ in windows(con, "piie_2019_06", SOY_2018)}
    for valid_from, _, additional in expected[1:]:
        assert old[valid_from] == additional, valid_from


# --- the 10 March 2025 annexes ---------------------------------------------------------


def test_march_2025_action_lists_29_codes_at_15_and_711_at_10(con):
    # 国务院关税税则委员会公告2025年第2号, annexes 1 and 2: 29 items at +15%, 711 at +10%
    codes = annex_codes()
    assert sum(rate == 15 for rate in codes.values()) == 29
    assert sum(rate == 10 for rate in codes.values()) == 711
    (listed,) = con.execute(
        "select listed_codes from dim_tariff_actions where action_id = 'CHN-20250310-farm'"
    ).fetchall()[0]
    assert listed == len(codes) == 740
    exact = dict(
        con.execute(
            "select listed_code, rate_change_pp from fct_tariff_action_lines "
            "where action_id = 'CHN-20250310-farm' and schedule_id = 'ita_matrix_2025' "
            "and match_step = 'exact'"
        ).fetchall()
    )
    assert set(exact) == set(codes) & set(ita_matrix())
    assert len(exact) > 700
    for code, rate in exact.items():
        assert rate == codes[code], code
    # suspended on 10 Nov 2025 on the same lines, by the same points
    undone = dict(
        con.execute(
            "select national_line_code, rate_change_pp from fct_tariff_action_lines "
            "where action_id = 'CHN-20251110-farm_suspended' and schedule_id = 'ita_matrix_2025'"
        ).fetchall()
    )
    for code, rate in exact.items():
        assert undone[code] == -rate, code


# --- dim_tariff_actions ------------------------------------------------------------------


def test_dim_tariff_actions_lists_every_action_with_its_evidence(con):
    rows = {
        r[0]: r[1:]
        for r in con.execute(
            "select action_id, effective_date, end_date, is_in_force, operation, scope_kind, "
            "evidence, is_complete, lines_in_scope from dim_tariff_actions"
        ).fetchall()
    }
    actions = yaml_actions()
    assert set(rows) == set(actions)
    for action_id, record in actions.items():
        effective, end, is_in_force, operation, scope_kind, evidence, complete, lines = rows[
            action_id
        ]
        assert effective == record["effective_date"], action_id
        if "ended_by" in record:
            assert end == actions[record["ended_by"]]["effective_date"], action_id
        else:
            assert end == record.get("end_date"), action_id
        assert is_in_force == in_force(record), action_id
        assert (operation, scope_kind, evidence) == (
            record["operation"],
            record["scope"]["kind"],
            record["evidence"],
        ), action_id
        if record["scope"]["kind"] == "unknown_lines":
            assert complete is False and lines == 0, action_id
        if record["scope"]["kind"] in ("all_us_goods", "derived", "line_list"):
            assert complete is True and lines > 0, action_id


def test_never_in_force_actions_fold_nothing(con):
    never = sorted(a for a, r in yaml_actions().items() if not in_force(r))
    assert len(never) >= 2  # the planned round and the auto duties of 15 December 2019
    for action_id in never:
        assert (
            con.execute(
                "select count(*) from fct_tariff_action_lines where action_id = ? "
                "and (is_folded or rate_change_pp <> 0)",
                [action_id],
            ).fetchall()[0][0]
            == 0
        )
        assert (
            con.execute(
                "select count(*) from fct_tariff_timeline where list_contains("
                "string_split(action_ids, ','), ?) or list_contains("
                "string_split(incomplete_action_ids, ','), ?)",
                [action_id, action_id],
            ).fetchall()[0][0]
            == 0
        )


def test_unknown_line_actions_flag_every_later_window(con):
    unknown = {
        a: r["effective_date"]
        for a, r in yaml_actions().items()
        if in_force(r) and r["scope"]["kind"] == "unknown_lines"
    }
    assert date(2025, 2, 10) in unknown.values()
    starts = dict(
        con.execute(
            "select schedule_id, min(valid_from_date) from fct_tariff_timeline group by 1"
        ).fetchall()
    )
    assert (
        con.execute(
            "select count(*) from fct_tariff_timeline "
            "where is_rate_complete <> (incomplete_action_ids is null)"
        ).fetchall()[0][0]
        == 0
    )
    for action_id, effective in unknown.items():
        for schedule, first_state in starts.items():
            if effective <= first_state:
                continue  # the schedule's own first state already holds it
            flagged, reaching, wrongly = con.execute(
                "select count(*) filter (where flagged), count(*) filter (where reaching), "
                "count(*) filter (where flagged <> reaching) from (select "
                "list_contains(string_split(coalesce(incomplete_action_ids, ''), ','), ?) "
                "as flagged, valid_to_date is null or valid_to_date > ? as reaching "
                "from fct_tariff_timeline where schedule_id = ?)",
                [action_id, effective, schedule],
            ).fetchall()[0]
            assert reaching > 0, (action_id, schedule)
            assert flagged == reaching and wrongly == 0, (action_id, schedule)


# --- the reconstructed 1 September 2019 round ---------------------------------------------

SEP_2019_STEPS = (
    "sep2019_matrix_and_hs6_list",
    "sep2019_hs6_list_only",
    "sep2019_hs6_list_matrix_unclear",
    "sep2019_hs6_list_matrix_none",
    "sep2019_matrix_only",
)


def test_september_2019_round_rates_and_support(con):
    rows = con.execute(
        "select national_line_code, match_step, rate_change_pp, hs6_list_rise_pp, "
        "matrix_residual_pp from fct_tariff_action_lines "
        "where action_id = 'CHN-20190901-retaliation' and schedule_id = 'piie_2019_06'"
    ).fetchall()
    steps: dict[str, int] = defaultdict(int)
    for _, step, *_ in rows:
        steps[step] += 1
    assert set(steps) <= set(SEP_2019_STEPS)
    assert sum(steps[s] for s in SEP_2019_STEPS) == len(rows)
    applied = {line: rate for line, _, rate, *_ in rows if rate != 0}
    assert set(applied.values()) == {5, 10}
    for line, step, rate, _, residual in rows:
        if step == "sep2019_matrix_and_hs6_list":
            assert residual == rate, line
        if step in ("sep2019_matrix_only", "sep2019_hs6_list_matrix_none"):
            assert rate == 0, line
    (lines_in_scope,) = con.execute(
        "select lines_in_scope from dim_tariff_actions where action_id = 'CHN-20190901-retaliation'"
    ).fetchall()[0]
    assert lines_in_scope == len(applied) > 2000
    # the HS6 list's reading, from the CSV: every 2018 line whose HS6 rose carries its rise
    rise = hs6_rise_sep_2019()
    rose = {line for line in schedule_hs10() if rise.get(line[:6], 0) > 0}
    with_hs6 = {line: r for line, step, _, r, _ in rows if step != "sep2019_matrix_only"}
    assert set(with_hs6) == rose
    for line, hs6_rise in with_hs6.items():
        assert hs6_rise == pytest.approx(rise[line[:6]], abs=1e-4), line
    # halved on 14 Feb 2020: the same lines, minus half their rate
    halving = dict(
        con.execute(
            "select national_line_code, rate_change_pp from fct_tariff_action_lines "
            "where action_id = 'CHN-20200214-halving' and schedule_id = 'piie_2019_06'"
        ).fetchall()
    )
    factor = yaml_actions()["CHN-20200214-halving"]["factor"]
    assert halving == {line: rate * (factor - 1) for line, rate in applied.items()}


# --- every window is the sum of its actions ----------------------------------------------


def test_every_window_is_the_sum_of_its_actions_less_exclusions(con):
    """additional_rate_pct = the rate changes of the window's action_ids on the line (MFN
    actions aside), less the s.301 part while an exclusion is in force; and every folded action
    in force with a rate on the line is named."""
    window_actions = (
        "(select t.schedule_id, t.national_line_code, t.valid_from_date, "
        "unnest(string_split(t.action_ids, ',')) as action_id from fct_tariff_timeline as t)"
    )
    (windows_checked, mismatches) = con.execute(
        f"""
        with sums as (
            select
                w.schedule_id, w.national_line_code, w.valid_from_date,
                coalesce(sum(l.rate_change_pp) filter (
                    where d.action_kind not in ('mfn_level', 'mfn_change')), 0) as total,
                coalesce(sum(l.rate_change_pp) filter (
                    where d.action_kind not in ('mfn_level', 'mfn_change')
                    and d.retaliation_basis = 's301'), 0) as s301
            from {window_actions} as w
            inner join dim_tariff_actions as d on w.action_id = d.action_id
            left join fct_tariff_action_lines as l
                on l.schedule_id = w.schedule_id and l.action_id = w.action_id
                and l.national_line_code = w.national_line_code
            group by all
        )
        select count(*), count(*) filter (where abs(
            t.additional_rate_pct
            - (s.total - case when t.is_exclusion_in_force then s.s301 else 0 end)) > 1e-9)
        from fct_tariff_timeline as t
        inner join sums as s using (schedule_id, national_line_code, valid_from_date)
        """
    ).fetchall()[0]
    (total_windows,) = con.execute("select count(*) from fct_tariff_timeline").fetchall()[0]
    assert windows_checked == total_windows > 100_000
    assert mismatches == 0
    # an action named in a window has a row for that line (the MFN level aside)
    (unbacked,) = con.execute(
        f"select count(*) from {window_actions} as w "
        "inner join dim_tariff_actions as d on w.action_id = d.action_id "
        "where d.action_kind <> 'mfn_level' and not exists (select 1 from "
        "fct_tariff_action_lines as l where l.schedule_id = w.schedule_id "
        "and l.action_id = w.action_id and l.national_line_code = w.national_line_code)"
    ).fetchall()[0]
    assert unbacked == 0
    # a folded action in force with a rate on the line is named in the window
    (missing,) = con.execute(
        "select count(*) from fct_tariff_timeline as t "
        "inner join fct_tariff_action_lines as l "
        "on l.schedule_id = t.schedule_id and l.national_line_code = t.national_line_code "
        "inner join dim_tariff_actions as d on l.action_id = d.action_id "
        "where l.is_folded and l.rate_change_pp <> 0 and d.is_in_force "
        "and d.effective_date <= t.valid_from_date "
        "and (d.end_date is null or t.valid_from_date < d.end_date) "
        "and not list_contains(string_split(t.action_ids, ','), l.action_id)"
    ).fetchall()[0]
    assert missing == 0
