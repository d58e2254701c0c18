"""What the report draws and tabulates, read from one published run (no rendering).

Only what the run published or staged is read: `runs/<run_id>/marts/`, its manifest and
`quality/<layer>.json`, and the run's raw `piie_tariff_events` (PIIE's dated event list).
PIIE's own Figure 1 series is read from the landing workbook for comparison; its sha256 is
checked against the one the run recorded, and the report says so when they differ.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from etl import runs
from etl.contract import MARTS
from etl.errors import EtlError, SourceFormatError
from etl.report.formatting import fmt_bn, shorten
from etl.settings import Settings

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
            shorten(a["action_title"], 80) + ("" if a["is_in_force"] else " (never in force)")
            for a in actions
            if a["effective_date"] == as_of
        ]
        changes += [
            f"end of: {shorten(a['action_title'], 70)}" for a in actions if a["end_date"] == as_of
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
        line["description_short"] = shorten(line["line_description"], DESCRIPTION_CHARS)
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
