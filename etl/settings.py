"""One settings object: where the landing files, the warehouse and the SQL models live."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Paths and knobs for one pipeline deployment.

    `warehouse` is the only base users normally change (env `TARIFF_ETL_WAREHOUSE`);
    everything else derives from it or from the project root.

    `customs_inbox` is where users drop customs files (`<inbox>/<format>/...`, see
    `etl.customs.inbox`); it defaults to `<warehouse>/inbox`, resolved when the object is built
    (so `dataclasses.replace(settings, warehouse=...)` keeps the old inbox: pass both).
    """

    warehouse: Path = PROJECT_ROOT / "warehouse"
    landing_dir: Path = PROJECT_ROOT / "data" / "landing"
    reference_dir: Path = PROJECT_ROOT / "data" / "reference"
    sql_dir: Path = PROJECT_ROOT / "sql"
    scenarios_dir: Path = PROJECT_ROOT / "scenarios"
    customs_inbox: Path | None = None  # None: <warehouse>/inbox
    # where validated runs are also published (s3://, gs://, abfs://, file://; etl.object_store)
    publish_uri: str | None = None
    # seconds a pipeline step waits for the warehouse lock (0: fail at once, naming the holder)
    lock_wait_s: float = 0.0
    keep_runs: int = 5
    duckdb_memory_limit: str = "4GB"
    duckdb_threads: int = 2
    # test-only fault injection: the process SIGKILLs itself at this named point
    fault_at: str | None = None

    def __post_init__(self) -> None:
        for name in ("warehouse", "landing_dir", "reference_dir", "sql_dir", "scenarios_dir"):
            object.__setattr__(self, name, Path(getattr(self, name)).expanduser().resolve())
        inbox = self.warehouse / "inbox" if self.customs_inbox is None else self.customs_inbox
        object.__setattr__(self, "customs_inbox", Path(inbox).expanduser().resolve())

    @property
    def runs_dir(self) -> Path:
        return self.warehouse / "runs"

    @property
    def current_dir(self) -> Path:
        """Symlink to the last published run; BI tools read `current/marts/<model>/`."""
        return self.warehouse / "current"

    @property
    def duckdb_path(self) -> Path:
        return self.warehouse / "tariffs.duckdb"

    @property
    def lock_path(self) -> Path:
        return self.warehouse / ".lock"

    def run_dir(self, run_id: str) -> Path:
        return self.runs_dir / run_id


def _is_object_store(location: str) -> bool:
    scheme = location.split("://", 1)[0] if "://" in location else ""
    return scheme not in ("", "file")


def _env_number(name: str, value: str, kind: type, minimum: float, rule: str) -> float:
    """`value` of env var `name` as `kind` (int or float), at least `minimum`; else SettingsError
    naming the variable and the allowed values."""
    from etl.errors import SettingsError, clip

    text = value.strip()
    try:
        number = kind(text)
    except ValueError:
        number = None
    if number is None or (kind is float and not math.isfinite(number)) or number < minimum:
        raise SettingsError(f"{name}={clip(value)!s} is invalid: allowed values are {rule}")
    return number


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from `TARIFF_ETL_*` environment variables (cached: read once per process).

    Every variable is validated here, once: a bad value raises SettingsError (exit 2) naming
    the variable and its allowed values, before any command touches the warehouse."""
    kwargs: dict[str, object] = {}
    env = os.environ
    # Airflow exposes Variables defined in the environment as AIRFLOW_VAR_<NAME>: a deployment
    # can set the warehouse either way without a metadata-database lookup at DAG parse time
    warehouse = env.get("TARIFF_ETL_WAREHOUSE") or env.get("AIRFLOW_VAR_TARIFF_ETL_WAREHOUSE")
    publish_uri = env.get("TARIFF_ETL_PUBLISH_URI") or env.get("AIRFLOW_VAR_TARIFF_ETL_PUBLISH_URI")
    if warehouse and _is_object_store(warehouse):
        # an object-store warehouse: runs are built in a local work folder (DuckDB files, the
        # lock, snapshots need a POSIX disk) and every validated run is published to the URI
        publish_uri = publish_uri or warehouse
        warehouse = env.get("TARIFF_ETL_WORKDIR") or str(PROJECT_ROOT / "warehouse")
    if warehouse:
        kwargs["warehouse"] = Path(warehouse.removeprefix("file://"))
    if publish_uri:
        kwargs["publish_uri"] = publish_uri
    if env.get("TARIFF_ETL_LANDING"):
        kwargs["landing_dir"] = Path(env["TARIFF_ETL_LANDING"])
    if env.get("TARIFF_ETL_CUSTOMS_INBOX"):
        kwargs["customs_inbox"] = Path(env["TARIFF_ETL_CUSTOMS_INBOX"])
    if env.get("TARIFF_ETL_SCENARIOS"):
        kwargs["scenarios_dir"] = Path(env["TARIFF_ETL_SCENARIOS"])
    if env.get("TARIFF_ETL_REFERENCE"):
        kwargs["reference_dir"] = Path(env["TARIFF_ETL_REFERENCE"])
    if env.get("TARIFF_ETL_FAULT_AT"):
        kwargs["fault_at"] = env["TARIFF_ETL_FAULT_AT"]
    if env.get("TARIFF_ETL_KEEP_RUNS"):
        # with an object store two runs stay: a reader may still be on the previous pointer
        least = 2 if publish_uri else 1
        kwargs["keep_runs"] = int(
            _env_number(
                "TARIFF_ETL_KEEP_RUNS",
                env["TARIFF_ETL_KEEP_RUNS"],
                int,
                least,
                f"a whole number >= {least}"
                + (" (an object store is configured)" if publish_uri else ""),
            )
        )
    elif publish_uri and Settings.keep_runs < 2:
        kwargs["keep_runs"] = 2
    if env.get("TARIFF_ETL_LOCK_WAIT_S"):
        kwargs["lock_wait_s"] = _env_number(
            "TARIFF_ETL_LOCK_WAIT_S",
            env["TARIFF_ETL_LOCK_WAIT_S"],
            float,
            0,
            "a number of seconds >= 0 (0: fail at once when the warehouse is locked)",
        )
    return Settings(**kwargs)  # type: ignore[arg-type]


def check_warehouse(settings: Settings, *, writable: bool) -> None:
    """The warehouse path must be a directory (or creatable as one); writers also need to be
    able to write in it. SettingsError (exit 2) names the path and what is wrong."""
    from etl.errors import SettingsError

    path = settings.warehouse
    name = f"warehouse {path} (TARIFF_ETL_WAREHOUSE)"
    if path.exists() and not path.is_dir():
        raise SettingsError(f"{name} is not a directory")
    if not writable:
        return
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".write-probe.{os.getpid()}.tmp"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise SettingsError(f"{name} is not writable: {reason}") from None


TASK_LOCK_WAIT_S = 600.0


def settings_for_task() -> Settings:
    """Settings for an Airflow task: `get_settings()`, except that a step queues for the
    warehouse lock (up to 10 minutes, unless TARIFF_ETL_LOCK_WAIT_S says otherwise, 0
    included) instead of failing at once: a build step may meet a customs commit of a mapped
    ingest task."""
    settings = get_settings()
    if os.environ.get("TARIFF_ETL_LOCK_WAIT_S", "").strip():
        return settings  # set explicitly, even to 0 (fail at once)
    return replace(settings, lock_wait_s=TASK_LOCK_WAIT_S)
