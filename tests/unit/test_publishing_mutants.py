"""Rollback, run ids, quarantine summary, scenario bands and `explain` on small fixture
warehouses: a few runs whose marts hold one or two rows each (every column of the contract,
in its type), so each test builds exactly the state it needs in well under a second.

Each run's `fct_exemption_band` carries the run's own scenario id, so "which run does a
reader of `tariffs.duckdb` see" is answered the way a user would: `tariff-etl scenarios`.
"""

from __future__ import annotations

import atexit
import json
import re
import shutil
import tempfile
import threading
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from etl import object_store, publishing, runs
from etl.atomic import switch_symlink
from etl.contract import MARTS
from etl.errors import EtlError, LockError
from etl.lock import warehouse_lock
from etl.settings import Settings

OLD, MID, NEW = "20240101T000000Z-aaaaaa", "20240201T000000Z-bbbbbb", "20240301T000000Z-cccccc"


ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "BOOLEAN": pa.bool_(),
    "DATE": pa.date32(),
    "DOUBLE": pa.float64(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
}


def write_mart(folder: Path, spec, rows: list[dict]) -> None:
    """`rows` as the mart's Parquet files, Hive-partitioned where the contract says so (the
    partition column lives in the folder name, as DuckDB's partitioned COPY writes it)."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(row[p] for p in spec.partition_by), []).append(row)
    columns = [c for c in spec.columns if c.name not in spec.partition_by]
    schema = pa.schema([(c.name, ARROW_TYPES[c.type]) for c in columns])
    for values, group in groups.items():
        parts = [f"{p}={v}" for p, v in zip(spec.partition_by, values, strict=True)]
        target = folder.joinpath(*parts)
        target.mkdir(parents=True)
        table = pa.Table.from_pylist(group, schema=schema)  # keys not in the schema are dropped
        pq.write_table(table, target / "part-0.parquet")


def default_rows(name: str, marker: str) -> list[dict]:
    if name == "fct_exemption_band":
        return [
            {"scenario_id": marker, "product_scope": "all_products", "coverage_share_low": 0.1},
            {"scenario_id": marker, "product_scope": "phase_one", "coverage_share_low": 0.2},
        ]
    if name == "fct_exemption_eligibility":
        return [
            {"scenario_id": marker, "national_line_code": code}
            for code in ("1201901000", "1201100000", "3004905100", "12019090")
        ]
    spec = MARTS[name]
    return [{p: "s1" for p in spec.partition_by}]


_TEMPLATES: dict[tuple[str, str], Path] = {}


def _template_root() -> Path:
    if not _TEMPLATES:
        root = Path(tempfile.mkdtemp(prefix="publishing-run-templates-"))
        atexit.register(shutil.rmtree, root, True)
        _TEMPLATES[("", "")] = root
    return _TEMPLATES[("", "")]


def make_run(
    settings: Settings,
    run_id: str,
    *,
    status: str = "published",
    rows: dict[str, list[dict]] | None = None,
) -> Path:
    """A run folder with every mart of the contract and a manifest recording its row counts
    (runs with the default rows are written once per session and copied)."""
    run_dir = settings.run_dir(run_id)
    template = _TEMPLATES.get((run_id, status)) if rows is None else None
    if template is not None:
        shutil.copytree(template, run_dir)
        return run_dir
    counts = {}
    for name, spec in MARTS.items():
        mart_rows = (rows or {}).get(name) or default_rows(name, f"scenario_{run_id[-6:]}")
        write_mart(run_dir / "marts" / name, spec, mart_rows)
        counts[name] = len(mart_rows)
    runs.manifest_path(settings, run_id).write_text(
        json.dumps({"run_id": run_id, "status": status, "marts": counts})
    )
    if rows is None:
        template = _template_root() / f"{run_id}-{status}"
        shutil.copytree(run_dir, template)
        _TEMPLATES[(run_id, status)] = template
    return run_dir


def make_current(settings: Settings, run_id: str) -> None:
    switch_symlink(settings.current_dir, settings.run_dir(run_id))
    publishing.write_duckdb_views(settings)


def seen_by_readers(settings: Settings) -> str:
    """The run a reader of tariffs.duckdb sees (`tariff-etl scenarios`), by its scenario id."""
    (scenario,) = {band["scenario_id"] for band in publishing.scenario_bands(settings)}
    return scenario.removeprefix("scenario_")


@pytest.fixture
def three_runs(tmp_path) -> Settings:
    settings = Settings(warehouse=tmp_path / "warehouse")
    for run_id in (OLD, MID, NEW):
        make_run(settings, run_id)
    make_current(settings, NEW)
    return settings


def state(settings: Settings) -> tuple:
    return (
        runs.current_run_id(settings),
        settings.duckdb_path.read_bytes(),
        sorted(p.name for p in settings.warehouse.iterdir() if p.name != ".lock"),
    )


# ---------------------------------------------------------------- run ids


def test_a_run_id_is_the_name_of_a_run_folder_never_a_path(three_runs):
    settings = three_runs
    assert runs.checked_run_id(settings, MID) == MID
    for bad in ("..", "../runs/" + MID, "2*", f"{MID}x", "x" + MID, MID.upper(), None, 7):
        with pytest.raises(EtlError) as caught:
            runs.checked_run_id(settings, bad)
        assert str(caught.value) == (
            f"{bad} is not a run id (like 20250328T101500Z-1a2b3c); `tariff-etl runs` lists them"
        )


def test_a_well_formed_run_id_without_its_run_folder_is_not_found(three_runs, tmp_path):
    settings = three_runs
    missing = "20990101T000000Z-0f0f0f"
    with pytest.raises(
        EtlError, match=f"^run {missing} not found under {re.escape(str(settings.runs_dir))}$"
    ):
        runs.checked_run_id(settings, missing)
    as_file = "20990102T000000Z-0f0f0f"
    settings.run_dir(as_file).write_text("not a folder")
    as_link = "20990103T000000Z-0f0f0f"
    settings.run_dir(as_link).symlink_to(settings.run_dir(OLD))
    for run_id in (as_file, as_link):
        with pytest.raises(EtlError, match=f"run {run_id} not found"):
            runs.checked_run_id(settings, run_id)


# ---------------------------------------------------------------- choosing the target


def test_rollback_without_a_run_id_steps_back_one_published_run_at_a_time(three_runs):
    settings = three_runs
    assert seen_by_readers(settings) == NEW[-6:]
    assert publishing.rollback(settings) == MID
    assert runs.current_run_id(settings) == MID and seen_by_readers(settings) == MID[-6:]
    assert publishing.rollback(settings) == OLD
    assert runs.current_run_id(settings) == OLD and seen_by_readers(settings) == OLD[-6:]
    with pytest.raises(EtlError, match="^no earlier published run to roll back to$"):
        publishing.rollback(settings)
    assert runs.current_run_id(settings) == OLD
    # forward again by name
    assert publishing.rollback(settings, NEW) == NEW
    assert seen_by_readers(settings) == NEW[-6:]


def test_rollback_skips_runs_that_were_never_published(tmp_path):
    settings = Settings(warehouse=tmp_path / "warehouse")
    make_run(settings, OLD)
    make_run(settings, MID, status="validated")  # exported, but `current` never pointed at it
    make_run(settings, NEW)
    make_current(settings, NEW)
    assert publishing.rollback(settings) == OLD
    with pytest.raises(EtlError, match=rf"^run {MID} is not a published run; published: \["):
        publishing.rollback(settings, MID)
    assert runs.current_run_id(settings) == OLD


def test_rollback_with_nothing_current_goes_to_the_newest_published_run(tmp_path):
    settings = Settings(warehouse=tmp_path / "warehouse")
    make_run(settings, OLD)
    make_run(settings, MID)
    make_run(settings, NEW, status="failed")
    assert runs.current_run_id(settings) is None
    assert publishing.rollback(settings) == MID
    assert runs.current_run_id(settings) == MID and seen_by_readers(settings) == MID[-6:]


def test_rollback_refuses_a_path_or_an_unknown_run_and_changes_nothing(three_runs):
    settings = three_runs
    before = state(settings)
    with pytest.raises(EtlError, match=rf"^\.\./runs/{OLD} is not a run id \(like "):
        publishing.rollback(settings, "../runs/" + OLD)
    with pytest.raises(EtlError) as caught:
        publishing.rollback(settings, "20990101T000000Z-0f0f0f")
    # every published run is listed, newest first, in full
    assert str(caught.value) == (
        f"run 20990101T000000Z-0f0f0f is not a published run; published: {[NEW, MID, OLD]}"
    )
    assert state(settings) == before


# ---------------------------------------------------------------- validating the target


def damage_garbage(path: Path) -> None:
    path.write_bytes(b"PAR1" + b"\0" * 64 + b"PAR1")


def damage_truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def pyarrow_reason(path: Path) -> str:
    """What pyarrow says about a damaged file: the first line of its error."""
    with pytest.raises(Exception) as caught:  # noqa: B017 - pyarrow raises several types
        pq.ParquetFile(path).read()
    return str(caught.value).splitlines()[0]


@pytest.mark.parametrize("damage", [damage_garbage, damage_truncate])
def test_rollback_leaves_current_unchanged_when_a_mart_is_unreadable(three_runs, damage):
    settings = three_runs
    before = state(settings)
    path = settings.run_dir(OLD) / "marts" / "fct_exemption_band" / "part-0.parquet"
    damage(path)
    reason = pyarrow_reason(path)
    assert 80 < len(reason) <= 160 or damage is damage_garbage  # shown whole, not cut
    with pytest.raises(EtlError) as caught:
        publishing.rollback(settings, OLD)
    assert str(caught.value) == (
        f"run {OLD}: mart fct_exemption_band file marts/fct_exemption_band/part-0.parquet "
        f"is unreadable: {reason}"
    )
    assert state(settings) == before and seen_by_readers(settings) == NEW[-6:]


def test_rollback_refuses_a_run_missing_a_mart(three_runs):
    settings = three_runs
    before = state(settings)
    folder = settings.run_dir(OLD) / "marts" / "dim_weight_bases"
    (folder / "part-0.parquet").unlink()
    with pytest.raises(
        EtlError,
        match=f"^run {OLD}: mart dim_weight_bases has no Parquet file in {re.escape(str(folder))}$",
    ):
        publishing.rollback(settings, OLD)
    (folder / "part-0.parquet").mkdir()  # a folder named like a file is not a file
    with pytest.raises(EtlError, match="mart dim_weight_bases has no Parquet file"):
        publishing.validate_run(settings, OLD)
    assert state(settings) == before


def test_rollback_refuses_a_mart_whose_rows_differ_from_the_manifest(three_runs):
    settings = three_runs
    before = state(settings)
    manifest = runs.read_manifest(settings, OLD)
    manifest["marts"]["fct_exemption_band"] = 7
    runs.manifest_path(settings, OLD).write_text(json.dumps(manifest))
    with pytest.raises(
        EtlError, match=f"run {OLD}: mart fct_exemption_band has 2 rows, its manifest says 7"
    ):
        publishing.rollback(settings, OLD)
    assert state(settings) == before


def test_rows_of_every_partition_file_count_against_the_manifest(tmp_path):
    """A partitioned mart's rows are the sum over its files; a manifest without row counts
    (an older run) is validated on readability and contract alone."""
    settings = Settings(warehouse=tmp_path / "warehouse")
    rows = [{"schedule_id": s} for s in ("piie_2019_06", "ita_matrix_2025", "ita_matrix_2025")]
    make_run(settings, OLD, rows={"fct_tariff_timeline": rows})
    files = list((settings.run_dir(OLD) / "marts" / "fct_tariff_timeline").rglob("*.parquet"))
    assert len(files) == 2
    publishing.validate_run(settings, OLD)  # 1 + 2 rows == the manifest's 3
    manifest = runs.read_manifest(settings, OLD)
    manifest["marts"]["fct_tariff_timeline"] = 2
    runs.manifest_path(settings, OLD).write_text(json.dumps(manifest))
    with pytest.raises(
        EtlError, match=f"^run {OLD}: mart fct_tariff_timeline has 3 rows, its manifest says 2$"
    ):
        publishing.validate_run(settings, OLD)
    del manifest["marts"]
    runs.manifest_path(settings, OLD).write_text(json.dumps(manifest))
    publishing.validate_run(settings, OLD)
    assert publishing.rollback(settings, OLD) == OLD


def test_rollback_refuses_a_mart_that_does_not_match_the_contract(three_runs):
    settings = three_runs
    before = state(settings)
    path = settings.run_dir(OLD) / "marts" / "dim_weight_bases" / "part-0.parquet"
    table = pq.read_table(path)
    pq.write_table(table.rename_columns([f"{c}_renamed" for c in table.column_names]), path)
    with pytest.raises(
        EtlError, match=f"run {OLD}: mart dim_weight_bases cannot be read as the contract says: "
    ) as caught:
        publishing.rollback(settings, OLD)
    # DuckDB's reason, its first line only: the contract's first column is not in the file
    first_column = MARTS["dim_weight_bases"].columns[0].name
    assert f'"{first_column}"' in str(caught.value) and "\n" not in str(caught.value)
    # a column of another type reads, but is not the contract
    spec = MARTS["fct_average_tariff"]
    path = settings.run_dir(MID) / "marts" / spec.name / "part-0.parquet"
    table = pq.read_table(path)
    index = [c.type for c in spec.columns].index("DOUBLE")
    column = table.column(index).cast("string")
    pq.write_table(table.set_column(index, table.column_names[index], column), path)
    with pytest.raises(EtlError, match="mart fct_average_tariff does not match the published"):
        publishing.rollback(settings, MID)
    assert state(settings) == before


def test_rollback_reads_partitions_in_a_warehouse_whose_path_has_a_quote(tmp_path):
    settings = Settings(warehouse=tmp_path / "it's a warehouse")
    make_run(settings, OLD)
    make_run(settings, NEW)
    make_current(settings, NEW)
    assert publishing.rollback(settings) == OLD
    assert seen_by_readers(settings) == OLD[-6:]
    lines = publishing.explain_line(settings, f"scenario_{OLD[-6:]}", "1201")
    assert [r["national_line_code"] for r in lines] == ["1201100000", "1201901000", "12019090"]


def test_rollback_keeps_partition_values_that_look_like_numbers_as_text(tmp_path):
    """DuckDB would read a Hive partition `scenario_id=2025` as a number; the contract says
    text, and that is what a rolled-back run publishes."""
    settings = Settings(warehouse=tmp_path / "warehouse")
    rows = {
        "fct_exemption_band": [{"scenario_id": "2025", "product_scope": "all_products"}],
        "fct_exemption_eligibility": [{"scenario_id": "2025", "national_line_code": "1201901000"}],
        "fct_tariff_timeline": [{"schedule_id": "2019"}],
    }
    make_run(settings, OLD, rows=rows)
    make_run(settings, NEW)
    make_current(settings, NEW)
    assert publishing.rollback(settings, OLD) == OLD
    (line,) = publishing.explain_line(settings, "2025", "1201")
    assert line["scenario_id"] == "2025" and line["national_line_code"] == "1201901000"


# ---------------------------------------------------------------- the switch itself


def test_rollback_holds_the_warehouse_lock_while_it_switches(three_runs, monkeypatch):
    settings = three_runs
    seen: list[str] = []
    real = publishing.write_duckdb_views

    def other_writer() -> None:
        try:
            with warehouse_lock(settings.lock_path, "another writer"):
                seen.append("got the lock")
        except LockError as exc:
            seen.append(str(exc))

    def write_views(s: Settings) -> Path:
        thread = threading.Thread(target=other_writer)
        thread.start()
        thread.join()
        return real(s)

    monkeypatch.setattr(publishing, "write_duckdb_views", write_views)
    assert publishing.rollback(settings, OLD) == OLD
    assert len(seen) == 1 and "is locked by another writer" in seen[0], seen
    assert '"purpose": "rollback"' in seen[0]


@pytest.mark.parametrize("failure", [KeyboardInterrupt, OSError])
def test_a_failure_while_switching_puts_current_back_without_temp_files(
    three_runs, monkeypatch, failure
):
    """Ctrl-C (or a full disk) while tariffs.duckdb is rewritten: `current` points where it
    did, readers see the same run, and the half-written database file is gone."""
    settings = three_runs
    before = state(settings)

    def write_views(s: Settings) -> Path:
        tmp = s.duckdb_path.with_name(f".{s.duckdb_path.name}.0123abcd.tmp")
        tmp.write_bytes(b"half written")
        raise failure("interrupted")

    monkeypatch.setattr(publishing, "write_duckdb_views", write_views)
    with pytest.raises(failure):
        publishing.rollback(settings, OLD)
    assert state(settings) == before
    assert not list(settings.warehouse.glob(".*.tmp"))
    assert seen_by_readers(settings) == NEW[-6:]


def test_a_failed_first_rollback_leaves_nothing_current(tmp_path, monkeypatch):
    """With no current run, a rollback that fails while writing the views must not leave
    `current` pointing at a run whose tariffs.duckdb was never written."""
    settings = Settings(warehouse=tmp_path / "warehouse")
    make_run(settings, OLD)

    def write_views(s: Settings) -> Path:
        raise OSError("disk full")

    monkeypatch.setattr(publishing, "write_duckdb_views", write_views)
    with pytest.raises(OSError):
        publishing.rollback(settings, OLD)
    assert not settings.current_dir.exists() and not settings.current_dir.is_symlink()
    assert not settings.duckdb_path.exists()


# ---------------------------------------------------------------- the object store


@pytest.fixture
def with_bucket(tmp_path) -> Settings:
    """Two runs published locally and to a file:// object store (pointer on NEW)."""
    bucket = tmp_path / "bucket"
    bucket.mkdir()
    settings = Settings(warehouse=tmp_path / "warehouse", publish_uri=f"file://{bucket}")
    for run_id in (OLD, NEW):
        make_run(settings, run_id)
        pointer = object_store.upload_run(settings, run_id, settings.publish_uri)
    object_store.switch_pointer(settings.publish_uri, pointer)
    make_current(settings, NEW)
    return settings


