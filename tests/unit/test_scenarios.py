"""Scenario files: every shipped one loads; each kind of bad file is one clear error."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from etl.scenarios import (
    SCENARIOS_SCHEMA,
    ScenarioError,
    Window,
    load_scenarios,
    scenario_datasets,
)
from etl.strict_yaml import ConfigFileError
from tests.helpers import PROJECT_ROOT

CATEGORIES = {
    "soybeans",
    "pharmaceuticals",
    "medical_diagnostic",
    "semiconductors",
    "renewable_energy",
    "electric_vehicles",
    "agricultural",
    "fish_and_seafood",
}
GOOD = """\
id: good_one
description: A valid scenario.
include:
  categories: [soybeans]
  hs_prefixes: ["3002"]
exclude:
  categories: [semiconductors]
window:
  start: 2025-06-01
  months: [6, 12]
base: ita_matrix_2025
claimed_coverage_share: [0.03, 0.05]
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_scenarios_load():
    scenarios = {s.scenario_id: s for s in load_scenarios(PROJECT_ROOT / "scenarios", CATEGORIES)}
    assert {
        "seed_story",
        "agri_medical_broad",
        "pharma_medical_only",
        "exclusion_2019_first_list",
    } <= set(scenarios)
    seed = scenarios["seed_story"]
    assert seed.include_categories == ("soybeans", "pharmaceuticals", "medical_diagnostic")
    assert seed.exclude_categories == ("semiconductors", "renewable_energy", "electric_vehicles")
    assert [w.months for w in seed.windows] == [6, 12]
    assert (seed.base_schedule_id, seed.base_date) == ("ita_matrix_2025", date(2025, 3, 28))
    first = scenarios["exclusion_2019_first_list"]
    assert first.windows == (Window(date(2019, 9, 17), 12),)
    assert first.windows[0].end == date(2020, 9, 17)
    assert (first.base_schedule_id, first.base_date) == ("piie_2019_06", date(2019, 9, 16))
    assert (seed.base_label, first.base_label) == ("ita_matrix_2025", "2019-09-16")


def test_seed_story_ships_on_three_bases_with_the_same_exemption():
    scenarios = {s.scenario_id: s for s in load_scenarios(PROJECT_ROOT / "scenarios", CATEGORIES)}
    seed, era, latest = (
        scenarios[i] for i in ("seed_story", "seed_story_2023", "seed_story_latest")
    )
    for other in (era, latest):
        assert other.include_categories == seed.include_categories
        assert other.exclude_categories == seed.exclude_categories
        assert (other.include_prefixes, other.exclude_prefixes) == ((), ())
        assert other.claimed_share == seed.claimed_share == (0.03, 0.05)
        assert [w.months for w in other.windows] == [6, 12]
    assert (seed.base_schedule_id, seed.base_date, seed.base_label) == (
        "ita_matrix_2025",
        date(2025, 3, 28),
        "ita_matrix_2025",
    )
    assert (era.base_schedule_id, era.base_date, era.base_label) == (
        "piie_2019_06",
        date(2023, 6, 1),
        "2023-06-01",
    )
    assert era.windows == (Window(date(2023, 6, 1), 6), Window(date(2023, 6, 1), 12))
    assert (latest.base_schedule_id, latest.base_date, latest.base_label) == (
        "piie_2019_06",
        None,
        "latest",
    )
    assert [w.end for w in latest.windows] == [date(2026, 5, 14), date(2026, 11, 14)]
    for name in ("seed_story_2023.yaml", "seed_story_latest.yaml"):
        text = (PROJECT_ROOT / "scenarios" / name).read_text(encoding="utf-8")
        comment = " ".join(line for line in text.splitlines() if line.startswith("#"))
        assert "seed_story.yaml" in comment and "The base differs" in comment


def test_scenario_rows_carry_the_base_label_and_a_null_date_for_latest():
    folder = PROJECT_ROOT / "scenarios"
    scenarios, windows, rules = scenario_datasets(
        load_scenarios(folder, CATEGORIES), folder, folder
    )
    assert "base_label" in SCENARIOS_SCHEMA.names
    assert SCENARIOS_SCHEMA.field("base_label").type == "string"
    rows = {r["scenario_id"]: r for r in scenarios.rows}
    assert (rows["seed_story_latest"]["base_date"], rows["seed_story_latest"]["base_label"]) == (
        None,
        "latest",
    )
    assert rows["seed_story_2023"]["base_label"] == "2023-06-01"
    assert rows["seed_story"]["base_label"] == "ita_matrix_2025"
    assert all(set(r) == set(SCENARIOS_SCHEMA.names) for r in scenarios.rows)
    assert scenarios.rows_read == len(scenarios.rows) == len(rows)
    assert windows.rows_read == len(windows.rows) and rules.rows_read == len(rules.rows)


