"""Exemption scenarios: YAML files under version control, validated on load.

A scenario says which taxed lines an exemption would cover (include: categories and/or HS
prefixes; exclude wins over include), for how long (a window: start date and length in
months, or an end date), and which tariff state it applies to (`base`: the 2025 ITA matrix, or
a date of the 2018-19 PIIE schedule). Scenario values reach SQL only as data (Parquet rows),
never as SQL text; ids are restricted to snake_case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from etl.errors import EtlError
from etl.ingest.common import RawDataset, SourceFile, with_lineage

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
PREFIX_PATTERN = re.compile(r"^\d{2}(\d{2}){0,4}$")
BASES = {"ita_matrix_2025": ("ita_matrix_2025", date(2025, 3, 28))}
PIIE_SCHEDULE = "piie_2019_06"
PIIE_FIRST_DATE = date(2018, 1, 1)
TOP_KEYS = {
    "id",
    "description",
    "include",
    "exclude",
    "window",
    "base",
    "claimed_coverage_share",
    "notes",
}
RULE_KEYS = {"categories", "hs_prefixes"}
WINDOW_KEYS = {"start", "months", "end"}


class ScenarioError(EtlError):
    """A scenario file is invalid: the run stops before anything is built."""


@dataclass(frozen=True)
class Window:
    start: date
    months: int

    @property
    def end(self) -> date:
        month = self.start.month - 1 + self.months
        year, month = self.start.year + month // 12, month % 12 + 1
        day = min(
            self.start.day,
            [31, 29 if year % 4 == 0 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1],
        )
        return date(year, month, day)


@dataclass(frozen=True)
class Scenario:
    scenario_id: str
    description: str
    include_categories: tuple[str, ...]
    include_prefixes: tuple[str, ...]
    exclude_categories: tuple[str, ...]
    exclude_prefixes: tuple[str, ...]
    windows: tuple[Window, ...]
    base_schedule_id: str
    base_date: date
    claimed_share: tuple[float, float] | None
    source_file: str


def _fail(path: Path, problem: str) -> ScenarioError:
    return ScenarioError(f"scenario file {path.name}: {problem}")


def _as_date(path: Path, value: Any, field: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise _fail(path, f"{field} {value!r} is not a date (YYYY-MM-DD)") from None


def _str_list(path: Path, value: Any, field: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        raise _fail(path, f"{field} must be a list of strings")
    return tuple(str(v).strip() for v in value)


def _rules(path: Path, raw: Any, field: str, categories: set[str]) -> tuple[tuple, tuple]:
    if raw is None:
        return (), ()
    if not isinstance(raw, dict):
        raise _fail(path, f"{field} must be a mapping with 'categories' and/or 'hs_prefixes'")
    unknown = set(raw) - RULE_KEYS
    if unknown:
        raise _fail(
            path, f"unknown key(s) {sorted(unknown)} in {field}; allowed: {sorted(RULE_KEYS)}"
        )
    cats = _str_list(path, raw.get("categories"), f"{field}.categories")
    for cat in cats:
        if cat not in categories:
            raise _fail(
                path, f"unknown category {cat!r} in {field}.categories; known: {sorted(categories)}"
            )
    prefixes = _str_list(path, raw.get("hs_prefixes"), f"{field}.hs_prefixes")
    for prefix in prefixes:
        if not PREFIX_PATTERN.match(prefix):
            raise _fail(
                path,
                f"malformed HS prefix {prefix!r} in {field}.hs_prefixes "
                "(2, 4, 6, 8 or 10 digits, as text: quote codes with leading zeros)",
            )
    return cats, prefixes


def _windows(path: Path, raw: Any) -> tuple[Window, ...]:
    if not isinstance(raw, dict):
        raise _fail(path, "window must be a mapping with 'start' and 'months' (or 'end')")
    unknown = set(raw) - WINDOW_KEYS
    if unknown:
        raise _fail(
            path, f"unknown key(s) {sorted(unknown)} in window; allowed: {sorted(WINDOW_KEYS)}"
        )
    if "start" not in raw:
        raise _fail(path, "window has no start date")
    start = _as_date(path, raw["start"], "window.start")
    if ("months" in raw) == ("end" in raw):
        raise _fail(path, "window needs exactly one of 'months' or 'end'")
    if "end" in raw:
        end = _as_date(path, raw["end"], "window.end")
        if end <= start:
            raise _fail(path, f"window end {end} is not after its start {start}")
        months = (end.year - start.year) * 12 + end.month - start.month
        if months <= 0 or Window(start, months).end != end:
            raise _fail(path, f"window {start}..{end} is not a whole number of months")
        return (Window(start, months),)
    months_raw = raw["months"] if isinstance(raw["months"], list) else [raw["months"]]
    windows = []
    for months in months_raw:
        if isinstance(months, bool) or not isinstance(months, int) or months <= 0:
            raise _fail(path, f"window months {months!r} must be a whole number above zero")
        windows.append(Window(start, months))
    if len({w.months for w in windows}) != len(windows):
        raise _fail(path, "window months are repeated")
    return tuple(windows)


def parse_scenario(path: Path, document: Any, categories: set[str]) -> Scenario:
    if not isinstance(document, dict):
        raise _fail(path, f"the YAML document must be a mapping, not {type(document).__name__}")
    unknown = set(document) - TOP_KEYS
    if unknown:
        raise _fail(path, f"unknown key(s) {sorted(unknown)}; allowed: {sorted(TOP_KEYS)}")
    for key in ("id", "description", "include", "window", "base"):
        if key not in document:
            raise _fail(path, f"missing required key {key!r}")
    scenario_id = document["id"]
    if not isinstance(scenario_id, str) or not ID_PATTERN.match(scenario_id):
        raise _fail(
            path,
            f"id {scenario_id!r} must be snake_case: a lowercase letter, then "
            "lowercase letters, digits or underscores (at most 64)",
        )
    inc_cats, inc_prefixes = _rules(path, document["include"], "include", categories)
    if not inc_cats and not inc_prefixes:
        raise _fail(path, "include names no category and no HS prefix")
    exc_cats, exc_prefixes = _rules(path, document.get("exclude"), "exclude", categories)
    base = document["base"]
    if isinstance(base, str) and base in BASES:
        base_schedule, base_date = BASES[base]
    else:
        base_date = _as_date(path, base, "base")
        if base_date < PIIE_FIRST_DATE:
            raise _fail(
                path,
                f"base date {base_date} is before the first tariff state "
                f"({PIIE_FIRST_DATE}); use a date or one of {sorted(BASES)}",
            )
        base_schedule = PIIE_SCHEDULE
    claimed = document.get("claimed_coverage_share")
    if claimed is not None:
        if (
            not isinstance(claimed, list)
            or len(claimed) != 2
            or not all(isinstance(v, (int, float)) and 0 <= v <= 1 for v in claimed)
            or claimed[0] > claimed[1]
        ):
            raise _fail(path, "claimed_coverage_share must be [low, high] shares within [0, 1]")
        claimed = (float(claimed[0]), float(claimed[1]))
    description = document["description"]
    if not isinstance(description, str) or not description.strip():
        raise _fail(path, "description must be a non-empty string")
    return Scenario(
        scenario_id,
        " ".join(description.split()),
        inc_cats,
        inc_prefixes,
        exc_cats,
        exc_prefixes,
        _windows(path, document["window"]),
        base_schedule,
        base_date,
        claimed,
        path.name,
    )


def load_scenarios(folder: Path, categories: set[str]) -> list[Scenario]:
    """Every `*.yaml` scenario in `folder`, validated; ids must be unique across files."""
    import yaml

    paths = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
    if not paths:
        raise ScenarioError(f"no scenario files (*.yaml) in {folder}")
    scenarios: dict[str, Scenario] = {}
    for path in paths:
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            problem = str(exc).splitlines()[0]
            raise _fail(path, f"is not valid YAML ({problem})") from exc
        scenario = parse_scenario(path, document, categories)
        if scenario.scenario_id in scenarios:
            other = scenarios[scenario.scenario_id].source_file
            raise _fail(path, f"duplicate id {scenario.scenario_id!r} (also in {other})")
        scenarios[scenario.scenario_id] = scenario
    return list(scenarios.values())


SCENARIOS_SCHEMA = with_lineage(
    ("scenario_id", pa.string()),
    ("description", pa.string()),
    ("base_schedule_id", pa.string()),
    ("base_date", pa.date32()),
    ("claimed_share_low", pa.float64()),
    ("claimed_share_high", pa.float64()),
)
WINDOWS_SCHEMA = with_lineage(
    ("scenario_id", pa.string()),
    ("window_months", pa.int32()),
    ("window_start_date", pa.date32()),
    ("window_end_date", pa.date32()),
)
RULES_SCHEMA = with_lineage(
    ("scenario_id", pa.string()),
    ("rule_type", pa.string()),
    ("rule_kind", pa.string()),
    ("rule_value", pa.string()),
)


def scenario_datasets(
    scenarios: list[Scenario], folder: Path, landing_root: Path, loaded_at: datetime | None = None
) -> list[RawDataset]:
    """Scenarios as raw datasets (data, not SQL): scenarios, windows, rules."""
    loaded_at = loaded_at or datetime.now(UTC)
    out = RawDataset("exemption_scenarios", SCENARIOS_SCHEMA)
    windows = RawDataset("exemption_scenario_windows", WINDOWS_SCHEMA)
    rules = RawDataset("exemption_scenario_rules", RULES_SCHEMA)
    for scenario in scenarios:
        src = SourceFile.open(folder / scenario.source_file, landing_root)
        for ds in (out, windows, rules):
            ds.sources.append(src)
        out.rows_read += 1
        low, high = scenario.claimed_share or (None, None)
        out.add(
            src,
            None,
            1,
            {
                "scenario_id": scenario.scenario_id,
                "description": scenario.description,
                "base_schedule_id": scenario.base_schedule_id,
                "base_date": scenario.base_date,
                "claimed_share_low": low,
                "claimed_share_high": high,
            },
            loaded_at,
        )
        for window in scenario.windows:
            windows.rows_read += 1
            windows.add(
                src,
                None,
                1,
                {
                    "scenario_id": scenario.scenario_id,
                    "window_months": window.months,
                    "window_start_date": window.start,
                    "window_end_date": window.end,
                },
                loaded_at,
            )
        for rule_type, kind, values in (
            ("include", "category", scenario.include_categories),
            ("include", "hs_prefix", scenario.include_prefixes),
            ("exclude", "category", scenario.exclude_categories),
            ("exclude", "hs_prefix", scenario.exclude_prefixes),
        ):
            for value in values:
                rules.rows_read += 1
                rules.add(
                    src,
                    None,
                    1,
                    {
                        "scenario_id": scenario.scenario_id,
                        "rule_type": rule_type,
                        "rule_kind": kind,
                        "rule_value": value,
                    },
                    loaded_at,
                )
    return [out, windows, rules]
