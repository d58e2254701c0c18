"""The coverage report of one published run: one self-contained HTML file and a PNG for slides.

`build_report(settings, run_id)` reads only what the run published or staged
(`runs/<run_id>/marts/`, its manifest and `quality/<layer>.json`, plus the run's raw
`piie_tariff_events`: PIIE's dated event list, drawn beside our average tariff) and writes
`runs/<run_id>/reports/coverage_report.html` and `key_charts.png`. `load_report_data` returns
what the charts and tables are drawn from, without rendering.

The HTML works offline and from an e-mail attachment: charts are inline SVG drawn by
matplotlib, CSS is inline, and nothing is fetched (no CDN, fonts or scripts). Its content is a
function of the run alone (no "generated at" clock), so reports of the same run are identical.
PIIE's own Figure 1 series is read from the landing workbook for comparison; its sha256 is
checked against the one the run recorded, and the report says so when they differ.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import matplotlib
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.gridspec import SubplotSpec
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, PercentFormatter

from etl import runs
from etl.atomic import write_bytes_atomic
from etl.contract import MARTS
from etl.errors import EtlError, SourceFormatError
from etl.settings import Settings

REPORT_HTML = "coverage_report.html"
KEY_CHARTS_PNG = "key_charts.png"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE = "report.html.j2"

PIIE_WORKBOOK = "piie_bown_jung_zhang/bown-jung-zhang-2019-06-12.xlsx"
PIIE_SHEET = "Figure 1"
PIIE_HEADER = "China's tariff toward"
PIIE_ROW = "United States"

PIIE_EVENTS_DATASET = "piie_tariff_events"  # raw dataset of PIIE's dated event list
INCOMPLETE_SCOPE = "unknown_lines"  # dim_tariff_actions.scope_kind of an action with no lines
BASE_DATE = date(2018, 1, 1)  # the MFN base every action is folded on

TRADE_WEIGHTED, SIMPLE_AVERAGE = "trade_weighted", "simple"  # fct_average_tariff.average_method
METHOD_ORDER = ("exact_hs8", "hs6", "concordance")  # narrowest match first, as the README
TOP_LINES = 20
TOP_LINES_METHOD = "hs6"  # the value column of fct_exemption_eligibility the top-20 table uses
DESCRIPTION_CHARS = 100

# Okabe-Ito palette: distinguishable with the common colour-vision deficiencies.
BLUE, ORANGE, GREEN, VERMILLION = "#0072B2", "#E69F00", "#009E73", "#D55E00"
SKY, PURPLE, GREY = "#56B4E9", "#CC79A7", "#6b6b6b"
PHASE_ONE_COLOR = GREEN
INCOMPLETE_SHADE = "#ececec"
LOW_CAP_PCT = 60.0  # averages above this (April-May 2025) are drawn on an upper panel
METHOD_COLORS = {"exact_hs8": ORANGE, "hs6": BLUE, "concordance": PURPLE}
METHOD_MARKERS = {"exact_hs8": "o", "hs6": "s", "concordance": "D"}

# svg.fonttype 'none' keeps text as text (searchable, small); the browser draws it with the
# first installed font of the list, so no font file is ever fetched.
RC = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica"],
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
}
# Without these keys matplotlib writes an RDF block (with a creation date) into each SVG.
SVG_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}


# ---------------------------------------------------------------- number formatting


def fmt_bn(value: float | None, unit: bool = False) -> str:
    """USD as billions with 2 decimals ("87.14", or "$87.14B" with unit)."""
    if value is None:
        return "–"
    # a non-zero value that would print as 0.00 would read as "nothing"
    text = "<0.01" if 0 < abs(value) < 5e6 else f"{value / 1e9:,.2f}"
    return f"${text}B" if unit else text


def fmt_musd(value: float | None) -> str:
    """USD as millions with 2 decimals: single tariff lines are mostly below $0.01B."""
    return "–" if value is None else f"{value / 1e6:,.2f}"


def fmt_share(value: float | None) -> str:
    """A fraction (0.563) as a percentage with 1 decimal ("56.3%")."""
    return "–" if value is None else f"{value * 100:.1f}%"


def fmt_rate(value: float | None) -> str:
    """A value already in percent (15.64) with 1 decimal ("15.6%")."""
    return "–" if value is None else f"{value:.1f}%"


def fmt_when(value: str | None) -> str:
    """An ISO timestamp from the manifest as '2026-01-31 18:42:09 UTC' (no microseconds)."""
    if not value:
        return "–"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    zone = " UTC" if moment.utcoffset() is not None and not moment.utcoffset() else ""
    return f"{moment:%Y-%m-%d %H:%M:%S}{zone}"


def _shorten(text: str | None, limit: int) -> str:
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return f"{cut}…"


# ---------------------------------------------------------------- entry point


def build_report(settings: Settings, run_id: str | None = None) -> dict[str, Path]:
    """Write the HTML report and the key-charts PNG of a published run; return their paths.

    run_id None means the run `current` points at. Raises EtlError (one line) when nothing is
    published, the run is unknown or was not published, or a mart file is missing.
    """
    data = load_report_data(settings, run_id)
    run_dir = settings.run_dir(data["run_id"])
    charts = _render_charts(data)
    html = _render_html(data, charts)
    out_dir = run_dir / "reports"
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = write_bytes_atomic(out_dir / REPORT_HTML, html.encode("utf-8"))
    png_path = write_bytes_atomic(out_dir / KEY_CHARTS_PNG, _key_charts_png(data))
    return {"coverage_report": html_path, "key_charts": png_path}


def load_report_data(settings: Settings, run_id: str | None = None) -> dict[str, Any]:
    """Everything the report draws and tabulates, read from one published run (no rendering).

    run_id None means the run `current` points at. Raises EtlError (one line) when nothing is
    published, the run is unknown or was not published, or a mart file is missing.
    """
    run_id = run_id or runs.current_run_id(settings)
    if run_id is None:
        raise EtlError("nothing published yet: run `tariff-etl run` first, or pass a run id")
    manifest = runs.read_manifest(settings, run_id)
    if manifest.get("status") not in ("validated", "published"):
        raise EtlError(
            f"run {run_id} was not published (status {manifest.get('status')!r}): "
            "a report is built from validated, exported marts only"
        )
    con = duckdb.connect()
    try:
        return _load(con, settings, settings.run_dir(run_id), manifest)
    finally:
        con.close()


# ---------------------------------------------------------------- reading the run


def _mart_source(run_dir: Path, mart: str) -> tuple[str, str]:
    """(a read_parquet call taking the $src parameter, the glob of the mart's files to bind)."""
    folder = run_dir / "marts" / mart
    if not any(folder.rglob("*.parquet")):
        raise EtlError(f"run {run_dir.name} has no published mart {mart} (looked in {folder})")
    spec = MARTS.get(mart)
    # a Hive-partitioned mart keeps its partition column only in the folder names (key=value);
    # elsewhere hive parsing stays off, so a '=' in the warehouse path cannot add a column
    hive = "true" if spec is not None and getattr(spec, "partition_by", ()) else "false"
    return f"read_parquet($src, hive_partitioning = {hive})", str(folder / "**" / "*.parquet")


def _fetch(con: duckdb.DuckDBPyConnection, sql: str, **params: Any) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _weight_year(con: duckdb.DuckDBPyConnection, run_dir: Path, weight_basis_id: str) -> int:
    """The year of a weight basis's trade values (dim_weight_bases)."""
    reader, src = _mart_source(run_dir, "dim_weight_bases")
    rows = _fetch(
        con,
        f"select weight_year from {reader} where weight_basis_id = $basis",
        src=src,
        basis=weight_basis_id,
    )
    if not rows:
        raise EtlError(f"run {run_dir.name}: dim_weight_bases has no basis {weight_basis_id}")
    return rows[0]["weight_year"]


def _method_order(methods: Iterable[str]) -> list[str]:
    known = [m for m in METHOD_ORDER if m in set(methods)]
    return known + sorted(set(methods) - set(METHOD_ORDER))


def _load(
    con: duckdb.DuckDBPyConnection, settings: Settings, run_dir: Path, manifest: dict[str, Any]
) -> dict[str, Any]:
    piie, piie_note = _piie_series(settings, manifest)
    events = load_piie_events(con, run_dir)
    actions = _load_actions(con, run_dir)
    coverage = _load_retaliation_coverage(con, run_dir, actions)
    average, weight_basis = _load_average_tariff(con, run_dir, piie, events, actions, coverage)
    incomplete = [a for a in actions if a["is_incomplete_in_force"]]
    return {
        "run_id": run_dir.name,
        "manifest": manifest,
        "average": average,
        "weight_basis": weight_basis,
        "weight_year": _weight_year(con, run_dir, weight_basis),
        "piie_points": sum(1 for row in average if row["piie"] is not None),
        "piie_note": piie_note,
        "piie_events": events,
        "piie_event_points": sum(1 for row in average if row["piie_event"] is not None),
        "incomplete_actions": incomplete,
        "first_incomplete_date": min((a["effective_date"] for a in incomplete), default=None),
        "coverage": coverage,
        "scenarios": _load_scenarios(con, run_dir),
        "provenance": _load_provenance(run_dir, manifest),
    }


def load_piie_events(con: duckdb.DuckDBPyConnection, run_dir: Path) -> list[dict[str, Any]]:
    """PIIE's dated event list as the run staged it (`runs/<id>/raw/piie_tariff_events/`).

    One dict per event in date order: `event_date`, `tariff_action`, `cn_tariff_on_us_pct` and
    `cn_change_pp` (the step against the previous event; None on the first). A comparison
    series, not part of the answer: a run without it gives [] and the report says so.
    """
    folder = run_dir / "raw" / PIIE_EVENTS_DATASET
    if not any(folder.glob("*.parquet")):
        return []
    rows = _fetch(
        con,
        "select event_date, trim(tariff_action) as tariff_action, cn_tariff_on_us_pct "
        "from read_parquet($src) order by event_date",
        src=str(folder / "*.parquet"),
    )
    previous = None
    for row in rows:
        value = row["cn_tariff_on_us_pct"]
        row["cn_change_pp"] = None if previous is None else value - previous
        previous = value
    return rows


def _load_actions(con: duckdb.DuckDBPyConnection, run_dir: Path) -> list[dict[str, Any]]:
    """The run's tariff actions (dim_tariff_actions): step labels and what is incomplete.

    `is_incomplete_in_force` follows fct_retaliation_coverage.has_incomplete_action: an action
    in force from after 2018-01-01 whose lines the bundled data does not hold.
    """
    reader, src = _mart_source(run_dir, "dim_tariff_actions")
    actions = _fetch(
        con,
        "select action_id, action_title, effective_date, end_date, is_in_force, scope_kind, "
        f"is_complete from {reader} order by effective_date, action_id",
        src=src,
    )
    for action in actions:
        action["is_incomplete_in_force"] = bool(
            action["is_in_force"]
            and action["scope_kind"] == INCOMPLETE_SCOPE
            and action["effective_date"] > BASE_DATE
        )
    return actions


def _as_of(series: dict[date, Any], when: date) -> tuple[Any, date | None]:
    """The value of a step series on `when`: its last point on or before that date."""
    known = [d for d in series if d <= when]
    if not known:
        return None, None
    last = max(known)
    return series[last], last


def _load_average_tariff(
    con: duckdb.DuckDBPyConnection,
    run_dir: Path,
    piie: dict[date, float],
    events: Sequence[dict[str, Any]],
    actions: Sequence[dict[str, Any]],
    coverage: Sequence[dict[str, Any]],
) -> tuple[list[dict[str, Any]], str]:
    """One row per date on which our average or PIIE's event line changes, to PIIE's last event.

    Our values come from fct_average_tariff; on a date where only PIIE has an event (its last,
    2025-11-14) ours is the mart's last row before it (`ours_carried`): the state between two
    action dates does not change. PIIE's event value on a date is its last event on or before
    it. PIIE Figure 1 (the June 2019 workbook) is given on its own dates only.
    """
    reader, src = _mart_source(run_dir, "fct_average_tariff")
    rows = _fetch(
        con,
        "select as_of_date, average_method, weight_basis_id, avg_applied_rate_pct, "
        "avg_additional_rate_pct, has_incomplete_exclusion_list "
        f"from {reader} order by as_of_date, average_method",
        src=src,
    )
    weighted = {r["as_of_date"]: r for r in rows if r["average_method"] == TRADE_WEIGHTED}
    simple = {r["as_of_date"]: r for r in rows if r["average_method"] == SIMPLE_AVERAGE}
    if not weighted:
        raise EtlError(f"run {run_dir.name}: fct_average_tariff has no '{TRADE_WEIGHTED}' rows")
    bases = sorted({r["weight_basis_id"] for r in weighted.values()})
    event_by_date = {e["event_date"]: e for e in events}
    event_values = {d: e["cn_tariff_on_us_pct"] for d, e in event_by_date.items()}
    # PIIE's dates that move China's tariff on US goods, plus its first and last event
    event_steps = {
        e["event_date"]
        for i, e in enumerate(events)
        if i in (0, len(events) - 1) or abs(e["cn_change_pp"] or 0.0) > 1e-9
    }
    ours = sorted(set(weighted) | set(simple))
    incomplete_action = {r["as_of_date"]: r["incomplete_action"] for r in coverage}
    average = []
    for number, as_of in enumerate(sorted(set(ours) | event_steps), start=1):
        w, w_date = _as_of(weighted, as_of)
        s, _ = _as_of(simple, as_of)
        w, s = w or {}, s or {}
        event = event_by_date.get(as_of)
        flag, _ = _as_of(incomplete_action, as_of)
        # a step happens where an action starts or where a time-limited one ends
        changes = [
            _shorten(a["action_title"], 80) + ("" if a["is_in_force"] else " (never in force)")
            for a in actions
            if a["effective_date"] == as_of
        ]
        changes += [
            f"end of: {_shorten(a['action_title'], 70)}" for a in actions if a["end_date"] == as_of
        ]
        average.append(
            {
                "number": number,
                "as_of_date": as_of,
                "applied": w.get("avg_applied_rate_pct"),
                "additional": w.get("avg_additional_rate_pct"),
                "simple": s.get("avg_applied_rate_pct"),
                "ours_is_row": as_of in weighted,
                "ours_carried": w_date is not None and w_date != as_of,
                "ours_as_of": w_date,
                "piie": piie.get(as_of),
                "piie_event_pct": _as_of(event_values, as_of)[0],
                "piie_event": event["tariff_action"] if event else None,
                "incomplete": bool(w.get("has_incomplete_exclusion_list")),
                "incomplete_action": bool(flag),
                "changes": changes,
            }
        )
    return average, bases[-1]


def _load_retaliation_coverage(
    con: duckdb.DuckDBPyConnection, run_dir: Path, actions: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    reader, src = _mart_source(run_dir, "fct_retaliation_coverage")
    rows = _fetch(
        con,
        "select as_of_date, sum(covered_value_usd) as covered, sum(total_value_usd) as total, "
        "sum(unmatched_value_usd) as unmatched, "
        "coalesce(sum(covered_by_blanket_only_value_usd), 0) as blanket_only, "
        "bool_or(has_incomplete_exclusion_list) as incomplete, "
        "bool_or(has_incomplete_action) as incomplete_action "
        f"from {reader} group by as_of_date order by as_of_date",
        src=src,
    )
    previous = None
    for row in rows:
        row["share"] = row["covered"] / row["total"] if row["total"] else None
        row["changed"] = previous is None or fmt_bn(row["covered"]) != fmt_bn(previous)
        previous = row["covered"]
        # the incomplete actions in force on the date (the reason for has_incomplete_action)
        row["incomplete_action_ids"] = [
            a["action_id"]
            for a in actions
            if a["is_incomplete_in_force"] and a["effective_date"] <= row["as_of_date"]
        ]
    return rows


def _load_scenarios(con: duckdb.DuckDBPyConnection, run_dir: Path) -> list[dict[str, Any]]:
    reader, src = _mart_source(run_dir, "fct_exemption_band")
    all_bands = _fetch(con, f"select * from {reader} order by scenario_id, product_scope", src=src)
    bands = [b for b in all_bands if b["product_scope"] == "all_products"]
    phase_one = {b["scenario_id"]: b for b in all_bands if b["product_scope"] != "all_products"}
    # the per-category detail is drawn with the default basis (China-reported 2017 HS8)
    reader, src = _mart_source(run_dir, "dim_weight_bases")
    default_basis = _fetch(
        con, f"select weight_basis_id from {reader} where is_default_basis", src=src
    )[0]["weight_basis_id"]
    reader, src = _mart_source(run_dir, "fct_exemption_coverage")
    coverage = _fetch(
        con,
        f"select * from {reader} where weight_basis_id = $basis "
        "order by scenario_id, category, weighting_method, window_months",
        src=src,
        basis=default_basis,
    )
    eligibility = _mart_source(run_dir, "fct_exemption_eligibility")
    scenarios = []
    for band in bands:
        sid = band["scenario_id"]
        rows = [r for r in coverage if r["scenario_id"] == sid]
        methods = _method_order({r["weighting_method"] for r in rows})
        windows = sorted({r["window_months"] for r in rows})
        window_dates = {
            r["window_months"]: (r["window_start_date"], r["window_end_date"]) for r in rows
        }
        # share and values do not depend on the window; take the longest window's rows.
        longest = windows[-1] if windows else None
        one_window = [r for r in rows if r["window_months"] == longest]
        overall = {r["weighting_method"]: r for r in one_window if r["category"] == "all"}
        by_category: dict[str, dict[str, dict[str, Any]]] = {}
        for r in one_window:
            if r["category"] != "all":
                by_category.setdefault(r["category"], {})[r["weighting_method"]] = r
        taxed_categories = sorted(
            (
                c
                for c, per in by_category.items()
                if any(r["taxed_value_usd"] > 0 for r in per.values())
            ),
            key=lambda c: (-max(r["taxed_value_usd"] for r in by_category[c].values()), c),
        )
        relief = {
            (r["weighting_method"], r["window_months"]): r["duty_relief_usd"]
            for r in rows
            if r["category"] == "all"
        }
        months = 12 if 12 in windows else longest
        top_lines, eligible_lines, eligible_relief = (
            _top_lines(con, eligibility, sid, months) if months else ([], 0, 0.0)
        )
        scenarios.append(
            {
                "band": band,
                "phase_one_band": phase_one.get(sid),
                "default_basis": default_basis,
                "id": sid,
                "methods": methods,
                "windows": windows,
                "window_dates": window_dates,
                "overall": overall,
                "categories": [(c, by_category[c]) for c in taxed_categories],
                "relief": relief,
                "top_months": months,
                "top_lines": top_lines,
                "eligible_lines": eligible_lines,
                "eligible_relief": eligible_relief,
                "mart_relief": relief.get((TOP_LINES_METHOD, months)),
            }
        )
    return scenarios


def _top_lines(
    con: duckdb.DuckDBPyConnection, source: tuple[str, str], scenario_id: str, months: int
) -> tuple[list[dict[str, Any]], int, float]:
    """The eligible lines with the largest duty relief over `months`, valued by hs6."""
    relief = (
        f"coalesce(trade_value_{TOP_LINES_METHOD}_usd, 0) * additional_rate_pct / 100 "
        "* $months / 12"
    )
    reader, src = source
    lines = _fetch(
        con,
        f"select national_line_code, line_description, categories, additional_rate_pct, "
        f"trade_value_{TOP_LINES_METHOD}_usd as trade_value_usd, {relief} as relief_usd "
        f"from {reader} where scenario_id = $scenario and is_eligible "
        f"order by relief_usd desc, national_line_code limit {TOP_LINES}",
        src=src,
        scenario=scenario_id,
        months=months,
    )
    for line in lines:
        line["description_short"] = _shorten(line["line_description"], DESCRIPTION_CHARS)
        line["categories"] = (line["categories"] or "").replace(",", ", ")
    count, total = con.execute(
        f"select count(*), coalesce(sum({relief}), 0) from {reader} "
        "where scenario_id = $scenario and is_eligible",
        {"src": src, "scenario": scenario_id, "months": months},
    ).fetchall()[0]
    return lines, int(count), float(total)


def _piie_series(settings: Settings, manifest: dict[str, Any]) -> tuple[dict[date, float], str]:
    """PIIE's Figure 1 'United States' row by date, and a note for the caption (may be '')."""
    from etl.ingest.common import SourceFile, read_xlsx_sheet

    path = settings.landing_dir / PIIE_WORKBOOK
    if not path.exists():
        # A comparison series, not part of the answer: the report still renders without it.
        return {}, f"PIIE's series is not shown: {path} was not found."
    src = SourceFile.open(path, settings.landing_dir)
    series = read_piie_figure1(src.path, src.display_name, read_xlsx_sheet(src, PIIE_SHEET))
    recorded = manifest.get("inputs", {}).get(f"landing/{PIIE_WORKBOOK}", {}).get("sha256")
    note = ""
    if recorded and recorded != src.sha256:
        note = (
            f"Note: the PIIE workbook in the landing folder (sha256 {src.sha256[:12]}…) is not "
            f"the one this run read ({recorded[:12]}…)."
        )
    return series, note


def read_piie_figure1(
    path: Path, display_name: str, rows: Sequence[Sequence[Any]]
) -> dict[date, float]:
    """Parse the rows of PIIE's `Figure 1` sheet: {date: China's average tariff on US goods}.

    The header row starts with "China's tariff toward"; each further header cell is a date,
    optionally followed by a line of explanation ('April 2, 2018\\nRetaliation to ...').
    """
    header_at = next(
        (i for i, r in enumerate(rows) if r and str(r[0]).strip().startswith(PIIE_HEADER)), None
    )
    if header_at is None:
        raise SourceFormatError(
            display_name, f"no header row starting {PIIE_HEADER!r}", sheet=PIIE_SHEET
        )
    row = next((r for r in rows[header_at + 1 :] if r and str(r[0]).strip() == PIIE_ROW), None)
    if row is None:
        raise SourceFormatError(display_name, f"no {PIIE_ROW!r} row", sheet=PIIE_SHEET)
    series: dict[date, float] = {}
    for col, (label, value) in enumerate(zip(rows[header_at][1:], row[1:], strict=False), start=2):
        if label is None or str(label).strip() == "":
            continue
        if isinstance(label, datetime):
            when = label.date()
        elif isinstance(label, date):
            when = label
        else:
            first_line = str(label).strip().splitlines()[0].strip()
            try:
                when = datetime.strptime(first_line, "%B %d, %Y").date()
            except ValueError:
                raise SourceFormatError(
                    display_name,
                    "header cell does not start with a date",
                    sheet=PIIE_SHEET,
                    row=header_at + 1,
                    field=f"column {col}",
                    value=first_line,
                    expected="a date like 'January 1, 2018'",
                ) from None
        if value is None or str(value).strip() == "":
            continue
        try:
            series[when] = float(value)
        except (TypeError, ValueError):
            raise SourceFormatError(
                display_name,
                f"{PIIE_ROW} value is not a number",
                sheet=PIIE_SHEET,
                field=f"column {col}",
                value=value,
            ) from None
    if not series:
        raise SourceFormatError(display_name, f"no dated {PIIE_ROW} values", sheet=PIIE_SHEET)
    return series


def _load_provenance(run_dir: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    gates = []
    for layer in runs.GATES:
        summary = manifest.get("checks", {}).get(layer)
        path = run_dir / "quality" / f"{layer}.json"
        detail = json.loads(path.read_text()) if path.exists() else None
        results = detail.get("results", []) if detail else []
        gates.append(
            {
                "layer": layer,
                "has_summary": summary is not None,
                "passed": summary.get("passed") if summary else None,
                "failed_critical": summary.get("failed_critical") if summary else None,
                "warnings": list(summary.get("warnings", [])) if summary else [],
                "checks": len(results) if detail else None,
                "critical_checks": sum(r.get("severity") == "critical" for r in results),
                "warning_checks": sum(r.get("severity") == "warning" for r in results),
                "quality_file": f"quality/{layer}.json" if detail else None,
            }
        )
    datasets = []
    for name, counts in sorted(manifest.get("datasets", {}).items()):
        read, loaded = counts.get("rows_read", 0), counts.get("rows_loaded", 0)
        quarantined = counts.get("rows_quarantined", 0)
        datasets.append(
            {
                "name": name,
                **counts,
                "reconciled": read == loaded + quarantined,
            }
        )
    timings = manifest.get("timings_s", {})
    return {
        "inputs": sorted(manifest.get("inputs", {}).items()),
        "datasets": datasets,
        "gates": gates,
        "marts": sorted(manifest.get("marts", {}).items()),
        "timings": sorted(timings.items(), key=lambda kv: -kv[1]),
        "total_seconds": sum(timings.values()),
    }


# ---------------------------------------------------------------- charts


def _index_axis(ax: Axes, dates: Sequence[date], numbers: bool, fontsize: float = 7.5) -> None:
    """One slot per date (dates are not to scale: most changes fall in 2018-19 and 2025)."""
    positions = list(range(len(dates)))
    ax.set_xticks(positions, [d.isoformat() for d in dates], rotation=90, fontsize=fontsize)
    ax.set_xlim(-0.6, len(dates) - 0.4)
    if numbers:
        # the numbers refer to the rows of the table under the chart (what changed that day)
        top = ax.secondary_xaxis("top")
        top.set_xticks(positions, [str(i + 1) for i in positions], fontsize=fontsize - 1)
        top.tick_params(length=0, pad=2)
        top.spines["top"].set_visible(False)


def _incomplete_span(ax: Axes, flags: Sequence[bool], n: int) -> bool:
    """Shade the slots from the first date whose figures rest on an incomplete action."""
    first = next((i for i, flag in enumerate(flags) if flag), None)
    if first is None:
        return False
    ax.axvspan(first - 0.5, n - 0.4, color=INCOMPLETE_SHADE, zorder=0, linewidth=0)
    return True


def _average_axes(
    fig: Figure, spec: SubplotSpec, values: Sequence[float]
) -> tuple[Axes, Axes | None, float, tuple[float, float] | None]:
    """The value axis, broken when some averages (the April-May 2025 all-goods duties) are far
    above the others: (lower axes, upper axes or None, lower top, upper limits or None)."""
    low = [v for v in values if v <= LOW_CAP_PCT]
    high = [v for v in values if v > LOW_CAP_PCT]
    low_top = max(low, default=LOW_CAP_PCT) * 1.22
    if not high:
        return fig.add_subplot(spec), None, low_top, None
    grid = spec.subgridspec(2, 1, height_ratios=(1, 2.4), hspace=0.04)
    upper = fig.add_subplot(grid[0])
    lower = fig.add_subplot(grid[1], sharex=upper)
    return lower, upper, low_top, (min(high) * 0.9, max(high) * 1.07)


def _draw_average_tariff(
    fig: Figure, spec: SubplotSpec, data: dict[str, Any], compact: bool = False
) -> None:
    rows = data["average"]
    n = len(rows)
    xs = list(range(n)) + [n - 0.4]  # the last step runs to the edge of the plot
    series = {
        "applied": [r["applied"] for r in rows],
        "simple": [r["simple"] for r in rows],
        "piie_event": [r["piie_event_pct"] for r in rows],
    }
    values = [v for vs in series.values() for v in vs if v is not None]
    values += [r["piie"] for r in rows if r["piie"] is not None]
    ax, upper, low_top, high_lim = _average_axes(fig, spec, values)
    axes = [a for a in (upper, ax) if a is not None]
    shaded = False
    for a in axes:
        shaded = _incomplete_span(a, [r["incomplete_action"] for r in rows], n) or shaded
        for key, color, width, style, marker, where in (
            ("simple", GREEN, 1.3, ":", ".", "ours_is_row"),
            ("piie_event", VERMILLION, 1.6, "--", "s", "piie_event"),
            ("applied", BLUE, 2.2, "-", "o", "ours_is_row"),
        ):
            ys = [float("nan") if v is None else v for v in series[key]]
            a.step(xs, ys + [ys[-1]], where="post", color=color, linewidth=width, linestyle=style)
            points = [i for i, r in enumerate(rows) if r[where]]
            a.plot(
                points,
                [ys[i] for i in points],
                linestyle="none",
                marker=marker,
                markersize=3.2,
                color=color,
            )
        fig1 = [(i, r["piie"]) for i, r in enumerate(rows) if r["piie"] is not None]
        if fig1:
            a.plot(
                [i for i, _ in fig1],
                [v for _, v in fig1],
                linestyle="none",
                marker="D",
                markersize=5.5,
                markerfacecolor="none",
                markeredgecolor=PURPLE,
                markeredgewidth=1.1,
            )
        a.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}%"))
        a.grid(axis="y", color="#e5e5e5", linewidth=0.8)
        a.set_axisbelow(True)
    ax.set_ylim(0, low_top)
    fontsize = 6 if compact else 7
    _index_axis(ax, [r["as_of_date"] for r in rows], numbers=False, fontsize=fontsize)
    ax.set_ylabel("average tariff on US goods (%)")
    if upper is not None and high_lim is not None:
        upper.set_ylim(*high_lim)
        upper.spines["bottom"].set_visible(False)
        upper.tick_params(axis="x", bottom=False, labelbottom=False)
        _index_axis(upper, [r["as_of_date"] for r in rows], numbers=not compact, fontsize=fontsize)
        upper.tick_params(axis="x", bottom=False, labelbottom=False)
        # break marks: the value axis skips from the lower panel's top to the upper's bottom
        for a, y in ((upper, 0.0), (ax, 1.0)):
            a.plot(
                [-0.006, 0.006],
                [y - 0.012 * (1 if a is ax else 3), y + 0.012 * (1 if a is ax else 3)],
                transform=a.transAxes,
                color="black",
                linewidth=0.9,
                clip_on=False,
            )
        # the values off the lower panel are written next to their points
        for i, r in enumerate(rows):
            for key, color, dy in (("applied", BLUE, -11), ("piie_event", VERMILLION, 4)):
                v = r["applied"] if key == "applied" else r["piie_event_pct"]
                if v is not None and v > LOW_CAP_PCT and (r["ours_is_row"] or r["piie_event"]):
                    upper.annotate(
                        f"{v:.1f}",
                        (i, v),
                        xytext=(3, dy),
                        textcoords="offset points",
                        fontsize=fontsize,
                        color=color,
                    )
        upper.set_title(
            f"China's average tariff on US goods, {rows[0]['as_of_date']} to "
            f"{rows[-1]['as_of_date']}",
            loc="left",
        )
    else:
        _index_axis(ax, [r["as_of_date"] for r in rows], numbers=not compact, fontsize=fontsize)
        ax.set_title(
            f"China's average tariff on US goods, {rows[0]['as_of_date']} to "
            f"{rows[-1]['as_of_date']}",
            loc="left",
        )
    handles = [
        Line2D(
            [],
            [],
            color=BLUE,
            linewidth=2.2,
            marker="o",
            markersize=3.2,
            label=f"ours: weighted by China's {data['weight_year']} imports from the US",
        ),
        Line2D(
            [],
            [],
            color=GREEN,
            linewidth=1.3,
            linestyle=":",
            marker=".",
            label="ours: simple average of HS8 rates",
        ),
    ]
    if data["piie_event_points"]:
        handles.append(
            Line2D(
                [],
                [],
                color=VERMILLION,
                linewidth=1.6,
                linestyle="--",
                marker="s",
                markersize=3.2,
                label="PIIE event file (weighted by US exports to the world, year before)",
            )
        )
    if data["piie_points"]:
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker="D",
                markerfacecolor="none",
                markeredgecolor=PURPLE,
                label="PIIE Figure 1 (June 2019 workbook)",
            )
        )
    if shaded:
        handles.append(
            Patch(
                facecolor=INCOMPLETE_SHADE,
                edgecolor=GREY,
                linewidth=0.6,
                label="rests on actions without a line list (not folded)",
            )
        )
    if upper is not None:
        # the upper panel is empty but for the 2025 peak: room for the legend
        upper.legend(
            handles=handles,
            loc="upper left",
            ncols=1 if compact else 2,
            fontsize=6.5 if compact else 8,
            frameon=True,
            facecolor="white",
            edgecolor="#cccccc",
            framealpha=1.0,
        )
    else:
        ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.3 if compact else -0.24),
            ncols=2 if compact else 3,
            fontsize=7 if compact else 8,
        )


