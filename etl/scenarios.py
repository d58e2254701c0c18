"""Exemption scenarios: YAML files under version control, validated on load, strictly.

A scenario says which taxed lines an exemption would cover (include: categories and/or HS
prefixes; exclude wins over include), for how long (a window: start date and length in
months, or an end date), and which tariff state it applies to (`base`). Scenario values reach
SQL only as data (Parquet rows), never as SQL text; ids are restricted to snake_case.

Files are read by `etl.strict_yaml.load_config_file` (size bound, UTF-8, no duplicate keys,
bounded aliases, unquoted numbers kept as written) and validated by the pydantic models below
(`extra="forbid"`, strict types). Every rejection is one `ScenarioError` line:
``scenario file <name>: <key path>: <rule>``.

`base` is one of:
- `ita_matrix_2025`: the US ITA retaliation matrix (schedule `ita_matrix_2025`, 2025-03-28);
- an ISO date from 2018-01-01 to 2025-11-14: the tariff timeline on that day (schedule
  `piie_2019_06`, the 2018 national lines with every later action folded on them);
- `latest`: the last date of that timeline; `base_date` is left NULL for SQL to resolve.
`base_label` carries what the file said ('ita_matrix_2025', the ISO date, or 'latest').
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import pyarrow as pa
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from etl.ingest.common import RawDataset, SourceFile, with_lineage
from etl.strict_yaml import (
    ConfigFileError,
    YamlNumber,
    config_error_from_validation,
    load_config_file,
    show,
)

ID_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,63}")
PREFIX_PATTERN = re.compile(r"[0-9]{2}(?:[0-9]{2}){0,4}")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
BASES = {"ita_matrix_2025": ("ita_matrix_2025", date(2025, 3, 28))}
LATEST = "latest"
PIIE_SCHEDULE = "piie_2019_06"
PIIE_FIRST_DATE = date(2018, 1, 1)
TIMELINE_LAST_DATE = date(2025, 11, 14)
WINDOW_FIRST_START = date(2018, 1, 1)
WINDOW_LAST_START = date(2035, 12, 31)
MAX_WINDOW_MONTHS = 36
MAX_FILE_BYTES = 256_000


class ScenarioError(ConfigFileError):
    """A scenario file is invalid: the run stops before anything is built."""


@dataclass(frozen=True)
class Window:
    start: date
    months: int

    @property
    def end(self) -> date:
        """`months` calendar months after `start`; a day the target month lacks becomes its
        last day (2099-01-31 + 13 months = 2100-02-28: 2100 is not a leap year)."""
        total = self.start.month - 1 + self.months
        year, month = self.start.year + total // 12, total % 12 + 1
        return date(year, month, min(self.start.day, calendar.monthrange(year, month)[1]))


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
    base_date: date | None  # None: the latest date of the timeline (resolved in SQL)
    base_label: str
    claimed_share: tuple[float, float] | None
    source_file: str


# ---- field types ---------------------------------------------------------------------------


def _hs_prefix(value: Any) -> Any:
    if isinstance(value, YamlNumber):
        raise ValueError(
            f"HS prefix {value.text} is an unquoted number (YAML 1.1 reads it as "
            f"{value.yaml11()}): quote it, e.g. hs_prefixes: ['{value.text}']"
        )
    if isinstance(value, str) and not PREFIX_PATTERN.fullmatch(value):
        raise ValueError(
            f"malformed HS prefix {show(value)}: 2, 4, 6, 8 or 10 digits, as quoted text"
        )
    return value


def _category(value: Any, info: ValidationInfo) -> Any:
    known = (info.context or {}).get("categories")
    if isinstance(value, str) and known is not None and value not in known:
        raise ValueError(f"unknown category {show(value)}; known: {sorted(known)}")
    return value


def _whole_number(value: Any) -> Any:
    return value.to_int() if isinstance(value, YamlNumber) else value


def _number(value: Any) -> Any:
    return value.to_float() if isinstance(value, YamlNumber) else value


def _as_date(value: Any) -> Any:
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"{value} is not a calendar date ({exc})") from None
    return value


def _month_count(value: int) -> int:
    if not 1 <= value <= MAX_WINDOW_MONTHS:
        raise ValueError(f"{value} months is outside 1..{MAX_WINDOW_MONTHS}")
    return value


def _window_start(value: date) -> date:
    if not WINDOW_FIRST_START <= value <= WINDOW_LAST_START:
        raise ValueError(
            f"start {value} is outside the allowed range {WINDOW_FIRST_START}..{WINDOW_LAST_START}"
        )
    return value


def _as_list(value: Any) -> Any:
    return value if isinstance(value, list) or value is None else [value]


def _scenario_id(value: str) -> str:
    if not ID_PATTERN.fullmatch(value):
        raise ValueError(
            f"id {show(value)} must be snake_case: a lowercase letter, then lowercase letters, "
            "digits or underscores (at most 64)"
        )
    return value


def _non_empty(value: str) -> str:
    if not value.strip():
        raise ValueError("must be non-empty text")
    return value


@dataclass(frozen=True)
class _BaseRef:
    schedule_id: str
    base_date: date | None
    label: str


def _base(value: Any) -> _BaseRef:
    if isinstance(value, str) and value in BASES:
        schedule, base_date = BASES[value]
        return _BaseRef(schedule, base_date, value)
    if value == LATEST:
        return _BaseRef(PIIE_SCHEDULE, None, LATEST)
    value = _as_date(value)
    if isinstance(value, date):
        if not PIIE_FIRST_DATE <= value <= TIMELINE_LAST_DATE:
            raise ValueError(
                f"base date {value} is outside the tariff timeline "
                f"({PIIE_FIRST_DATE}..{TIMELINE_LAST_DATE})"
            )
        return _BaseRef(PIIE_SCHEDULE, value, value.isoformat())
    raise ValueError(
        f"base {show(value)} is not one of: ita_matrix_2025, latest, or a date YYYY-MM-DD "
        f"from {PIIE_FIRST_DATE} to {TIMELINE_LAST_DATE}"
    )


HsPrefix = Annotated[str, BeforeValidator(_hs_prefix)]
Category = Annotated[str, BeforeValidator(_category)]
MonthCount = Annotated[int, BeforeValidator(_whole_number), AfterValidator(_month_count)]
Share = Annotated[float, BeforeValidator(_number), Field(ge=0, le=1)]
Day = Annotated[date, BeforeValidator(_as_date)]


# ---- models ----------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class RulesModel(_Strict):
    categories: list[Category] = Field(default_factory=list)
    hs_prefixes: list[HsPrefix] = Field(default_factory=list)


class WindowModel(_Strict):
    start: Annotated[Day, AfterValidator(_window_start)]
    months: Annotated[list[MonthCount] | None, BeforeValidator(_as_list)] = None
    end: Day | None = None

    @field_validator("months")
    @classmethod
    def _distinct(cls, value: list[int] | None) -> list[int] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError(f"months {value} are repeated")
        if value == []:
            raise ValueError("names no window length")
        return value

    @field_validator("end")
    @classmethod
    def _whole_months(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("start")
        if value is None or start is None:
            return value
        if value <= start:
            raise ValueError(f"window end {value} is not after its start {start}")
        months = (value.year - start.year) * 12 + value.month - start.month
        if months > MAX_WINDOW_MONTHS:
            raise ValueError(f"window {start}..{value} is longer than {MAX_WINDOW_MONTHS} months")
        if months <= 0 or Window(start, months).end != value:
            raise ValueError(f"window {start}..{value} is not a whole number of months")
        return value

    @model_validator(mode="after")
    def _months_or_end(self) -> WindowModel:
        if (self.months is None) == (self.end is None):
            raise ValueError("needs exactly one of 'months' or 'end'")
        return self

    def windows(self) -> tuple[Window, ...]:
        if self.end is not None:
            months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month
            return (Window(self.start, months),)
        return tuple(Window(self.start, m) for m in self.months or ())


class ScenarioModel(_Strict):
    id: Annotated[str, AfterValidator(_scenario_id)]
    description: Annotated[str, AfterValidator(_non_empty)]
    include: RulesModel
    exclude: RulesModel | None = None
    window: WindowModel
    base: Annotated[Any, BeforeValidator(_base)]
    claimed_coverage_share: list[Share] | None = None
    notes: str | None = None

    @field_validator("include")
    @classmethod
    def _names_something(cls, value: RulesModel) -> RulesModel:
        if not value.categories and not value.hs_prefixes:
            raise ValueError("names no category and no HS prefix")
        return value

    @field_validator("claimed_coverage_share")
    @classmethod
    def _low_high(cls, value: list[float] | None) -> list[float] | None:
        if value is not None and (len(value) != 2 or value[0] > value[1]):
            raise ValueError("must be [low, high] shares within [0, 1], low <= high")
        return value


def parse_scenario(path: Path, document: Any, categories: set[str]) -> Scenario:
    """Validate one loaded scenario document (see `ScenarioModel`) or raise `ScenarioError`."""
    try:
        model = ScenarioModel.model_validate(document, context={"categories": categories})
    except ValidationError as exc:
        raise config_error_from_validation(
            exc, path, "scenario", ScenarioModel, ScenarioError
        ) from None
    exclude = model.exclude or RulesModel()
    base: _BaseRef = model.base
    claimed = model.claimed_coverage_share
    return Scenario(
        model.id,
        " ".join(model.description.split()),
        tuple(model.include.categories),
        tuple(model.include.hs_prefixes),
        tuple(exclude.categories),
        tuple(exclude.hs_prefixes),
        model.window.windows(),
        base.schedule_id,
        base.base_date,
        base.label,
        (claimed[0], claimed[1]) if claimed is not None else None,
        path.name,
    )


def load_scenarios(folder: Path, categories: set[str]) -> list[Scenario]:
    """Every `*.yaml` scenario in `folder`, validated; ids must be unique across files."""
    paths = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
    if not paths:
        raise ScenarioError("scenario", str(folder), "(folder)", "no scenario file (*.yaml)")
    scenarios: dict[str, Scenario] = {}
    for path in paths:
        try:
            document = load_config_file(path, kind="scenario", max_bytes=MAX_FILE_BYTES)
        except ConfigFileError as exc:
            raise ScenarioError(exc.kind, exc.file_name, exc.key_path, exc.rule) from None
        scenario = parse_scenario(path, document, categories)
        if scenario.scenario_id in scenarios:
            other = scenarios[scenario.scenario_id].source_file
            raise ScenarioError(
                "scenario",
                path.name,
                "id",
                f"duplicate id {scenario.scenario_id!r} (also in {other})",
            )
        scenarios[scenario.scenario_id] = scenario
    return list(scenarios.values())


SCENARIOS_SCHEMA = with_lineage(
    ("scenario_id", pa.string()),
    ("description", pa.string()),
    ("base_schedule_id", pa.string()),
    ("base_date", pa.date32()),
    ("base_label", pa.string()),
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
                "base_label": scenario.base_label,
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
