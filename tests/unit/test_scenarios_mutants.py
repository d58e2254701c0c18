"""Scenario loading at the edges mutation testing found unguarded (docs/mutation/): the bounds
of every range (inclusive), what a loaded scenario carries, which files are read, and the raw
rows a scenario becomes (names, schemas, lineage) - the rows the SQL models read."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from etl.ingest.common import SourceFile
from etl.scenarios import (
    RULES_SCHEMA,
    SCENARIOS_SCHEMA,
    WINDOWS_SCHEMA,
    ScenarioError,
    Window,
    load_scenarios,
    scenario_datasets,
)
from etl.strict_yaml import ConfigFileError
from tests.helpers import PROJECT_ROOT
from tests.unit.test_scenarios import GOOD, write

CATEGORIES = {"soybeans", "pharmaceuticals", "semiconductors", "medical_diagnostic"}


def load_one(tmp_path: Path, text: str, categories: set[str] | None = None):
    write(tmp_path, "s.yaml", text)
    (scenario,) = load_scenarios(tmp_path, CATEGORIES if categories is None else categories)
    return scenario


def error_of(tmp_path: Path, text: str, categories: set[str] | None = None) -> str:
    write(tmp_path, "s.yaml", text)
    with pytest.raises(ScenarioError) as err:
        load_scenarios(tmp_path, CATEGORIES if categories is None else categories)
    message = str(err.value)
    assert message.startswith("scenario file s.yaml: "), message
    return message.removeprefix("scenario file s.yaml: ")


def with_(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


# ---- what a loaded scenario carries ---------------------------------------------------------


def test_a_loaded_scenario_carries_every_field_of_its_file(tmp_path):
    scenario = load_one(
        tmp_path,
        with_("description: A valid scenario.", "description: '  two\n   words  '")
        + 'notes: "kept out of the rows"\n',
    )
    assert scenario.scenario_id == "good_one"
    assert scenario.description == "two words"  # whitespace runs collapsed
    assert scenario.include_categories == ("soybeans",)
    assert scenario.include_prefixes == ("3002",)
    assert scenario.exclude_categories == ("semiconductors",)
    assert scenario.exclude_prefixes == ()
    assert scenario.windows == (Window(date(2025, 6, 1), 6), Window(date(2025, 6, 1), 12))
    assert (scenario.base_schedule_id, scenario.base_date, scenario.base_label) == (
        "ita_matrix_2025",
        date(2025, 3, 28),
        "ita_matrix_2025",
    )
    assert scenario.claimed_share == (0.03, 0.05)
    assert scenario.source_file == "s.yaml"


def test_without_exclude_or_claim_the_scenario_excludes_nothing_and_claims_nothing(tmp_path):
    text = with_("exclude:\n  categories: [semiconductors]\n", "").replace(
        "claimed_coverage_share: [0.03, 0.05]\n", ""
    )
    scenario = load_one(tmp_path, text)
    assert (scenario.exclude_categories, scenario.exclude_prefixes) == ((), ())
    assert scenario.claimed_share is None


def test_an_exclude_of_prefixes_only(tmp_path):
    scenario = load_one(
        tmp_path,
        with_("exclude:\n  categories: [semiconductors]", 'exclude:\n  hs_prefixes: ["8541"]'),
    )
    assert (scenario.exclude_categories, scenario.exclude_prefixes) == ((), ("8541",))


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("latest", ("piie_2019_06", None, "latest")),
        ("2018-01-01", ("piie_2019_06", date(2018, 1, 1), "2018-01-01")),  # first day: in
        ("2025-11-14", ("piie_2019_06", date(2025, 11, 14), "2025-11-14")),  # last day: in
        ("'2019-06-01'", ("piie_2019_06", date(2019, 6, 1), "2019-06-01")),  # quoted date
    ],
)
def test_each_kind_of_base_resolves_to_a_schedule_date_and_label(tmp_path, base, expected):
    scenario = load_one(tmp_path, with_("base: ita_matrix_2025", f"base: {base}"))
    assert (scenario.base_schedule_id, scenario.base_date, scenario.base_label) == expected


@pytest.mark.parametrize(
    ("base", "message"),
    [
        (
            "2017-12-31",
            "base: base date 2017-12-31 is outside the tariff timeline (2018-01-01..2025-11-14)",
        ),
        (
            "2025-11-15",
            "base: base date 2025-11-15 is outside the tariff timeline (2018-01-01..2025-11-14)",
        ),
        ("'2025-02-30'", "base: 2025-02-30 is not a calendar date (day is out of range for month)"),
        (
            "'Latest'",
            "base: base 'Latest' is not one of: ita_matrix_2025, latest, or a date "
            "YYYY-MM-DD from 2018-01-01 to 2025-11-14",
        ),
        (
            "20250601",
            "base: base '20250601' is not one of: ita_matrix_2025, latest, or a date "
            "YYYY-MM-DD from 2018-01-01 to 2025-11-14",
        ),
    ],
)
def test_a_base_outside_the_timeline_or_unknown_is_refused(tmp_path, base, message):
    assert error_of(tmp_path, with_("base: ita_matrix_2025", f"base: {base}")) == message


# ---- the windows ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("window", "windows"),
    [
        ("start: 2018-01-01\n  months: 1", (Window(date(2018, 1, 1), 1),)),  # first start, 1
        ("start: 2035-12-31\n  months: 36", (Window(date(2035, 12, 31), 36),)),  # last, 36
        ("start: '2025-06-01'\n  months: [3]", (Window(date(2025, 6, 1), 3),)),
        ("start: 2025-01-31\n  end: 2025-02-28", (Window(date(2025, 1, 31), 1),)),
        ("start: 2025-06-01\n  end: 2028-06-01", (Window(date(2025, 6, 1), 36),)),
    ],
)
def test_window_bounds_are_inclusive(tmp_path, window, windows):
    scenario = load_one(tmp_path, with_("start: 2025-06-01\n  months: [6, 12]", window))
    assert scenario.windows == windows


@pytest.mark.parametrize(
    ("window", "message"),
    [
        (
            "start: 2017-12-31\n  months: 6",
            "window.start: start 2017-12-31 is outside the allowed range 2018-01-01..2035-12-31",
        ),
        (
            "start: 2036-01-01\n  months: 6",
            "window.start: start 2036-01-01 is outside the allowed range 2018-01-01..2035-12-31",
        ),
        ("start: 2025-06-01\n  months: 37", "window.months[0]: 37 months is outside 1..36"),
        (
            "start: 2025-06-01\n  months: 012",
            "window.months[0]: 012 is not a plain decimal "
            "integer (YAML 1.1 reads it as the octal number 10); write it without leading zeros, "
            "'_' or ':'",
        ),
        ("start: 2025-06-01\n  months: [6, 6]", "window.months: months [6, 6] are repeated"),
        ("start: 2025-06-01\n  months: []", "window.months: names no window length"),
        (
            "start: 2025-06-01\n  end: 2028-07-01",
            "window.end: window 2025-06-01..2028-07-01 is longer than 36 months",
        ),
        (
            "start: 2025-06-01\n  end: 2025-07-02",
            "window.end: window 2025-06-01..2025-07-02 is not a whole number of months",
        ),
        (
            "start: 2025-06-01\n  months: 6\n  end: 2025-12-01",
            "window: needs exactly one of 'months' or 'end'",
        ),
        (
            "start: '2025-6-1'\n  months: 6",
            "window.start: must be a date (YYYY-MM-DD), not the text '2025-6-1'",
        ),
    ],
)
def test_a_window_out_of_bounds_is_refused_naming_the_rule(tmp_path, window, message):
    assert error_of(tmp_path, with_("start: 2025-06-01\n  months: [6, 12]", window)) == message


# ---- the other fields -----------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["30", "3002", "300210", "30021000", "3002100010"])
def test_hs_prefixes_of_2_to_10_digits_are_accepted(tmp_path, prefix):
    scenario = load_one(tmp_path, with_('hs_prefixes: ["3002"]', f'hs_prefixes: ["{prefix}"]'))
    assert scenario.include_prefixes == (prefix,)


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        (
            '"300210001000"',
            "include.hs_prefixes[0]: malformed HS prefix '300210001000': 2, 4, "
            "6, 8 or 10 digits, as quoted text",
        ),
        (
            "3002",
            "include.hs_prefixes[0]: HS prefix 3002 is an unquoted number (YAML 1.1 reads "
            "it as the number 3002): quote it, e.g. hs_prefixes: ['3002']",
        ),
        ("true", "include.hs_prefixes[0]: must be text, not a boolean"),
    ],
)
def test_a_bad_hs_prefix_is_refused_naming_the_rule(tmp_path, prefix, message):
    assert error_of(tmp_path, with_('hs_prefixes: ["3002"]', f"hs_prefixes: [{prefix}]")) == message


def test_categories_are_checked_against_the_known_set_given(tmp_path):
    text = with_("categories: [soybeans]", "categories: [soybeans, pharmaceuticals]")
    assert load_one(tmp_path, text).include_categories == ("soybeans", "pharmaceuticals")
    assert error_of(tmp_path, text, {"soybeans", "semiconductors"}) == (
        "include.categories[1]: unknown category 'pharmaceuticals'; known: ['semiconductors', "
        "'soybeans']"
    )


def test_an_include_naming_nothing_is_refused(tmp_path):
    text = with_('include:\n  categories: [soybeans]\n  hs_prefixes: ["3002"]', "include: {}")
    assert error_of(tmp_path, text) == "include: names no category and no HS prefix"


@pytest.mark.parametrize(
    ("scenario_id", "ok"),
    [("a", True), ("a" + "b" * 63, True), ("a" + "b" * 64, False), ("a_1", True), ("1a", False)],
)
def test_ids_are_snake_case_of_at_most_64_characters(tmp_path, scenario_id, ok):
    text = with_("id: good_one", f"id: {scenario_id}")
    if ok:
        assert load_one(tmp_path, text).scenario_id == scenario_id
    else:
        assert error_of(tmp_path, text).startswith("id: id ")
        assert error_of(tmp_path, text).endswith(
            " must be snake_case: a lowercase letter, then lowercase letters, digits or "
            "underscores (at most 64)"
        )


def test_a_blank_description_is_refused(tmp_path):
    text = with_("description: A valid scenario.", "description: '   '")
    assert error_of(tmp_path, text) == "description: must be non-empty text"


@pytest.mark.parametrize(
    ("claim", "message"),
    [
        ("[0.05, 0.03]", "must be [low, high] shares within [0, 1], low <= high"),
        ("[0.05]", "must be [low, high] shares within [0, 1], low <= high"),
        ("[0.03, 1.5]", "Input should be less than or equal to 1"),
        ("[0.03, .inf]", ".inf is not a plain decimal number (such as 0.05)"),
    ],
)
def test_a_claimed_share_must_be_low_high_within_0_1(tmp_path, claim, message):
    text = with_("claimed_coverage_share: [0.03, 0.05]", f"claimed_coverage_share: {claim}")
    assert message in error_of(tmp_path, text)


def test_equal_low_and_high_shares_and_the_bounds_0_and_1_are_accepted(tmp_path):
    text = with_("claimed_coverage_share: [0.03, 0.05]", "claimed_coverage_share: [0, 1]")
    assert load_one(tmp_path, text).claimed_share == (0.0, 1.0)
    text = with_("claimed_coverage_share: [0.03, 0.05]", "claimed_coverage_share: [0.5, 0.5]")
    assert load_one(tmp_path, text).claimed_share == (0.5, 0.5)


# ---- which files are read -------------------------------------------------------------------


def test_yaml_and_yml_files_are_read_in_name_order_and_nothing_else(tmp_path):
    write(tmp_path, "b.yaml", GOOD.replace("good_one", "from_b"))
    write(tmp_path, "a.yaml", GOOD.replace("good_one", "from_a"))
    write(tmp_path, "c.yml", GOOD.replace("good_one", "from_c"))
    write(tmp_path, "d.txt", GOOD.replace("good_one", "from_d"))
    write(tmp_path, "e.yaml.bak", GOOD.replace("good_one", "from_e"))
    scenarios = load_scenarios(tmp_path, CATEGORIES)
    assert [(s.scenario_id, s.source_file) for s in scenarios] == [
        ("from_a", "a.yaml"),
        ("from_b", "b.yaml"),
        ("from_c", "c.yml"),
    ]


def test_a_duplicate_id_in_a_yml_file_names_both_files(tmp_path):
    write(tmp_path, "a.yaml", GOOD)
    write(tmp_path, "z.yml", GOOD)
    with pytest.raises(ScenarioError) as err:
        load_scenarios(tmp_path, CATEGORIES)
    assert str(err.value) == "scenario file z.yml: id: duplicate id 'good_one' (also in a.yaml)"
    assert (err.value.key_path, err.value.file_name) == ("id", "z.yml")


def test_an_empty_folder_names_the_folder(tmp_path):
    write(tmp_path, "notes.txt", GOOD)
    with pytest.raises(ScenarioError) as err:
        load_scenarios(tmp_path, CATEGORIES)
    assert str(err.value) == f"scenario file {tmp_path}: (folder): no scenario file (*.yaml)"


def test_a_yaml_level_error_is_a_scenario_error_with_the_same_parts(tmp_path):
    write(tmp_path, "dup.yaml", GOOD + "id: again\n")
    with pytest.raises(ScenarioError) as err:
        load_scenarios(tmp_path, CATEGORIES)
    assert isinstance(err.value, ConfigFileError)
    assert (err.value.kind, err.value.file_name, err.value.key_path) == (
        "scenario",
        "dup.yaml",
        "id",
    )
    assert err.value.rule == "duplicate key 'id' (lines 1 and 13)"


def test_a_scenario_file_up_to_256_kb_is_read(tmp_path):
    padding = "#" * (256_000 - len(GOOD.encode()) - 1) + "\n"
    path = write(tmp_path, "big.yaml", GOOD + padding)
    assert path.stat().st_size == 256_000
    (scenario,) = load_scenarios(tmp_path, CATEGORIES)
    assert scenario.scenario_id == "good_one"
    path.write_text(GOOD + "#" + padding, encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"256,001 bytes, more than the limit of 256,000$"):
        load_scenarios(tmp_path, CATEGORIES)


# ---- the raw rows ---------------------------------------------------------------------------


def test_scenario_rows_are_three_datasets_with_lineage_per_file(tmp_path):
    folder = tmp_path / "landing" / "scenarios"
    write(folder, "a.yaml", GOOD)
    write(
        folder,
        "b.yaml",
        GOOD.replace("good_one", "second")
        .replace('hs_prefixes: ["3002"]', 'hs_prefixes: ["3002", "300490"]')
        .replace("exclude:\n  categories: [semiconductors]", 'exclude:\n  hs_prefixes: ["8541"]')
        .replace("months: [6, 12]", "months: 3")
        .replace("claimed_coverage_share: [0.03, 0.05]\n", "")
        .replace("base: ita_matrix_2025", "base: latest"),
    )
    scenarios = load_scenarios(folder, CATEGORIES)
    loaded_at = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    out, windows, rules = scenario_datasets(scenarios, folder, tmp_path / "landing", loaded_at)

    assert (out.name, windows.name, rules.name) == (
        "exemption_scenarios",
        "exemption_scenario_windows",
        "exemption_scenario_rules",
    )
    assert (out.schema, windows.schema, rules.schema) == (
        SCENARIOS_SCHEMA,
        WINDOWS_SCHEMA,
        RULES_SCHEMA,
    )
    files = [SourceFile.open(folder / n, tmp_path / "landing") for n in ("a.yaml", "b.yaml")]
    for dataset in (out, windows, rules):
        assert dataset.sources == files
        assert dataset.quarantine == []
        dataset.check_reconciled()
        table = dataset.to_arrow()  # every row fits the schema
        assert table.num_rows == dataset.rows_read
        for row in dataset.rows:
            assert row["_source_row"] == 1  # one record per file
            assert row["_source_sheet"] is None
            assert row["_loaded_at"] == loaded_at
            assert row["_source_file"] in ("scenarios/a.yaml", "scenarios/b.yaml")
            file = files[0] if row["_source_file"] == "scenarios/a.yaml" else files[1]
            assert row["_source_sha256"] == file.sha256

    assert out.to_arrow().select(SCENARIOS_SCHEMA.names[:7]).to_pylist() == [
        {
            "scenario_id": "good_one",
            "description": "A valid scenario.",
            "base_schedule_id": "ita_matrix_2025",
            "base_date": date(2025, 3, 28),
            "base_label": "ita_matrix_2025",
            "claimed_share_low": 0.03,
            "claimed_share_high": 0.05,
        },
        {
            "scenario_id": "second",
            "description": "A valid scenario.",
            "base_schedule_id": "piie_2019_06",
            "base_date": None,
            "base_label": "latest",
            "claimed_share_low": None,
            "claimed_share_high": None,
        },
    ]
    assert windows.to_arrow().select(WINDOWS_SCHEMA.names[:4]).to_pylist() == [
        {
            "scenario_id": "good_one",
            "window_months": 6,
            "window_start_date": date(2025, 6, 1),
            "window_end_date": date(2025, 12, 1),
        },
        {
            "scenario_id": "good_one",
            "window_months": 12,
            "window_start_date": date(2025, 6, 1),
            "window_end_date": date(2026, 6, 1),
        },
        {
            "scenario_id": "second",
            "window_months": 3,
            "window_start_date": date(2025, 6, 1),
            "window_end_date": date(2025, 9, 1),
        },
    ]
    assert [
        tuple(r.values()) for r in rules.to_arrow().select(RULES_SCHEMA.names[:4]).to_pylist()
    ] == [
        ("good_one", "include", "category", "soybeans"),
        ("good_one", "include", "hs_prefix", "3002"),
        ("good_one", "exclude", "category", "semiconductors"),
        ("second", "include", "category", "soybeans"),
        ("second", "include", "hs_prefix", "3002"),
        ("second", "include", "hs_prefix", "300490"),
        ("second", "exclude", "hs_prefix", "8541"),
    ]


def test_scenario_rows_are_stamped_with_the_load_time_by_default(tmp_path):
    folder = tmp_path / "scenarios"
    shutil.copy(PROJECT_ROOT / "scenarios" / "seed_story.yaml", folder.mkdir() or folder)
    scenarios = load_scenarios(
        folder,
        {
            "soybeans",
            "pharmaceuticals",
            "medical_diagnostic",
            "semiconductors",
            "renewable_energy",
            "electric_vehicles",
        },
    )
    before = datetime.now(UTC)
    datasets = scenario_datasets(scenarios, folder, tmp_path)
    after = datetime.now(UTC)
    stamps = {row["_loaded_at"] for ds in datasets for row in ds.rows}
    assert len(stamps) == 1
    (stamp,) = stamps
    assert stamp.tzinfo is not None and before <= stamp <= after


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "claimed_coverage_share: [0.03, 0.05]",
            "claimed_coverage_share: ['0.03', 0.05]",
            "claimed_coverage_share[0]: must be a number, not the text '0.03'",
        ),
        (
            "months: [6, 12]",
            "months: ['6']",
            "window.months[0]: must be a whole number, not the text '6'",
        ),
        (
            "months: [6, 12]",
            "months: [6.5]",
            "window.months[0]: 6.5 is not a plain decimal "
            "integer (YAML 1.1 reads it as the number 6.5); write it without leading zeros, '_' or "
            "':'",
        ),
    ],
)
def test_a_quoted_number_is_text_not_a_number(tmp_path, old, new, message):
    assert error_of(tmp_path, with_(old, new)) == message


@pytest.mark.parametrize(
    ("base", "shown"), [("[ita_matrix_2025]", "['ita_matrix_2025']"), ("{a: b}", "{'a': 'b'}")]
)
def test_a_base_that_is_a_list_or_mapping_is_refused(tmp_path, base, shown):
    assert error_of(tmp_path, with_("base: ita_matrix_2025", f"base: {base}")) == (
        f"base: base {shown} is not one of: ita_matrix_2025, latest, or a date YYYY-MM-DD from "
        "2018-01-01 to 2025-11-14"
    )


def test_an_empty_months_key_is_no_window_length(tmp_path):
    text = with_("start: 2025-06-01\n  months: [6, 12]", "start: 2025-06-01\n  months:")
    assert error_of(tmp_path, text) == "window: needs exactly one of 'months' or 'end'"