def _draw_retaliation_coverage(ax: Axes, data: dict[str, Any], compact: bool = False) -> None:
    rows = data["coverage"]
    total = max((r["total"] for r in rows), default=0) or 1.0
    xs = range(len(rows))
    by_schedule = [(r["covered"] - (r["blanket_only"] or 0.0)) / 1e9 for r in rows]
    blanket = [(r["blanket_only"] or 0.0) / 1e9 for r in rows]
    bars = ax.bar(xs, by_schedule, color=BLUE, width=0.72)
    blanket_bars = ax.bar(xs, blanket, bottom=by_schedule, color=ORANGE, width=0.72)
    fontsize = 6 if compact else 7
    for bar, top_bar, row in zip(bars, blanket_bars, rows, strict=True):
        hatch = ("///" if row["incomplete_action"] else "") + (
            "\\\\\\" if row["incomplete"] else ""
        )
        if hatch:
            for b in (bar, top_bar):
                b.set_hatch(hatch)
                b.set_edgecolor("white")
                b.set_linewidth(0)
        # labels only where the value changes, so 40 bars do not carry 40 numbers
        if row["changed"] and row["covered"] > 0:
            ax.annotate(
                f"{row['covered'] / 1e9:.2f}",
                (bar.get_x() + bar.get_width() / 2, row["covered"] / 1e9),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                va="bottom",
                rotation=90,
                fontsize=fontsize,
                color=BLUE,
            )
    ax.axhline(total / 1e9, color=GREY, linewidth=0.8, linestyle="--")
    ax.annotate(
        f"China's {data['weight_year']} imports from the US: {fmt_bn(total, unit=True)}",
        (0, total / 1e9),
        xytext=(0, 3),
        textcoords="offset points",
        fontsize=7.5,
        color=GREY,
    )
    top = total / 1e9 * 1.25
    ax.set_ylim(0, top)
    ax.set_ylabel("covered value (USD bn)")
    share_ax = ax.twinx()
    # the share axis is the value axis divided by the base, so the line meets the bar tops
    share_ax.set_ylim(0, top / (total / 1e9))
    share_ax.plot(
        xs, [r["share"] for r in rows], color=VERMILLION, marker="o", markersize=3, linewidth=1.4
    )
    share_ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    share_ax.set_ylabel("share of the base covered", color=VERMILLION)
    share_ax.tick_params(axis="y", colors=VERMILLION)
    share_ax.spines["right"].set_visible(True)
    share_ax.spines["top"].set_visible(False)
    _index_axis(ax, [r["as_of_date"] for r in rows], numbers=False, fontsize=fontsize)
    handles = [
        Patch(color=BLUE, label="covered by a duty on its tariff line (USD bn)"),
        Line2D([], [], color=VERMILLION, marker="o", markersize=3, label="share of the base"),
    ]
    if any(blanket):
        handles.insert(
            1,
            Patch(color=ORANGE, label="covered only by a duty on all US goods (no tariff line)"),
        )
    if any(r["incomplete_action"] for r in rows):
        handles.append(
            Patch(
                facecolor=BLUE,
                hatch="///",
                edgecolor="white",
                label="rests on actions without a line list (has_incomplete_action)",
            )
        )
    if any(r["incomplete"] for r in rows):
        handles.append(
            Patch(
                facecolor=BLUE,
                hatch="///\\\\\\",
                edgecolor="white",
                label="… and on a partly known exclusion list",
            )
        )
    # between the base line and the bars of 2019-2025 (about 60% of the base)
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(0.2, 0.78),
        ncols=1 if compact else 2,
        fontsize=6.5 if compact else 7.5,
    )
    ax.set_title(
        f"China's retaliation: {data['weight_year']} imports from the US covered, "
        f"{rows[0]['as_of_date']} to {rows[-1]['as_of_date']}"
        if rows
        else "",
        loc="left",
    )


