"""Tariff-action files (data/reference/tariff_actions): the shipped ones load record by record;
each kind of bad file stops the load (and a run) with one line naming the file, the action and
the rule."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml

from etl import cli
from etl import settings as settings_module
from etl.errors import EtlError
from etl.settings import Settings
from etl.strict_yaml import ConfigFileError
from etl.tariff_actions import (
    ACTIONS_SCHEMA,
    TariffActionError,
    action_datasets,
    load_actions,
)
from tests.helpers import PROJECT_ROOT

REFERENCE = PROJECT_ROOT / "data" / "reference"
SHIPPED = REFERENCE / "tariff_actions"
VALID = Path(__file__).resolve().parent.parent / "fixtures" / "tariff_actions" / "valid.yaml"


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def shipped_records() -> list[tuple[str, dict]]:
    """Every record of the shipped files as plain YAML reads it: (file name, record)."""
    out = []
    for path in sorted(SHIPPED.glob("*.yaml")):
        for record in yaml.safe_load(path.read_text(encoding="utf-8"))["actions"]:
            out.append((path.name, record))
    return out


def test_every_shipped_action_loads_with_a_unique_id():
    records = shipped_records()
    ids = [record["action_id"] for _, record in records]
    assert len(records) >= 40  # PIIE's 11 columns, the 2019-2025 rounds, exclusions, MFN changes
    assert len(set(ids)) == len(ids)
    loaded = load_actions(SHIPPED)
    assert list(loaded) == ids  # every record, in file order, none dropped or added
    for file, record in records:
        action, loaded_from = loaded[record["action_id"]]
        assert loaded_from == file
        assert action.effective_date == record["effective_date"]
        assert action.end_date == record.get("end_date")
        assert action.ended_by == record.get("ended_by")
        assert action.operation == record["operation"]
        assert action.scope.kind == record["scope"]["kind"]
        assert action.evidence == record["evidence"]
        assert action.status == record.get("status", "in_force")
        for key in ("rate_pp", "factor", "points"):
            assert getattr(action, key) == record.get(key), (record["action_id"], key)


def test_shipped_actions_cover_every_round_the_issue_names():
    loaded = load_actions(SHIPPED)
    by_date: dict[date, list] = {}
    for action, _ in loaded.values():
        by_date.setdefault(action.effective_date, []).append(action)
    # the 15 Dec 2019 round and the restored auto duties: recorded, never in force
    december = {a.action_id: a.status for a in by_date[date(2019, 12, 15)]}
    assert len(december) == 2 and set(december.values()) == {"never_in_force"}
    (halving,) = (a for a in by_date[date(2020, 2, 14)] if a.operation == "scale")
    assert halving.factor == 0.5
    assert loaded[halving.scope.action_id][0].effective_date == date(2019, 9, 1)
    assert loaded[halving.scope.action_id][0].evidence == "derived"
    blankets = sorted(
        (a.effective_date, a.rate_pp) for a, _ in loaded.values() if a.scope.kind == "all_us_goods"
    )
    # 34% then 84% on 10 April, 125% on 12 April 2025
    assert blankets == [
        (date(2025, 4, 10), 34.0),
        (date(2025, 4, 10), 50.0),
        (date(2025, 4, 12), 41.0),
    ]
    assert all(
        a.evidence == "blanket" for a, _ in loaded.values() if a.scope.kind == "all_us_goods"
    )
    (cut,) = by_date[date(2025, 5, 14)]
    assert (cut.operation, cut.points) == ("suspend", 24.0)
    # the raises to 84% and 125% end on 14 May 2025; 10% (34 - 24) stays
    ended = {a.action_id for a, _ in loaded.values() if a.ended_by == cut.action_id}
    assert ended == {a.action_id for a, _ in loaded.values() if a.rate_pp in (50.0, 41.0)}
    (farm_off,) = by_date[date(2025, 11, 10)]
    assert loaded[farm_off.scope.action_id][0].effective_date == date(2025, 3, 10)
    unknown = [a for a, _ in loaded.values() if a.scope.kind == "unknown_lines"]
    assert all(a.completeness_note for a in unknown)
    assert date(2025, 2, 10) in {a.effective_date for a in unknown}


def test_action_rows_resolve_ended_by_to_the_end_date_and_reconcile():
    (dataset,) = action_datasets(SHIPPED, REFERENCE)
    loaded = load_actions(SHIPPED)
    assert dataset.schema == ACTIONS_SCHEMA
    assert dataset.rows_read == len(dataset.rows) == len(loaded)
    assert dataset.quarantine == []
    rows = {row["action_id"]: row for row in dataset.rows}
    for action, _ in loaded.values():
        if action.ended_by:
            end = loaded[action.ended_by][0].effective_date
            assert rows[action.action_id]["end_date"] == end
            assert end > action.effective_date


def test_the_fixture_file_is_valid(tmp_path):
    write(tmp_path, "valid.yaml", VALID.read_text(encoding="utf-8"))
    loaded = load_actions(tmp_path)
    assert len(loaded) == 8
    assert loaded["CHN-20250412-blanket_125"][0].ended_by == "CHN-20250514-reduction"


BLANKET_125 = "CHN-20250412-blanket_125"

# (case, (text in valid.yaml, replacement), error class, action named, key path after it, rule)
BAD = [
    (
        "unknown_operation",
        ("    operation: scale\n", "    operation: multiply\n"),
        ConfigFileError,
        "CHN-20200214-halving",
        ".operation",
        "'add', 'set', 'scale', 'suspend' or 'exclude'",
    ),
    (
        "end_before_start",
        (
            "    effective_date: 2018-07-06\n",
            "    effective_date: 2018-07-06\n    end_date: 2018-07-01\n",
        ),
        ConfigFileError,
        "CHN-20180706-retaliation",
        "",
        "end_date 2018-07-01 is not after effective_date 2018-07-06",
    ),
    (
        "scope_names_unknown_action",
        (
            "{kind: action_lines, action_id: CHN-20190901-retaliation}",
            "{kind: action_lines, action_id: CHN-20190902-retaliation}",
        ),
        TariffActionError,
        "CHN-20200214-halving",
        ".scope",
        "names unknown action CHN-20190902-retaliation",
    ),
    (
        "ended_by_an_earlier_action",
        ("    ended_by: CHN-20250514-reduction\n", "    ended_by: CHN-20250310-farm\n"),
        TariffActionError,
        BLANKET_125,
        ".ended_by",
        "CHN-20250310-farm takes effect on 2025-03-10, not after this action (2025-04-12)",
    ),
    (
        "unknown_key",
        ("    rate_pp: 41\n", "    rate_pp: 41\n    colour: red\n"),
        ConfigFileError,
        BLANKET_125,
        ".colour",
        "unknown key; allowed: action_id, title,",
    ),
    (
        "rate_as_text",
        ("    rate_pp: 41\n", "    rate_pp: '41'\n"),
        ConfigFileError,
        BLANKET_125,
        ".rate_pp",
        "must be a number, not the text '41'",
    ),
    (
        "rate_octal_looking",
        ("    rate_pp: 41\n", "    rate_pp: 041\n"),
        ConfigFileError,
        BLANKET_125,
        ".rate_pp",
        "041 is not a plain decimal integer (YAML 1.1 reads it as the octal number 33)",
    ),
    (
        "rate_sexagesimal",
        ("    rate_pp: 41\n", "    rate_pp: 1:30\n"),
        ConfigFileError,
        BLANKET_125,
        ".rate_pp",
        "1:30 is not a plain decimal integer",
    ),
    (
        "unknown_lines_without_completeness_note",
        (
            "    completeness_note: suspended before taking effect; its line list is not bundled\n",
            "",
        ),
        ConfigFileError,
        "CHN-20191215-retaliation",
        "",
        "scope unknown_lines needs completeness_note saying what is missing",
    ),
    (
        "derived_without_method_note",
        ("    method_note: the HS6 list and the 2025 matrix residual\n", ""),
        ConfigFileError,
        "CHN-20190901-retaliation",
        "",
        "evidence derived needs method_note naming the method",
    ),
    (
        "blanket_without_rate",
        ("    rate_pp: 34\n", ""),
        ConfigFileError,
        "CHN-20250410-blanket_34",
        "",
        "rate_pp is given exactly for scope kind all_us_goods",
    ),
    (
        "blanket_with_a_line_list_evidence",
        (
            "    rate_pp: 34\n    scope: {kind: all_us_goods}\n    evidence: blanket\n",
            "    rate_pp: 34\n    scope: {kind: all_us_goods}\n    evidence: official_list\n",
        ),
        ConfigFileError,
        "CHN-20250410-blanket_34",
        "",
        "scope all_us_goods needs evidence: blanket",
    ),
    (
        "scale_without_factor",
        ("    factor: 0.5\n", ""),
        ConfigFileError,
        "CHN-20200214-halving",
        "",
        "operation scale needs factor and scope kind action_lines",
    ),
    (
        "scope_takes_an_action_without_own_lines",
        (
            "{kind: action_lines, action_id: CHN-20190901-retaliation}",
            "{kind: action_lines, action_id: CHN-20191215-retaliation}",
        ),
        TariffActionError,
        "CHN-20200214-halving",
        ".scope",
        "CHN-20191215-retaliation has scope unknown_lines",
    ),
]


@pytest.mark.parametrize(
    ("case", "replace", "error", "action_id", "key", "rule"), BAD, ids=[b[0] for b in BAD]
)
def test_each_bad_action_file_is_one_line_naming_file_action_and_rule(
    tmp_path, case, replace, error, action_id, key, rule
):
    old, new = replace
    text = VALID.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    write(tmp_path, f"{case}.yaml", text.replace(old, new))
    with pytest.raises(EtlError) as err:
        load_actions(tmp_path)
    message = str(err.value)
    assert type(err.value) is error
    assert message.startswith(f"tariff-action file {case}.yaml: actions[{action_id}]{key}: ")
    assert rule in message
    assert "\n" not in message


def test_a_duplicate_id_across_two_files_names_both(tmp_path):
    text = VALID.read_text(encoding="utf-8")
    write(tmp_path, "a_first.yaml", text)
    second = text.split("  - action_id: CHN-20190901-retaliation\n")[0]  # the first action only
    write(tmp_path, "b_second.yaml", second)
    with pytest.raises(TariffActionError) as err:
        load_actions(tmp_path)
    assert str(err.value) == (
        "tariff-action file b_second.yaml: actions[CHN-20180706-retaliation]: the id is also "
        "used in a_first.yaml"
    )


def test_references_across_files_are_resolved(tmp_path):
    """An action may end or scale an action of another file; an unknown one is still refused."""
    text = VALID.read_text(encoding="utf-8")
    head, tail = text.split("  - action_id: CHN-20200214-halving\n")
    write(tmp_path, "a.yaml", head)
    write(tmp_path, "b.yaml", "actions:\n  - action_id: CHN-20200214-halving\n" + tail)
    assert len(load_actions(tmp_path)) == 8
    (tmp_path / "a.yaml").unlink()
    with pytest.raises(TariffActionError, match=r"^tariff-action file b.yaml: actions\["):
        load_actions(tmp_path)


def test_an_empty_folder_is_one_clear_error(tmp_path):
    with pytest.raises(TariffActionError, match=r"^no tariff-action files \(\*\.yaml\) in "):
        load_actions(tmp_path)


def test_run_with_a_bad_action_file_exits_2_and_publishes_nothing(tmp_path, monkeypatch, capsys):
    # Settings has no environment variable for the reference folder (TARIFF_ETL_REFERENCE does
    # not exist): the CLI is run in-process on settings that point at a copy of it
    reference = tmp_path / "reference"
    shutil.copytree(REFERENCE, reference)
    bad = reference / "tariff_actions" / "2025.yaml"
    text = bad.read_text(encoding="utf-8")
    old = "scope: {kind: action_lines, action_id: CHN-20250310-farm}"
    assert text.count(old) == 1
    bad.write_text(text.replace(old, old.replace("20250310", "20250311")), encoding="utf-8")
    warehouse = tmp_path / "warehouse"
    settings = Settings(warehouse=warehouse, reference_dir=reference)
    monkeypatch.setattr(settings_module, "get_settings", lambda: settings)

    code = cli.main(["run", "--quiet"])

    out, err = capsys.readouterr()
    assert code == 2, err
    assert err.strip() == (
        "error: tariff-action file 2025.yaml: actions[CHN-20251110-farm_suspended].scope: "
        "names unknown action CHN-20250311-farm"
    )
    assert "Traceback" not in out + err
    assert not (warehouse / "current").exists()
    assert not (warehouse / "tariffs.duckdb").exists()
    assert list(warehouse.rglob("*.parquet")) == []