def test_rollback_repoints_the_object_store_with_current(with_bucket):
    settings = with_bucket
    assert object_store.read_pointer(settings.publish_uri)["run_id"] == NEW
    assert publishing.rollback(settings) == OLD
    pointer = object_store.read_pointer(settings.publish_uri)
    assert pointer["run_id"] == OLD
    assert pointer["marts"]["fct_exemption_band"] == {
        "path": f"marts/fct_exemption_band/run_id={OLD}/",
        "rows": 2,
    }


def test_a_failed_switch_puts_the_object_store_pointer_back(with_bucket, monkeypatch):
    settings = with_bucket
    before_pointer = object_store.read_pointer(settings.publish_uri)
    before = state(settings)

    def write_views(s: Settings) -> Path:
        raise KeyboardInterrupt

    monkeypatch.setattr(publishing, "write_duckdb_views", write_views)
    with pytest.raises(KeyboardInterrupt):
        publishing.rollback(settings, OLD)
    assert object_store.read_pointer(settings.publish_uri) == before_pointer
    assert state(settings) == before


def test_rollback_to_a_run_pruned_from_the_object_store_changes_nothing(tmp_path):
    bucket = tmp_path / "bucket"
    bucket.mkdir()
    settings = Settings(warehouse=tmp_path / "warehouse", publish_uri=f"file://{bucket}")
    make_run(settings, OLD)  # published locally only: not (or no longer) on the target
    make_run(settings, NEW)
    object_store.switch_pointer(
        settings.publish_uri, object_store.upload_run(settings, NEW, settings.publish_uri)
    )
    make_current(settings, NEW)
    before, before_pointer = state(settings), object_store.read_pointer(settings.publish_uri)
    with pytest.raises(EtlError, match=f"run {OLD} is not complete on"):
        publishing.rollback(settings, OLD)
    assert state(settings) == before
    assert object_store.read_pointer(settings.publish_uri) == before_pointer