def _draw_bands(
    ax: Axes, scenarios: Sequence[dict[str, Any]], compact: bool = False, single: bool = False
) -> None:
    """Per scenario: the share covered by each method, the band they span, the claimed range."""
    ys = list(range(len(scenarios)))[::-1]  # first scenario on top
    highest = 0.0
    claimed_drawn = methods_drawn = phase_one_drawn = False
    labelled: set[str] = set()
    for y, scn in zip(ys, scenarios, strict=True):
        band = scn["band"]
        low, high = band["coverage_share_low"], band["coverage_share_high"]
        c_low, c_high = band["claimed_share_low"], band["claimed_share_high"]
        if c_low is not None and c_high is not None:
            ax.barh(
                y,
                c_high - c_low,
                left=c_low,
                height=0.62,
                color="#d9d9d9",
                label=None if claimed_drawn else "claimed share",
            )
            claimed_drawn = True
            highest = max(highest, c_high)
        if low is not None and high is not None:
            ax.plot(
                [low, high],
                [y, y],
                color=GREY,
                linewidth=3,
                solid_capstyle="butt",
                label=None if methods_drawn else "band, all products (every basis and method)",
            )
            methods_drawn = True
            highest = max(highest, high)
            # in a narrow panel a label right of the band would run off the axes
            ax.annotate(
                f"{fmt_share(low)} – {fmt_share(high)}",
                ((low + high) / 2, y) if single else (high, y),
                xytext=(0, 9) if single else (10, -3),
                textcoords="offset points",
                ha="center" if single else "left",
                fontsize=8,
                fontweight="bold",
            )
        p1 = scn.get("phase_one_band")
        if p1 and p1["coverage_share_low"] is not None:
            ax.plot(
                [p1["coverage_share_low"], p1["coverage_share_high"]],
                [y - 0.24, y - 0.24],
                color=PHASE_ONE_COLOR,
                linewidth=1.6,
                linestyle=(0, (3, 1.5)),
                solid_capstyle="butt",
                label=None if phase_one_drawn else "band, Phase One products only (US Census HS4)",
            )
            phase_one_drawn = True
            highest = max(highest, p1["coverage_share_high"])
        for method in scn["methods"]:
            row = scn["overall"].get(method)
            if not row or row["coverage_share"] is None:
                continue
            ax.plot(
                row["coverage_share"],
                y,
                linestyle="none",
                marker=METHOD_MARKERS.get(method, "^"),
                markersize=6,
                color=METHOD_COLORS.get(method, GREY),
                label=None if method in labelled else method,
            )
            labelled.add(method)
    ax.set_yticks(ys, [s["id"] for s in scenarios])
    ax.set_ylim(-0.7, len(scenarios) - 0.3)
    ax.set_xlim(0, max(highest * 1.3, 0.05))
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("share of the taxed trade the exemption covers")
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)
    if single:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), fontsize=6.5, ncols=3)
    else:
        ax.legend(loc="lower right", fontsize=7.5, ncols=2 if compact else 1)
    ax.set_title("Exemption scenarios: coverage band vs. the claimed share", loc="left")