def test_the_first_exclusion_scenario_names_exactly_the_lines_of_the_list():
    import csv

    scenario = next(
        s
        for s in load_scenarios(PROJECT_ROOT / "scenarios", CATEGORIES)
        if s.scenario_id == "exclusion_2019_first_list"
    )
    with open(
        PROJECT_ROOT / "data/landing/china_exclusions/exclusion_items.csv", encoding="utf-8"
    ) as fh:
        items = [
            r["hs8"] for r in csv.DictReader(fh) if r["announcement_id"] == "税委会公告〔2019〕6号"
        ]
    assert len(items) == 16
    assert sorted(scenario.include_prefixes) == sorted(set(items))


@pytest.mark.parametrize(
    ("name", "replace", "message"),
    [
        (
            "unknown_category",
            ("[soybeans]", "[soybean]"),
            "include.categories[0]: unknown category 'soybean'; known: ['agricultural', ",
        ),
        (
            "malformed_prefix",
            ('"3002"', '"30.02"'),
            "include.hs_prefixes[0]: malformed HS prefix '30.02': 2, 4, 6, 8 or 10 digits",
        ),
        ("odd_prefix", ('"3002"', '"300"'), "include.hs_prefixes[0]: malformed HS prefix '300'"),
        (
            "end_before_start",
            ("months: [6, 12]", "end: 2025-01-01"),
            "window.end: window end 2025-01-01 is not after its start 2025-06-01",
        ),
        (
            "zero_months",
            ("months: [6, 12]", "months: 0"),
            "window.months[0]: 0 months is outside 1..36",
        ),
        (
            "negative_months",
            ("months: [6, 12]", "months: [-6]"),
            "window.months[0]: -6 months is outside 1..36",
        ),
        (
            "unknown_key",
            ("base: ita_matrix_2025", "base: ita_matrix_2025\nwindw: 3"),
            "windw: unknown key; allowed: id, description, include, exclude, window, base, "
            "claimed_coverage_share, notes",
        ),
        (
            "unknown_rule_key",
            ("  hs_prefixes:", "  prefixes:"),
            "include.prefixes: unknown key; allowed: categories, hs_prefixes",
        ),
        (
            "bad_base",
            ("base: ita_matrix_2025", "base: last tuesday"),
            "base: base 'last tuesday' is not one of: ita_matrix_2025, latest, or a date "
            "YYYY-MM-DD from 2018-01-01 to 2025-11-14",
        ),
        (
            "missing_window",
            ("window:\n  start: 2025-06-01\n  months: [6, 12]\n", ""),
            "window: required key is missing",
        ),
        (
            "hostile_id",
            ("id: good_one", 'id: "x\'; drop table marts.fct_exemption_band; --"'),
            'id: id "x\'; drop table marts.fct_exemption_band; --" must be snake_case',
        ),
    ],
)
def test_each_bad_scenario_is_one_clear_error_naming_the_file(tmp_path, name, replace, message):
    old, new = replace
    assert old in GOOD
    write(tmp_path, f"{name}.yaml", GOOD.replace(old, new, 1))
    with pytest.raises(ScenarioError) as err:
        load_scenarios(tmp_path, CATEGORIES)
    text = str(err.value)
    assert text.startswith(f"scenario file {name}.yaml: ")
    assert message in text
    assert "\n" not in text


def test_yaml_that_is_not_a_mapping(tmp_path):
    write(tmp_path, "list.yaml", "- id: a\n- id: b\n")
    with pytest.raises(
        ScenarioError,
        match=r"^scenario file list.yaml: \(top level\): must be a mapping, not a list$",
    ):
        load_scenarios(tmp_path, CATEGORIES)
    write(tmp_path, "list.yaml", "id: [unclosed\n")
    with pytest.raises(
        ScenarioError, match=r"^scenario file list.yaml: line 2, column 1: not valid YAML: "
    ):
        load_scenarios(tmp_path, CATEGORIES)


def test_duplicate_ids_across_files(tmp_path):
    write(tmp_path, "a.yaml", GOOD)
    write(tmp_path, "b.yaml", GOOD)
    with pytest.raises(
        ScenarioError,
        match=r"^scenario file b.yaml: id: duplicate id 'good_one' \(also in a.yaml\)$",
    ):
        load_scenarios(tmp_path, CATEGORIES)


