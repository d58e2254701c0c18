"""Tariff-action loading at the edges mutation testing found unguarded (docs/mutation/): how
numbers are read, how an error names its action, which files are read, references between
actions at their date bounds, and the raw rows (every column, lineage, row numbers)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from etl.ingest.common import SourceFile
from etl.strict_yaml import ConfigFileError
from etl.tariff_actions import (
    ACTIONS_SCHEMA,
    TariffActionError,
    action_datasets,
    action_files,
    end_date_of,
    load_action_file,
    load_actions,
)

VALID = Path(__file__).resolve().parent.parent / "fixtures" / "tariff_actions" / "valid.yaml"
ONE = """\
actions:
  - action_id: CHN-20250410-blanket_34
    title: Additional 34% on all US goods
    effective_date: 2025-04-10
    kind: retaliation
    operation: add
    rate_pp: 34
    scope: {kind: all_us_goods}
    evidence: blanket
    source: PIIE event list 2025-04-10
"""


FIELDS = [
    "action_id",
    "title",
    "announcement",
    "announced_date",
    "effective_date",
    "ended_by",
    "status",
    "kind",
    "basis",
    "operation",
    "rate_pp",
    "factor",
    "points",
    "evidence",
    "method_note",
    "completeness_note",
    "source",
]


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def valid_text() -> str:
    return VALID.read_text(encoding="utf-8")


def file_error(tmp_path: Path, text: str) -> ConfigFileError:
    path = write(tmp_path, "f.yaml", text)
    with pytest.raises(ConfigFileError) as err:
        load_action_file(path)
    assert str(err.value).startswith("tariff-action file f.yaml: "), str(err.value)
    return err.value


def references_error(tmp_path: Path, text: str) -> str:
    write(tmp_path, "refs.yaml", text)
    with pytest.raises(TariffActionError) as err:
        load_actions(tmp_path)
    return str(err.value)


# ---- numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "value"),
    [("34", 34.0), ("34.5", 34.5), ("0.5", 0.5), ("-3", -3.0)],
)
def test_plain_decimal_rates_are_read_as_numbers(tmp_path, written, value):
    action = load_action_file(
        write(tmp_path, "f.yaml", ONE.replace("rate_pp: 34", f"rate_pp: {written}"))
    )
    assert action[0].rate_pp == value


@pytest.mark.parametrize(
    ("written", "rule"),
    [
        (
            "034",
            "034 is not a plain decimal integer (YAML 1.1 reads it as the octal number 28); "
            "write it without leading zeros, '_' or ':'",
        ),
        (
            "3_4",
            "3_4 is not a plain decimal integer (YAML 1.1 reads it as the number 34); write "
            "it without leading zeros, '_' or ':'",
        ),
        ("3.4_0", "3.4_0 is not a plain decimal number (such as 0.05)"),
        # a dot makes it a decimal number: `.inf` is not one
        (".inf", ".inf is not a plain decimal number (such as 0.05)"),
    ],
)
def test_a_rate_not_in_plain_decimal_notation_is_refused(tmp_path, written, rule):
    error = file_error(tmp_path, ONE.replace("rate_pp: 34", f"rate_pp: {written}"))
    assert (error.key_path, error.rule) == ("actions[CHN-20250410-blanket_34].rate_pp", rule)


# ---- how an error names its action ----------------------------------------------------------


def test_an_error_inside_an_action_names_the_action_by_its_id(tmp_path):
    error = file_error(tmp_path, ONE.replace("    kind: retaliation\n", "    kind: retalation\n"))
    assert error.key_path == "actions[CHN-20250410-blanket_34].kind"
    assert error.kind == "tariff-action"
    assert error.rule.startswith("Input should be 'mfn_level', 'mfn_change', ")


def test_an_action_without_an_id_is_named_by_its_position(tmp_path):
    error = file_error(
        tmp_path, ONE.replace("  - action_id: CHN-20250410-blanket_34\n    ", "  - ")
    )
    assert str(error) == "tariff-action file f.yaml: actions[0].action_id: required key is missing"


def test_an_action_that_is_not_a_mapping_is_named_by_its_position(tmp_path):
    error = file_error(tmp_path, "actions:\n  - just text\n")
    assert str(error) == (
        "tariff-action file f.yaml: actions[0]: must be a mapping, not the text 'just text'"
    )


def test_a_file_level_error_names_the_key(tmp_path):
    error = file_error(tmp_path, ONE + "colour: red\n")
    assert str(error) == "tariff-action file f.yaml: colour: unknown key; allowed: actions"
    error = file_error(tmp_path, "actions: []\n")
    assert str(error) == (
        "tariff-action file f.yaml: actions: List should have at least 1 item after "
        "validation, not 0"
    )
    error = file_error(tmp_path, "- a\n- b\n")
    assert str(error) == "tariff-action file f.yaml: (top level): must be a mapping, not a list"


def test_an_unknown_key_in_a_scope_lists_the_scope_keys(tmp_path):
    error = file_error(
        tmp_path, ONE.replace("scope: {kind: all_us_goods}", "scope: {kind: all_us_goods, x: 1}")
    )
    assert str(error) == (
        "tariff-action file f.yaml: actions[CHN-20250410-blanket_34].scope.x: unknown key; "
        "allowed: kind, measure_id, list_ids, method, action_id"
    )


def test_a_yaml_level_error_in_an_action_file_names_the_file(tmp_path):
    error = file_error(tmp_path, ONE + "actions: []\n")
    assert (
        str(error) == "tariff-action file f.yaml: actions: duplicate key 'actions' (lines 1 and 11)"
    )


def test_an_action_file_up_to_512_kb_is_read(tmp_path):
    padding = "#" * (512_000 - len(ONE.encode()) - 1) + "\n"
    path = write(tmp_path, "big.yaml", ONE + padding)
    assert path.stat().st_size == 512_000
    assert [a.action_id for a in load_action_file(path)] == ["CHN-20250410-blanket_34"]
    path.write_text(ONE + "#" + padding, encoding="utf-8")
    with pytest.raises(ConfigFileError) as err:
        load_action_file(path)
    assert str(err.value) == (
        "tariff-action file big.yaml: (file): 512,001 bytes, more than the limit of 512,000"
    )


# ---- which files are read -------------------------------------------------------------------


def test_yaml_then_yml_files_are_read_each_in_name_order(tmp_path):
    for name in ("b.yaml", "a.yaml", "c.yml", "0.yml", "d.txt", "e.yaml~"):
        write(tmp_path, name, "")
    assert [p.name for p in action_files(tmp_path)] == ["a.yaml", "b.yaml", "0.yml", "c.yml"]


def test_actions_of_a_yml_file_are_loaded_with_their_file_name(tmp_path):
    write(tmp_path, "one.yml", ONE)
    loaded = load_actions(tmp_path)
    assert list(loaded) == ["CHN-20250410-blanket_34"]
    assert loaded["CHN-20250410-blanket_34"][1] == "one.yml"


def test_an_empty_folder_names_the_folder(tmp_path):
    write(tmp_path, "notes.txt", ONE)
    with pytest.raises(TariffActionError) as err:
        load_actions(tmp_path)
    assert str(err.value) == f"no tariff-action files (*.yaml) in {tmp_path}"


# ---- references between actions ------------------------------------------------------------


def test_an_action_may_be_ended_by_an_action_on_the_next_day(tmp_path):
    text = valid_text().replace(
        "    title: Additional duty on all US goods back to 10%\n    effective_date: 2025-05-14\n",
        "    title: Additional duty on all US goods back to 10%\n    effective_date: 2025-04-13\n",
    )
    loaded = load_actions(write(tmp_path, "v.yaml", text).parent)
    action = loaded["CHN-20250412-blanket_125"][0]
    assert end_date_of(action, loaded) == date(2025, 4, 13)


def test_an_action_ended_by_one_on_the_same_day_is_refused(tmp_path):
    text = valid_text().replace(
        "    title: Additional duty on all US goods back to 10%\n    effective_date: 2025-05-14\n",
        "    title: Additional duty on all US goods back to 10%\n    effective_date: 2025-04-12\n",
    )
    assert references_error(tmp_path, text) == (
        "tariff-action file refs.yaml: actions[CHN-20250412-blanket_125].ended_by: "
        "CHN-20250514-reduction takes effect on 2025-04-12, not after this action (2025-04-12)"
    )


def test_an_action_may_take_the_lines_of_one_in_force_the_same_day(tmp_path):
    text = valid_text().replace(
        "    title: Duties of the 1 September 2019 round halved\n    effective_date: 2020-02-14\n",
        "    title: Duties of the 1 September 2019 round halved\n    effective_date: 2019-09-01\n",
    )
    loaded = load_actions(write(tmp_path, "v.yaml", text).parent)
    assert loaded["CHN-20200214-halving"][0].scope.action_id == "CHN-20190901-retaliation"


def test_an_action_taking_the_lines_of_a_later_action_is_refused(tmp_path):
    text = valid_text().replace(
        "    title: Duties of the 1 September 2019 round halved\n    effective_date: 2020-02-14\n",
        "    title: Duties of the 1 September 2019 round halved\n    effective_date: 2019-08-31\n",
    )
    assert references_error(tmp_path, text) == (
        "tariff-action file refs.yaml: actions[CHN-20200214-halving].scope: "
        "CHN-20190901-retaliation takes effect after this action"
    )


def test_an_action_ending_itself_is_refused(tmp_path):
    text = valid_text().replace(
        "    ended_by: CHN-20250514-reduction\n", "    ended_by: CHN-20250412-blanket_125\n"
    )
    assert references_error(tmp_path, text) == (
        "tariff-action file refs.yaml: actions[CHN-20250412-blanket_125].ended_by: names the "
        "action itself"
    )


def test_an_action_scaling_itself_is_refused(tmp_path):
    text = valid_text().replace(
        "{kind: action_lines, action_id: CHN-20190901-retaliation}",
        "{kind: action_lines, action_id: CHN-20200214-halving}",
    )
    assert references_error(tmp_path, text) == (
        "tariff-action file refs.yaml: actions[CHN-20200214-halving].scope: names the action itself"
    )


def test_an_action_cannot_take_the_lines_of_an_action_that_takes_lines(tmp_path):
    # the reduction suspends points of the 34% blanket; pointing it at the halving, which has
    # no line list of its own, is refused
    text = valid_text().replace(
        "{kind: action_lines, action_id: CHN-20250410-blanket_34}",
        "{kind: action_lines, action_id: CHN-20200214-halving}",
    )
    assert references_error(tmp_path, text) == (
        "tariff-action file refs.yaml: actions[CHN-20250514-reduction].scope: "
        "CHN-20200214-halving has scope action_lines; an action can only take the lines of an "
        "action with its own line list"
    )


def test_an_unknown_ended_by_is_refused(tmp_path):
    text = valid_text().replace(
        "    ended_by: CHN-20250514-reduction\n", "    ended_by: CHN-20250515-reduction\n"
    )
    assert references_error(tmp_path, text) == (
        "tariff-action file refs.yaml: actions[CHN-20250412-blanket_125].ended_by: names "
        "unknown action CHN-20250515-reduction"
    )


def test_the_end_date_is_the_given_one_or_that_of_the_ending_action(tmp_path):
    loaded = load_actions(write(tmp_path, "v.yaml", valid_text()).parent)
    assert end_date_of(loaded["CHN-20250412-blanket_125"][0], loaded) == date(2025, 5, 14)
    assert end_date_of(loaded["CHN-20180706-retaliation"][0], loaded) is None
    text = valid_text().replace(
        "    effective_date: 2018-07-06\n",
        "    effective_date: 2018-07-06\n    end_date: 2019-01-01\n",
    )
    loaded = load_actions(write(tmp_path, "v.yaml", text).parent)
    assert end_date_of(loaded["CHN-20180706-retaliation"][0], loaded) == date(2019, 1, 1)


# ---- the raw rows ---------------------------------------------------------------------------


def test_action_rows_carry_every_field_and_lineage_numbered_across_files(tmp_path):
    root = tmp_path / "reference"
    folder = root / "tariff_actions"
    text = valid_text()
    head, tail = text.split("  - action_id: CHN-20200214-halving\n")
    write(folder, "a.yaml", head)
    write(folder, "b.yaml", "actions:\n  - action_id: CHN-20200214-halving\n" + tail)
    loaded_at = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)

    (dataset,) = action_datasets(folder, root, loaded_at)

    loaded = load_actions(folder)
    files = {n: SourceFile.open(folder / n, root) for n in ("a.yaml", "b.yaml")}
    assert dataset.name == "tariff_actions"
    assert dataset.schema == ACTIONS_SCHEMA
    assert dataset.sources == [files["a.yaml"], files["b.yaml"]]  # each file once
    assert dataset.rows_read == len(dataset.rows) == len(loaded) == 8
    dataset.check_reconciled()
    assert dataset.to_arrow().num_rows == 8
    assert [r["_source_row"] for r in dataset.rows] == list(range(1, 9))
    assert [r["action_id"] for r in dataset.rows] == list(loaded)
    for row in dataset.rows:
        action, file = loaded[row["action_id"]]
        assert row["_source_file"] == f"tariff_actions/{file}"
        assert row["_source_sha256"] == files[file].sha256
        assert row["_source_sheet"] is None
        assert row["_loaded_at"] == loaded_at
        assert row["end_date"] == end_date_of(action, loaded)
        for name in FIELDS:
            assert row[name] == getattr(action, name), name
        assert (
            row["scope_kind"],
            row["scope_measure_id"],
            row["scope_list_ids"],
            row["scope_method"],
            row["scope_action_id"],
        ) == (
            action.scope.kind,
            action.scope.measure_id,
            action.scope.list_ids,
            action.scope.method,
            action.scope.action_id,
        )
    rows = {r["action_id"]: r for r in dataset.rows}
    # spot checks against the fixture text itself
    assert rows["CHN-20250310-farm"]["scope_list_ids"] == [
        "cn_tcc_2025_02_annex1",
        "cn_tcc_2025_02_annex2",
    ]
    assert rows["CHN-20250412-blanket_125"]["end_date"] == date(2025, 5, 14)
    assert rows["CHN-20200214-halving"]["factor"] == 0.5
    assert rows["CHN-20250514-reduction"]["points"] == 24.0
    assert rows["CHN-20190901-retaliation"]["announced_date"] == date(2019, 8, 23)
    assert rows["CHN-20190901-retaliation"]["scope_method"] == (
        "sep2019_hs6_list_and_matrix_residual"
    )
    assert rows["CHN-20191215-retaliation"]["status"] == "never_in_force"


def test_action_rows_are_stamped_with_the_load_time_by_default(tmp_path):
    folder = tmp_path / "tariff_actions"
    write(folder, "one.yaml", ONE)
    before = datetime.now(UTC)
    (dataset,) = action_datasets(folder, tmp_path)
    after = datetime.now(UTC)
    (row,) = dataset.rows
    assert row["_loaded_at"].tzinfo is not None and before <= row["_loaded_at"] <= after
    assert row["_source_file"] == "tariff_actions/one.yaml"