def _draw_categories(ax: Axes, scn: dict[str, Any]) -> None:
    cats = scn["categories"]
    methods = scn["methods"]
    height = 0.8 / max(len(methods), 1)
    largest = 0.0
    for i, (_, per_method) in enumerate(cats):
        for j, method in enumerate(methods):
            row = per_method.get(method)
            if not row:
                continue
            y = len(cats) - 1 - i + (len(methods) - 1 - j - (len(methods) - 1) / 2) * height
            taxed, covered = row["taxed_value_usd"] / 1e9, row["covered_value_usd"] / 1e9
            color = METHOD_COLORS.get(method, GREY)
            ax.barh(y, taxed, height=height * 0.9, color="white", edgecolor=color, linewidth=0.8)
            ax.barh(y, covered, height=height * 0.9, color=color)
            ax.annotate(
                f"{fmt_bn(row['covered_value_usd'])} of {fmt_bn(row['taxed_value_usd'])} "
                f"({fmt_share(row['coverage_share'])})",
                (taxed, y),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=6.5,
            )
            largest = max(largest, taxed)
    ax.set_yticks(range(len(cats)), [c for c, _ in cats][::-1])
    ax.set_xlim(0, max(largest, 0.01) * 1.45)  # room for the value labels
    ax.set_xlabel("USD bn: covered (filled) of taxed (outline)")
    handles = [Patch(color=METHOD_COLORS.get(m, GREY), label=m) for m in methods]
    ax.legend(handles=handles, loc="lower right", fontsize=7.5)
    ax.set_title("Covered and taxed trade by category", loc="left")