# ---------------------------------------------------------------- quarantine summary


def write_quarantine(settings: Settings, run_id: str, rows: list[tuple[str, str, str]]) -> None:
    folder = settings.run_dir(run_id) / "quarantine" / "some_dataset"
    folder.mkdir(parents=True)
    con = duckdb.connect()
    try:
        con.execute("create table q (dataset varchar, reason_code varchar, reason varchar)")
        con.executemany("insert into q values (?, ?, ?)", rows)
        target = str(folder / "part-0.parquet").replace("'", "''")
        con.execute(f"copy q to '{target}' (format parquet)")
    finally:
        con.close()


def test_quarantine_summary_counts_reasons_per_dataset(three_runs):
    settings = three_runs
    write_quarantine(
        settings,
        NEW,
        [
            ("census", "not_a_number", "row 4: value 'x'"),
            ("census", "not_a_number", "row 9: value 'y'"),
            ("census", "bad_code", "row 2: code '12'"),
            ("annex", "bad_code", "row 7: code '9'"),
        ],
    )
    write_quarantine(settings, OLD, [("piie", "duplicate", "row 3")])
    rows = publishing.quarantine_summary(settings)  # the current run
    assert [(d, c, n) for d, c, _, n in rows] == [
        ("annex", "bad_code", 1),
        ("census", "bad_code", 1),
        ("census", "not_a_number", 2),
    ]
    assert rows[2][2] in ("row 4: value 'x'", "row 9: value 'y'")
    assert publishing.quarantine_summary(settings, OLD) == [("piie", "duplicate", "row 3", 1)]


