"""Airflow 3 standalone on loopback: trigger the ingest DAG through the REST API, wait for the
asset-triggered build, check what it published, then stop every Airflow process."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request

import psutil
import pytest

from etl import runs
from etl.orchestration import local
from etl.settings import Settings
from tests.helpers import published_covered_usd

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(url: str, method: str = "GET", body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read())


def wait_for_dags(server, dag_ids, timeout_s: float = 180) -> None:
    """The API answers before the dag-processor has serialized the DAGs: wait for them."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            for dag_id in dag_ids:
                call(f"{server.api}/dags/{dag_id}")
            return
        except (urllib.error.HTTPError, urllib.error.URLError, TimeoutError):
            time.sleep(2)
    pytest.fail(f"DAGs {dag_ids} not parsed within {timeout_s} s")


def trigger(server, dag_id: str, attempts: int = 5) -> dict:
    for attempt in range(attempts):
        try:
            return call(f"{server.api}/dags/{dag_id}/dagRuns", "POST", {"logical_date": None})
        except urllib.error.HTTPError as err:
            if err.code < 500 or attempt == attempts - 1:
                raise
            time.sleep(3)
    raise AssertionError("unreachable")


def test_rest_triggered_ingest_leads_to_a_published_build(tmp_path):
    settings = Settings(warehouse=tmp_path / "warehouse")
    # DAGs start paused: only the two under test are unpaused, so the monthly customs DAG and
    # the daily schedule do not start runs of their own during the test
    server = local.start(
        settings,
        tmp_path / "airflow_home",
        port=free_port(),
        all_admins=True,
        paused=True,
        timeout_s=180,
    )
    group = psutil.Process(server.process.pid)
    try:
        assert server.url.startswith("http://127.0.0.1:")
        wait_for_dags(server, ["ingest_tariff_schedules", "build_tariff_marts"])
        for dag_id in ("build_tariff_marts", "ingest_tariff_schedules"):
            call(f"{server.api}/dags/{dag_id}", "PATCH", {"is_paused": False})
        trigger(server, "ingest_tariff_schedules")
        deadline, states = time.monotonic() + 300, []
        while time.monotonic() < deadline:
            dag_runs = call(f"{server.api}/dags/build_tariff_marts/dagRuns")["dag_runs"]
            states = [(r["run_type"], r["state"]) for r in dag_runs]
            if any(state == "success" for _, state in states):
                break
            assert not any(state == "failed" for _, state in states), states
            time.sleep(3)
        assert ("asset_triggered", "success") in states, states
        children = group.children(recursive=True)
    finally:
        server.stop()
    current = runs.current_run_id(settings)
    assert current and runs.read_manifest(settings, current)["status"] == "published"
    covered = published_covered_usd(settings)
    assert round(covered / 1e9, 2) == 87.14
    time.sleep(1)
    alive = [p for p in [group, *children] if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert alive == [], [p.cmdline() for p in alive]