def _draw_relief(ax: Axes, scn: dict[str, Any]) -> None:
    methods, windows = scn["methods"], scn["windows"]
    width = 0.8 / max(len(methods), 1)
    highest = 0.0
    for j, method in enumerate(methods):
        xs = [i + (j - (len(methods) - 1) / 2) * width for i in range(len(windows))]
        values = [(scn["relief"].get((method, w)) or 0.0) / 1e9 for w in windows]
        bars = ax.bar(
            xs, values, width=width * 0.92, color=METHOD_COLORS.get(method, GREY), label=method
        )
        ax.bar_label(bars, labels=[f"{v:.2f}" for v in values], fontsize=6.5, padding=2)
        highest = max([highest, *values])
    ax.set_xticks(range(len(windows)), [f"{w} months" for w in windows])
    # headroom above the tallest bar holds the legend in one row, clear of bars and labels
    ax.set_ylim(0, max(highest, 0.01) * 1.35)
    ax.set_ylabel("duty relief (USD bn)")
    ax.legend(loc="upper center", ncols=max(len(methods), 1), fontsize=7, handlelength=1.2)
    ax.set_title("Duty relief per window", loc="left")


def _figure_average_tariff(data: dict[str, Any]) -> Figure:
    fig = Figure(figsize=(11, 6.4), layout="constrained")
    _draw_average_tariff(fig, fig.add_gridspec(1, 1)[0], data)
    return fig