def test_quarantine_summary_says_what_is_missing(three_runs, tmp_path):
    with pytest.raises(EtlError, match=f"^run {MID} has no quarantine folder$"):
        publishing.quarantine_summary(three_runs, MID)
    with pytest.raises(EtlError, match="is not a run id"):
        publishing.quarantine_summary(three_runs, "../" + MID)
    empty = Settings(warehouse=tmp_path / "empty")
    with pytest.raises(
        EtlError, match="^nothing published yet: run `tariff-etl run` first, or pass --run-id$"
    ):
        publishing.quarantine_summary(empty)


# ---------------------------------------------------------------- scenarios and explain


def test_scenario_bands_list_every_band_by_scenario_and_scope(tmp_path):
    settings = Settings(warehouse=tmp_path / "warehouse")
    bands = [
        {"scenario_id": "b_scenario", "product_scope": "phase_one", "coverage_share_low": 0.3},
        {"scenario_id": "a_scenario", "product_scope": "phase_one", "coverage_share_low": 0.2},
        {"scenario_id": "a_scenario", "product_scope": "all_products", "coverage_share_low": 0.1},
    ]
    make_run(settings, OLD, rows={"fct_exemption_band": bands})
    make_current(settings, OLD)
    got = publishing.scenario_bands(settings)
    assert [(b["scenario_id"], b["product_scope"], b["coverage_share_low"]) for b in got] == [
        ("a_scenario", "all_products", 0.1),
        ("a_scenario", "phase_one", 0.2),
        ("b_scenario", "phase_one", 0.3),
    ]
    assert list(got[0]) == [c.name for c in MARTS["fct_exemption_band"].columns]