def test_hostile_text_in_a_description_is_kept_as_data(tmp_path):
    hostile = "Robert'); drop table marts.fct_exemption_band; --"
    write(tmp_path, "ok.yaml", GOOD.replace("A valid scenario.", f'"{hostile}"'))
    (scenario,) = load_scenarios(tmp_path, CATEGORIES)
    assert scenario.description == hostile


def test_window_end_is_whole_months():
    assert Window(date(2025, 1, 31), 1).end == date(2025, 2, 28)
    assert Window(date(2024, 1, 31), 1).end == date(2024, 2, 29)
    assert Window(date(2025, 6, 1), 12).end == date(2026, 6, 1)
    assert Window(date(2025, 11, 15), 6).end == date(2026, 5, 15)


def test_window_end_is_calendar_correct_across_february_2100():
    assert Window(date(2099, 1, 31), 13).end == date(2100, 2, 28)  # 2100 is not a leap year
    assert Window(date(2096, 1, 31), 1).end == date(2096, 2, 29)
    assert Window(date(2000, 1, 31), 1).end == date(2000, 2, 29)  # 2000 is
    assert Window(date(2025, 12, 31), 2).end == date(2026, 2, 28)
    assert Window(date(2035, 12, 31), 36).end == date(2038, 12, 31)


def billion_laughs() -> str:
    lines = ['l0: &l0 ["lol"]']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 10)]
    return "\n".join(lines) + "\n"


