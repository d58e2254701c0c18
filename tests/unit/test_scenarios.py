"""Scenario files: every shipped one loads; each kind of bad file is one clear error."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from etl.scenarios import ScenarioError, Window, load_scenarios
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
            "unknown category 'soybean' in include.categories",
        ),
        ("malformed_prefix", ('"3002"', '"30.02"'), "malformed HS prefix '30.02'"),
        ("odd_prefix", ('"3002"', '"300"'), "malformed HS prefix '300'"),
        (
            "end_before_start",
            ("months: [6, 12]", "end: 2025-01-01"),
            "window end 2025-01-01 is not after its start 2025-06-01",
        ),
        ("zero_months", ("months: [6, 12]", "months: 0"), "window months 0 must be"),
        ("negative_months", ("months: [6, 12]", "months: [-6]"), "window months -6 must be"),
        (
            "unknown_key",
            ("base: ita_matrix_2025", "base: ita_matrix_2025\nwindw: 3"),
            "unknown key(s) ['windw']",
        ),
        (
            "unknown_rule_key",
            ("  hs_prefixes:", "  prefixes:"),
            "unknown key(s) ['prefixes'] in include",
        ),
        (
            "bad_base",
            ("base: ita_matrix_2025", "base: last tuesday"),
            "base 'last tuesday' is not a date",
        ),
        (
            "missing_window",
            ("window:\n  start: 2025-06-01\n  months: [6, 12]\n", ""),
            "missing required key 'window'",
        ),
        (
            "hostile_id",
            ("id: good_one", 'id: "x\'; drop table marts.fct_exemption_band; --"'),
            "must be snake_case",
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
    with pytest.raises(ScenarioError, match=r"list.yaml: the YAML document must be a mapping"):
        load_scenarios(tmp_path, CATEGORIES)
    write(tmp_path, "list.yaml", "id: [unclosed\n")
    with pytest.raises(ScenarioError, match=r"list.yaml: is not valid YAML"):
        load_scenarios(tmp_path, CATEGORIES)


def test_duplicate_ids_across_files(tmp_path):
    write(tmp_path, "a.yaml", GOOD)
    write(tmp_path, "b.yaml", GOOD)
    with pytest.raises(ScenarioError, match=r"b.yaml: duplicate id 'good_one' \(also in a.yaml\)"):
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
