"""Runs: ids, run folders and their manifests, listing, pruning, which run is current.

Every run works in its own folder `<warehouse>/runs/<run_id>/`; its `manifest.json` records
what it read, what each step did and its status (running, failed, validated, published).
`<warehouse>/current` is a symlink to the published run. Nothing here publishes: that is
`etl.publishing`; nothing here builds: that is `etl.pipeline`.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from etl.atomic import write_json_atomic
from etl.errors import EtlError, clip
from etl.settings import Settings

# the quality gates a run must pass, in order (the manifest's `checks` keys)
GATES = ("raw", "staging", "intermediate", "marts")

# what new_run_id makes: 20250328T101500Z-1a2b3c
RUN_ID_PATTERN = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{6}")


def fault_point(settings: Settings, name: str) -> None:
    """Kill this process here if the (test-only) fault injection names this point."""
    if settings.fault_at == name:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


def new_run_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%S}Z-{secrets.token_hex(3)}"


def checked_run_id(settings: Settings, run_id: str) -> str:
    """`run_id` if it is a run id (the pattern `new_run_id` makes) of a run folder under
    `<warehouse>/runs/`; EtlError otherwise. A run id is a name, never a path."""
    if not isinstance(run_id, str) or not RUN_ID_PATTERN.fullmatch(run_id):
        raise EtlError(
            f"{clip(run_id)!s} is not a run id (like 20250328T101500Z-1a2b3c); "
            "`tariff-etl runs` lists them"
        )
    folder = settings.run_dir(run_id)
    if folder.is_symlink() or not folder.is_dir():
        raise EtlError(f"run {run_id} not found under {settings.runs_dir}")
    return run_id


def manifest_path(settings: Settings, run_id: str) -> Path:
    return settings.run_dir(run_id) / "manifest.json"


def read_manifest(settings: Settings, run_id: str) -> dict[str, Any]:
    path = manifest_path(settings, run_id)
    if not path.exists():
        raise EtlError(f"run {run_id} not found under {settings.runs_dir}")
    return json.loads(path.read_text())


def write_json(path: Path, payload: dict[str, Any]) -> None:
    """A run's JSON file (manifest, gate results), written atomically in one format."""
    write_json_atomic(path, payload, indent=2, sort_keys=True, default=str)


def update_manifest(settings: Settings, run_id: str, **changes: Any) -> dict[str, Any]:
    """Set keys of a run's manifest; a dict value is merged into the dict already there."""
    manifest = read_manifest(settings, run_id)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(manifest.get(key), dict):
            manifest[key].update(value)
        else:
            manifest[key] = value
    write_json(manifest_path(settings, run_id), manifest)
    return manifest


def code_version(settings: Settings) -> str:
    """The commit the code was run from (12 hex digits), read from the repository's files:
    a `.git` folder or a worktree's `.git` file, a loose ref or `packed-refs` (after
    `git gc`); "unknown" outside a repository."""
    try:
        return _git_head(settings.sql_dir.parent / ".git")[:12] or "unknown"
    except (OSError, ValueError):
        return "unknown"


def _git_head(dot_git: Path) -> str:
    if dot_git.is_file():  # a worktree or submodule: "gitdir: <path>"
        pointer = dot_git.read_text().strip()
        if not pointer.startswith("gitdir: "):
            raise ValueError(f"{dot_git} is not a gitdir pointer")
        git_dir = (dot_git.parent / pointer[len("gitdir: ") :]).resolve()
    else:
        git_dir = dot_git
    head = (git_dir / "HEAD").read_text().strip()
    if not head.startswith("ref: "):
        return head  # a detached HEAD holds the commit itself
    ref = head[len("ref: ") :]
    # a worktree keeps its own HEAD; its refs live in the main repository ("commondir")
    common = git_dir
    if (git_dir / "commondir").is_file():
        common = (git_dir / (git_dir / "commondir").read_text().strip()).resolve()
    for base in (git_dir, common):
        loose = base / ref
        if loose.is_file():
            return loose.read_text().strip()
    packed = common / "packed-refs"
    if packed.is_file():
        for line in packed.read_text().splitlines():
            sha, _, name = line.partition(" ")
            if name == ref:
                return sha
    return ""


def current_run_id(settings: Settings) -> str | None:
    if not settings.current_dir.is_symlink():
        return None
    return Path(os.readlink(settings.current_dir)).name


def list_runs(settings: Settings) -> list[dict[str, Any]]:
    """Every run's manifest, newest first; a damaged manifest is listed as `unreadable`."""
    runs = []
    current = current_run_id(settings)
    for path in sorted(settings.runs_dir.glob("*/manifest.json"), reverse=True):
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(manifest, dict) or not {"run_id", "status"} <= manifest.keys():
                raise ValueError("no run_id or status")
        except (OSError, ValueError) as exc:  # one damaged manifest must not hide the others
            manifest = {
                "run_id": path.parent.name,
                "status": "unreadable",
                "error": f"{path.name}: {type(exc).__name__}: {exc}",
            }
        manifest["is_current"] = manifest["run_id"] == current
        runs.append(manifest)
    return runs


def prune_runs(settings: Settings) -> list[str]:
    """Keep the newest `keep_runs` run folders and the current one; delete the rest."""
    current = current_run_id(settings)
    runs = sorted((p for p in settings.runs_dir.iterdir() if p.is_dir()), reverse=True)
    removed = []
    for path in runs[settings.keep_runs :]:
        if path.name != current:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
    return removed