# Each entry: a hostile or careless edit of GOOD, and the exact start of its one-line error.
# Line numbers count GOOD's lines: id 1, window 8, start 9, months 10, base 11.
HOSTILE = [
    (
        "octal_prefixes",
        ('hs_prefixes: ["3002"]', "hs_prefixes: [0101, 0106, 0110]"),
        "include.hs_prefixes[0]: HS prefix 0101 is an unquoted number (YAML 1.1 reads it as "
        "the octal number 65): quote it, e.g. hs_prefixes: ['0101']",
    ),
    (
        "unquoted_prefix_yaml11_reads_as_text",
        ('hs_prefixes: ["3002"]', 'hs_prefixes: ["3002", 0108]'),
        "include.hs_prefixes[1]: HS prefix 0108 is an unquoted number (YAML 1.1 reads it as "
        "the text '0108' (YAML 1.2: a number)): quote it, e.g. hs_prefixes: ['0108']",
    ),
    (
        "unquoted_decimal_prefix",
        ('hs_prefixes: ["3002"]', "hs_prefixes: [30049090]"),
        "include.hs_prefixes[0]: HS prefix 30049090 is an unquoted number",
    ),
    (
        "sexagesimal_prefix",
        ('hs_prefixes: ["3002"]', "hs_prefixes: [12:01]"),
        "include.hs_prefixes[0]: HS prefix 12:01 is an unquoted number (YAML 1.1 reads it as "
        "the sexagesimal number 721): quote it",
    ),
    (
        "unicode_digit_prefix",
        ('hs_prefixes: ["3002"]', 'hs_prefixes: ["٣٠٠٢"]'),
        "include.hs_prefixes[0]: malformed HS prefix '٣٠٠٢'",
    ),
    (
        "duplicate_id_key",
        ("base: ita_matrix_2025", "base: ita_matrix_2025\nid: other_one"),
        "id: duplicate key 'id' (lines 1 and 12)",
    ),
    (
        "duplicate_nested_key",
        ("  months: [6, 12]", "  months: [6, 12]\n  months: 3"),
        "window.months: duplicate key 'months' (lines 10 and 11)",
    ),
    (
        "alias_bomb_in_base",
        ("base: ita_matrix_2025", billion_laughs() + "base: *l9"),
        "l3[2]: more than 20 alias uses (*l2 at line 14)",
    ),
    (
        "alias_bomb_in_window",
        (
            "window:\n  start: 2025-06-01\n  months: [6, 12]\n",
            billion_laughs() + "window: {start: 2025-06-01, months: *l9}\n",
        ),
        "l3[2]: more than 20 alias uses (*l2 at line 11)",
    ),
    (
        "window_start_far_future",
        ("  start: 2025-06-01\n  months: [6, 12]", "  start: 2099-01-29\n  months: 13"),
        "window.start: start 2099-01-29 is outside the allowed range 2018-01-01..2035-12-31",
    ),
    (
        "window_start_before_2018",
        ("start: 2025-06-01", "start: 2017-12-31"),
        "window.start: start 2017-12-31 is outside the allowed range",
    ),
    ("window_too_long", ("months: [6, 12]", "months: [6, 37]"), "window.months[1]: 37 months"),
    (
        "window_months_octal",
        ("months: [6, 12]", "months: [6, 012]"),
        "window.months[1]: 012 is not a plain decimal integer (YAML 1.1 reads it as the octal "
        "number 10)",
    ),
    (
        "window_months_fraction",
        ("months: [6, 12]", "months: 6.5"),
        "window.months[0]: 6.5 is not a plain decimal integer",
    ),
    ("window_months_repeated", ("months: [6, 12]", "months: [6, 6]"), "window.months: months"),
    (
        "window_months_and_end",
        ("months: [6, 12]", "months: 6\n  end: 2025-12-01"),
        "window: needs exactly one of 'months' or 'end'",
    ),
    (
        "window_end_not_whole_months",
        ("months: [6, 12]", "end: 2025-07-15"),
        "window.end: window 2025-06-01..2025-07-15 is not a whole number of months",
    ),
    (
        "window_end_too_far",
        ("months: [6, 12]", "end: 2099-06-01"),
        "window.end: window 2025-06-01..2099-06-01 is longer than 36 months",
    ),
    (
        "window_impossible_date",
        ("start: 2025-06-01", "start: 2025-02-29"),
        "window.start: 2025-02-29 is not a calendar date (day is out of range for month)",
    ),
    (
        "window_one_digit_month",
        ("start: 2025-06-01", "start: 2025-6-1"),
        "window.start: must be a date (YYYY-MM-DD), not the text '2025-6-1'",
    ),
    (
        "window_scalar_not_mapping",
        ("window:\n  start: 2025-06-01\n  months: [6, 12]\n", "window: 12\n"),
        "window: must be a mapping, not the unquoted number 12",
    ),
    (
        "include_scalar_not_mapping",
        ('include:\n  categories: [soybeans]\n  hs_prefixes: ["3002"]\n', "include: soybeans\n"),
        "include: must be a mapping, not the text 'soybeans'",
    ),
    (
        "include_empty",
        ('include:\n  categories: [soybeans]\n  hs_prefixes: ["3002"]\n', "include: {}\n"),
        "include: names no category and no HS prefix",
    ),
    (
        "category_norway_problem",
        ("[soybeans]", "[soybeans, no]"),
        "include.categories[1]: 'no' is a boolean in YAML 1.1: write true or false",
    ),
    (
        "base_after_timeline",
        ("base: ita_matrix_2025", "base: 2025-11-15"),
        "base: base date 2025-11-15 is outside the tariff timeline (2018-01-01..2025-11-14)",
    ),
    (
        "base_before_timeline",
        ("base: ita_matrix_2025", "base: 2017-12-31"),
        "base: base date 2017-12-31 is outside the tariff timeline",
    ),
    (
        "base_number",
        ("base: ita_matrix_2025", "base: 20230601"),
        "base: base '20230601' is not one of: ita_matrix_2025, latest",
    ),
    (
        "base_impossible_date",
        ("base: ita_matrix_2025", "base: 2023-02-29"),
        "base: 2023-02-29 is not a calendar date",
    ),
    (
        "base_quoted_impossible_date",
        ("base: ita_matrix_2025", "base: '2023-02-29'"),
        "base: 2023-02-29 is not a calendar date",
    ),
    (
        "description_number",
        ("description: A valid scenario.", "description: 2025"),
        "description: must be text, not the unquoted number 2025",
    ),
    (
        "claimed_share_reversed",
        ("[0.03, 0.05]", "[0.05, 0.03]"),
        "claimed_coverage_share: must be [low, high] shares within [0, 1], low <= high",
    ),
    (
        "claimed_share_nan",
        ("[0.03, 0.05]", "[.nan, 0.05]"),
        "claimed_coverage_share[0]: .nan is not a plain decimal number",
    ),
    (
        "claimed_share_above_one",
        ("[0.03, 0.05]", "[0.03, 5]"),
        "claimed_coverage_share[1]: Input should be less than or equal to 1",
    ),
    (
        "python_object_tag",
        ("base: ita_matrix_2025", 'base: !!python/object/apply:os.system ["id"]'),
        "base: explicit tag",
    ),
    (
        "tab_indentation",
        ("  start: 2025-06-01", "\tstart: 2025-06-01"),
        "line 9, column 1: a tab character where YAML allows only spaces: indent with spaces",
    ),
]