def test_explain_lists_the_lines_under_a_code_with_or_without_dots(three_runs):
    settings = three_runs
    scenario = f"scenario_{NEW[-6:]}"

    def codes(code: str) -> list[str]:
        return [r["national_line_code"] for r in publishing.explain_line(settings, scenario, code)]

    assert codes("12") == ["1201100000", "1201901000", "12019090"]
    assert codes(" 1201.90 ") == ["1201901000", "12019090"]
    assert codes("1201901000") == ["1201901000"]
    assert codes("30") == ["3004905100"]
    row = publishing.explain_line(settings, scenario, "3004905100")[0]
    assert row["scenario_id"] == scenario
    assert list(row) == [c.name for c in MARTS["fct_exemption_eligibility"].columns]


@pytest.mark.parametrize("code", ["1", "12019010001", "12a0", "", "1201-90"])
def test_explain_refuses_a_code_that_is_not_2_to_10_digits(three_runs, code):
    with pytest.raises(
        EtlError, match=r"^HS code .* must be 2 to 10 digits \(dots allowed: 1201\.90\.11\)$"
    ):
        publishing.explain_line(three_runs, f"scenario_{NEW[-6:]}", code)


def test_explain_names_the_published_scenarios_and_an_absent_line(three_runs):
    settings = three_runs
    with pytest.raises(
        EtlError, match=r"^unknown scenario 'seed_story'; published scenarios: \['scenario_c"
    ):
        publishing.explain_line(settings, "seed_story", "1201")
    with pytest.raises(
        EtlError, match=f"^no tariff line starting 9999 in the base state of scenario_{NEW[-6:]}$"
    ):
        publishing.explain_line(settings, f"scenario_{NEW[-6:]}", "99.99")