def _figure_retaliation_coverage(data: dict[str, Any]) -> Figure:
    fig = Figure(figsize=(11, 5.6), layout="constrained")
    _draw_retaliation_coverage(fig.add_subplot(), data)
    return fig


def _figure_bands(data: dict[str, Any]) -> Figure:
    fig = Figure(figsize=(11, 1.1 + 0.55 * max(len(data["scenarios"]), 1)), layout="constrained")
    _draw_bands(fig.add_subplot(), data["scenarios"])
    return fig


def _figure_scenario(scn: dict[str, Any]) -> Figure:
    rows = max(len(scn["categories"]), 1) * max(len(scn["methods"]), 1)
    fig = Figure(figsize=(11, max(3.6, 1.2 + 0.17 * rows)), layout="constrained")
    grid = fig.add_gridspec(2, 2, width_ratios=(1.7, 1), height_ratios=(1, 2.4))
    _draw_categories(fig.add_subplot(grid[:, 0]), scn)
    band_ax = fig.add_subplot(grid[0, 1])
    _draw_bands(band_ax, [scn], single=True)
    band_ax.set_title("Band vs. claimed share", loc="left")
    band_ax.set_xlabel("")
    band_ax.set_yticks([])
    _draw_relief(fig.add_subplot(grid[1, 1]), scn)
    return fig