@pytest.mark.parametrize(("name", "replace", "message"), HOSTILE, ids=[c[0] for c in HOSTILE])
def test_hostile_scenario_is_one_line_naming_file_key_and_rule(tmp_path, name, replace, message):
    old, new = replace
    assert old in GOOD
    write(tmp_path, f"{name}.yaml", GOOD.replace(old, new, 1))
    started = time.perf_counter()
    with pytest.raises(ScenarioError) as err:
        load_scenarios(tmp_path, CATEGORIES)
    assert time.perf_counter() - started < 10.0  # the unbounded bomb took 28 s
    text = str(err.value)
    assert isinstance(err.value, ConfigFileError)
    assert text.startswith(f"scenario file {name}.yaml: {message}"), text
    assert "\n" not in text and len(text) <= 400


def test_quoted_prefixes_and_any_base_are_accepted(tmp_path):
    text = GOOD.replace('hs_prefixes: ["3002"]', "hs_prefixes: ['0101', '0106', '0110']")
    for base, expected in [
        ("ita_matrix_2025", ("ita_matrix_2025", date(2025, 3, 28), "ita_matrix_2025")),
        ("latest", ("piie_2019_06", None, "latest")),
        ("2018-01-01", ("piie_2019_06", date(2018, 1, 1), "2018-01-01")),
        ("'2025-11-14'", ("piie_2019_06", date(2025, 11, 14), "2025-11-14")),
    ]:
        write(tmp_path, "ok.yaml", text.replace("base: ita_matrix_2025", f"base: {base}"))
        (scenario,) = load_scenarios(tmp_path, CATEGORIES)
        assert scenario.include_prefixes == ("0101", "0106", "0110")
        assert (scenario.base_schedule_id, scenario.base_date, scenario.base_label) == expected


def test_end_dated_window_at_a_month_end(tmp_path):
    write(
        tmp_path,
        "ok.yaml",
        GOOD.replace(
            "  start: 2025-06-01\n  months: [6, 12]", "  start: 2024-01-31\n  end: 2024-02-29"
        ),
    )
    (scenario,) = load_scenarios(tmp_path, CATEGORIES)
    assert scenario.windows == (Window(date(2024, 1, 31), 1),)


def test_a_12_mb_scenario_file_is_refused_by_size(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_bytes(GOOD.encode() + b"notes: " + b"x" * (12 * 1024 * 1024) + b"\n")
    started = time.perf_counter()
    with pytest.raises(ScenarioError) as err:
        load_scenarios(tmp_path, CATEGORIES)
    assert time.perf_counter() - started < 10.0
    assert str(err.value) == (
        f"scenario file huge.yaml: (file): {path.stat().st_size:,} bytes, "
        "more than the limit of 256,000"
    )


def test_non_utf8_scenario_file(tmp_path):
    (tmp_path / "latin.yaml").write_bytes(
        GOOD.replace("A valid scenario.", "Caf\xe9").encode("latin-1")
    )
    with pytest.raises(ScenarioError, match=r"^scenario file latin.yaml: line 2: byte 0xe9 at"):
        load_scenarios(tmp_path, CATEGORIES)


def test_an_empty_folder_is_one_clear_error(tmp_path):
    with pytest.raises(ScenarioError, match=r": \(folder\): no scenario file \(\*\.yaml\)$"):
        load_scenarios(tmp_path, CATEGORIES)


def test_run_with_a_bad_scenario_exits_2_and_publishes_nothing(tmp_path):
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    for path in (PROJECT_ROOT / "scenarios").glob("*.yaml"):
        (scenarios / path.name).write_bytes(path.read_bytes())
    seed = scenarios / "seed_story.yaml"
    seed.write_text(
        seed.read_text(encoding="utf-8").replace(
            "categories: [soybeans, pharmaceuticals, medical_diagnostic]",
            "categories: [soybeans, pharmaceuticals, medical_diagnostic]\n  hs_prefixes: [0101]",
        ),
        encoding="utf-8",
    )
    warehouse = tmp_path / "warehouse"
    result = subprocess.run(
        [sys.executable, "-m", "etl.cli", "run"],
        cwd=PROJECT_ROOT,
        env={
            "TARIFF_ETL_WAREHOUSE": str(warehouse),
            "TARIFF_ETL_SCENARIOS": str(scenarios),
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == (
        "error: scenario file seed_story.yaml: include.hs_prefixes[0]: HS prefix 0101 is an "
        "unquoted number (YAML 1.1 reads it as the octal number 65): quote it, e.g. "
        "hs_prefixes: ['0101']"
    )
    assert "Traceback" not in result.stdout + result.stderr
    assert not (warehouse / "current").exists()
    assert [p for p in warehouse.rglob("*") if p.is_file() and p.name != ".lock"] == []
