"""Run Airflow 3 standalone locally with the project's DAGs: loopback only, small parallelism,
and a clean stop (Airflow's standalone does not stop its children on SIGTERM to the parent, so
the whole process group is interrupted, then killed)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from etl.errors import EtlError
from etl.settings import PROJECT_ROOT, Settings


@dataclass
class LocalAirflow:
    process: subprocess.Popen
    url: str
    home: Path

    @property
    def api(self) -> str:
        return f"{self.url}/api/v2"

    def login(self) -> str:
        generated = self.home / "simple_auth_manager_passwords.json.generated"
        if generated.exists():
            users = json.loads(generated.read_text())
            return ", ".join(f"{user} / {password}" for user, password in users.items())
        return "no login needed (every user is admin)"

    def stop(self, grace_s: float = 15.0) -> None:
        """Interrupt the process group, then kill whatever is left of it."""
        try:
            pgid = os.getpgid(self.process.pid)
        except ProcessLookupError:
            return
        for sig, wait in ((signal.SIGINT, grace_s), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and _group_alive(pgid):
                time.sleep(0.2)
            if not _group_alive(pgid):
                break
        self.process.wait(timeout=10)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def airflow_environment(
    settings: Settings, home: Path, port: int, all_admins: bool = False, paused: bool = False
) -> dict[str, str]:
    bin_dir = str(Path(sys.executable).parent)
    # start from a clean Airflow configuration: nothing inherited from the caller (a test
    # session's unit-test mode, another AIRFLOW_HOME) may leak into the server
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AIRFLOW") and not k.startswith("TARIFF_ETL_")
    }
    env = {
        **inherited,
        "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}",  # standalone spawns `airflow`
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        # paused=True: nothing runs on its own schedule (tests unpause what they exercise)
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": str(paused),
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "10",
        "TARIFF_ETL_WAREHOUSE": str(settings.warehouse),
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    if all_admins:
        env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS"] = "True"
    return env


def start(
    settings: Settings,
    home: Path,
    port: int = 8080,
    *,
    all_admins: bool = False,
    paused: bool = False,
    log_path: Path | None = None,
    timeout_s: float = 120.0,
) -> LocalAirflow:
    """Start `airflow standalone` in its own process group; return once the API is healthy."""
    home.mkdir(parents=True, exist_ok=True)
    log = open(log_path or home / "standalone.log", "ab")  # noqa: SIM115 - child keeps it
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "airflow"), "standalone"],
        env=airflow_environment(settings, home, port, all_admins, paused),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        cwd=PROJECT_ROOT,
    )
    local = LocalAirflow(process, f"http://127.0.0.1:{port}", home)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EtlError(f"airflow standalone exited with {process.returncode}; see {log.name}")
        try:
            with urllib.request.urlopen(f"{local.api}/monitor/health", timeout=2) as reply:
                health = json.loads(reply.read())
            if all(part.get("status") == "healthy" for part in health.values()):
                return local
        except OSError:
            pass
        time.sleep(1)
    local.stop()
    raise EtlError(
        f"airflow standalone did not become healthy in {timeout_s:.0f} s; see {log.name}"
    )
