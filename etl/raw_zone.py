"""The raw zone: the latest ingested version of every landing source, as immutable versions.

`<warehouse>/raw` is a symlink to `<warehouse>/raw_versions/<version>/`, which holds
`<dataset>/<source_id>.parquet` for every dataset a source produces, the quarantine of each
(`_quarantine/<dataset>/<source_id>.parquet`) and `_state.json` (each source's checksum and row
counts). Ingest reads only the sources whose checksum changed, builds a new version (unchanged
files are hard links, so a version costs almost nothing) and switches the symlink atomically:
a killed ingest leaves the previous version intact. Runs snapshot a version into their own
folder, so an ingest during a build never changes what the build reads.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from etl.atomic import switch_symlink, write_parquet_atomic
from etl.errors import ReconciliationError
from etl.ingest.common import RawDataset, SourceFile
from etl.ingest.product_categories import known_categories
from etl.ingest.registry import SOURCES
from etl.scenarios import load_scenarios, scenario_datasets
from etl.settings import Settings
from etl.tariff_actions import action_datasets, action_files

SCENARIO_SOURCE = "exemption_scenarios"
ACTIONS_SOURCE = "tariff_actions"
STATE_FILE = "_state.json"
QUARANTINE = "_quarantine"
KEEP_VERSIONS = 3


@dataclass
class IngestResult:
    version: str | None
    changed_sources: list[str] = field(default_factory=list)
    changed_datasets: list[str] = field(default_factory=list)
    unchanged_sources: list[str] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)


def current_version_dir(settings: Settings) -> Path | None:
    link = settings.warehouse / "raw"
    return link.resolve() if link.is_symlink() else None


def read_state(version_dir: Path | None) -> dict[str, Any]:
    if version_dir is None or not (version_dir / STATE_FILE).exists():
        return {}
    return json.loads((version_dir / STATE_FILE).read_text())


def _fingerprint(parts: list[tuple[str, str]]) -> str:
    digest = hashlib.sha256()
    for name, sha in sorted(parts):
        digest.update(f"{name}\0{sha}\n".encode())
    return digest.hexdigest()


@dataclass
class _Source:
    source_id: str
    fingerprint: str
    inputs: dict[str, str]
    load: Any


def _sources(settings: Settings, loaded_at: datetime) -> list[_Source]:
    out = []
    for source in SOURCES:
        folder = settings.landing_dir if source.folder == "landing" else settings.reference_dir
        src = SourceFile.open(folder / source.relative_path, folder)
        name = f"{source.folder}/{src.display_name}"
        out.append(
            _Source(
                source.source_id,
                _fingerprint([(name, src.sha256)]),
                {name: src.sha256},
                lambda s=source, f=src: s.loader(f, loaded_at),
            )
        )
    # scenarios are validated against the category names, so both are part of their identity
    categories = SourceFile.open(
        settings.reference_dir / "product_categories.csv", settings.reference_dir
    )
    files = sorted(settings.scenarios_dir.glob("*.yaml")) + sorted(
        settings.scenarios_dir.glob("*.yml")
    )
    inputs = {
        f"scenarios/{p.name}": SourceFile.open(p, settings.scenarios_dir).sha256 for p in files
    }
    inputs["reference/product_categories.csv"] = categories.sha256

    def load_scenario_sets() -> list[RawDataset]:
        scenarios = load_scenarios(settings.scenarios_dir, known_categories(categories))
        return scenario_datasets(
            scenarios, settings.scenarios_dir, settings.scenarios_dir, loaded_at
        )

    out.append(
        _Source(SCENARIO_SOURCE, _fingerprint(list(inputs.items())), inputs, load_scenario_sets)
    )
    actions_dir = settings.reference_dir / "tariff_actions"
    action_inputs = {
        f"reference/tariff_actions/{p.name}": SourceFile.open(p, settings.reference_dir).sha256
        for p in action_files(actions_dir)
    }
    out.append(
        _Source(
            ACTIONS_SOURCE,
            _fingerprint(list(action_inputs.items())),
            action_inputs,
            lambda: action_datasets(actions_dir, settings.reference_dir, loaded_at),
        )
    )
    return out


def _counts(datasets: list[RawDataset]) -> dict[str, dict[str, int]]:
    by_name: dict[str, list[RawDataset]] = defaultdict(list)
    for ds in datasets:
        by_name[ds.name].append(ds)
    counts = {}
    for name, parts in by_name.items():
        for part in parts:
            part.check_reconciled()
        counts[name] = {
            "rows_read": sum(p.rows_read for p in parts),
            "rows_loaded": sum(len(p.rows) for p in parts),
            "rows_quarantined": sum(len(p.quarantine) for p in parts),
            "rows_quarantined_tolerated": sum(
                len(p.quarantine) - len(p.blocking_quarantine) for p in parts
            ),
        }
    return counts


def _reject(settings: Settings, source: _Source, datasets: list[RawDataset]) -> None:
    """Zero tolerance: a quarantined row outside the tolerated reasons rejects the batch."""
    blocking = [q for ds in datasets for q in ds.blocking_quarantine]
    if not blocking:
        return
    folder = settings.warehouse / "rejected" / f"{source.source_id}-{source.fingerprint[:12]}"
    for ds in datasets:
        if ds.quarantine:
            write_parquet_atomic(ds.quarantine_arrow(), folder / f"{ds.name}.parquet")
    first = blocking[0]
    raise ReconciliationError(
        f"{len(blocking)} row(s) quarantined that the run does not tolerate (a tariff line left "
        f"out changes the answer): first is file {first['source_file']}, sheet "
        f"{first['source_sheet']!r}, row {first['source_row']}, column {first['field']!r}: "
        f"{first['reason']} (value {first['value']!r}); see {folder}"
    )


def _link_tree(src: Path, dst: Path, skip: set[str]) -> None:
    """Hard-link every file of `src` into `dst` except those whose stem is in `skip`."""
    for path in src.rglob("*"):
        if path.is_file() and path.name != STATE_FILE and path.stem not in skip:
            target = dst / path.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, target)


def ingest_raw(settings: Settings, *, force: bool = False, fault: Any = None) -> IngestResult:
    """Ingest the sources whose checksum changed into a new raw version (all with `force`)."""
    loaded_at = datetime.now(UTC).replace(microsecond=0)
    current = current_version_dir(settings)
    state = read_state(current)
    sources = _sources(settings, loaded_at)
    changed = [
        s
        for s in sources
        if force or state.get(s.source_id, {}).get("fingerprint") != s.fingerprint
    ]
    result = IngestResult(
        version=current.name if current else None,
        unchanged_sources=[s.source_id for s in sources if s not in changed],
    )
    if not changed:
        return result
    produced: dict[str, list[RawDataset]] = {}
    for source in changed:
        datasets = source.load()
        _counts(datasets)  # reconciliation: raises on rows read != loaded + quarantined
        _reject(settings, source, datasets)
        produced[source.source_id] = datasets

    version = f"{loaded_at:%Y%m%dT%H%M%S}Z-{uuid.uuid4().hex[:6]}"
    versions = settings.warehouse / "raw_versions"
    tmp = versions / f".{version}.tmp"
    tmp.mkdir(parents=True)
    try:
        if current is not None:
            _link_tree(
                current,
                tmp,
                skip=set(produced) | {s for s in state if s not in {x.source_id for x in sources}},
            )
        new_state = {k: v for k, v in state.items() if k in {s.source_id for s in sources}}
        for source in changed:
            datasets = produced[source.source_id]
            for ds in datasets:
                write_parquet_atomic(ds.to_arrow(), tmp / ds.name / f"{source.source_id}.parquet")
                write_parquet_atomic(
                    ds.quarantine_arrow(),
                    tmp / QUARANTINE / ds.name / f"{source.source_id}.parquet",
                )
                if fault:
                    fault("ingest")
            new_state[source.source_id] = {
                "fingerprint": source.fingerprint,
                "inputs": source.inputs,
                "ingested_at": loaded_at.isoformat(),
                "datasets": _counts(datasets),
            }
        (tmp / STATE_FILE).write_text(json.dumps(new_state, indent=2, sort_keys=True))
        os.rename(tmp, versions / version)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    switch_symlink(settings.warehouse / "raw", versions / version)
    _prune(versions, keep=version)
    result.version = version
    result.changed_sources = [s.source_id for s in changed]
    result.changed_datasets = sorted({ds.name for dss in produced.values() for ds in dss})
    result.counts = dataset_counts(new_state)
    return result


def dataset_counts(state: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Rows read / loaded / quarantined per dataset, summed over the sources that feed it."""
    totals: dict[str, dict[str, int]] = {}
    for entry in state.values():
        for name, counts in entry["datasets"].items():
            into = totals.setdefault(name, dict.fromkeys(counts, 0))
            for key, value in counts.items():
                into[key] += value
    return dict(sorted(totals.items()))


def _prune(versions: Path, keep: str) -> None:
    existing = sorted(p for p in versions.iterdir() if p.is_dir() and not p.name.startswith("."))
    for path in existing[:-KEEP_VERSIONS]:
        if path.name != keep:
            shutil.rmtree(path, ignore_errors=True)


def snapshot_into(settings: Settings, run_dir: Path) -> dict[str, Any]:
    """Hard-link the current raw version into a run folder; return its state."""
    current = current_version_dir(settings)
    if current is None:
        raise ReconciliationError("the raw zone is empty: ingest the landing files first")
    for path in current.rglob("*"):
        if not path.is_file() or path.name == STATE_FILE:
            continue
        relative = path.relative_to(current)
        if relative.parts[0] == QUARANTINE:
            target = run_dir / "quarantine" / Path(*relative.parts[1:])
        else:
            target = run_dir / "raw" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(path, target)
    state = read_state(current)
    return {"raw_version": current.name, "state": state}