def _svg(fig: Figure, name: str, label: str) -> str:
    """Inline SVG markup: no XML prolog/DOCTYPE (it names an external DTD), ids unique per page."""
    buffer = io.StringIO()
    # the salt makes ids deterministic per chart, so reports of one run are byte-identical
    with matplotlib.rc_context({**RC, "svg.hashsalt": name}):
        FigureCanvasSVG(fig).print_svg(buffer, metadata=SVG_METADATA)
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    # matplotlib numbers its ids from 1 in every figure; several figures share one HTML page
    text = re.sub(r'\bid="([^"]+)"', rf'id="{name}-\1"', text)
    text = re.sub(r'href="#([^"]+)"', rf'href="#{name}-\1"', text)
    text = re.sub(r"url\(#([^)]+)\)", rf"url(#{name}-\1)", text)
    text = re.sub(
        r'<svg ([^>]*?)width="[^"]+" height="[^"]+"',
        lambda m: f'<svg {m.group(1)}width="100%" role="img" aria-label="{_attr(label)}"',
        text,
        count=1,
    )
    return text


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _render_charts(data: dict[str, Any]) -> dict[str, str]:
    with matplotlib.rc_context(RC):
        charts = {
            "average_tariff": _svg(
                _figure_average_tariff(data), "avg", "China's average tariff on US goods"
            ),
            "retaliation_coverage": _svg(
                _figure_retaliation_coverage(data), "cov", "Coverage of the 2017 base"
            ),
            "bands": _svg(_figure_bands(data), "band", "Exemption bands vs claimed share"),
        }
        for i, scn in enumerate(data["scenarios"]):
            charts[f"scenario:{scn['id']}"] = _svg(
                _figure_scenario(scn), f"scn{i}", f"Exemption scenario {scn['id']}"
            )
    return charts


def _key_charts_png(data: dict[str, Any]) -> bytes:
    """The three charts a slide needs: average tariff, coverage over time, scenario bands."""
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(16, 10), layout="constrained")
        grid = fig.add_gridspec(2, 2, height_ratios=(1.9, 1))
        _draw_average_tariff(fig, grid[0, 0], data, compact=True)
        _draw_retaliation_coverage(fig.add_subplot(grid[0, 1]), data, compact=True)
        _draw_bands(fig.add_subplot(grid[1, :]), data["scenarios"], compact=True)
        fig.suptitle(
            f"China's retaliatory tariffs on US goods and the exemption scenarios "
            f"(tariff-etl run {data['run_id']})",
            fontsize=12,
            fontweight="bold",
        )
        buffer = io.BytesIO()
        # the Agg canvas is bound to this figure only: no global backend switch (pyplot is
        # never imported, so a notebook or Airflow worker keeps its own backend)
        FigureCanvasAgg(fig).print_png(buffer, metadata={"Software": None})
    return buffer.getvalue()


# ---------------------------------------------------------------- HTML


def _render_html(data: dict[str, Any], charts: dict[str, str]) -> str:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(bn=fmt_bn, musd=fmt_musd, share=fmt_share, rate=fmt_rate, when=fmt_when)
    return env.get_template(TEMPLATE).render(
        data=data,
        charts=charts,
        manifest=data["manifest"],
        prov=data["provenance"],
        top_lines_method=TOP_LINES_METHOD,
        top_lines=TOP_LINES,
        low_cap=LOW_CAP_PCT,
        incomplete_scope=INCOMPLETE_SCOPE,
    )
