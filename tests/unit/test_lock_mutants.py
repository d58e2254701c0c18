"""How a writer that finds the warehouse locked behaves: what it says, how long it waits and
how often it polls. The holder is a second open file description with its own flock (flock
conflicts between two of them even in one process), and the lock module's clock is a fake one,
so waiting is exact and instant."""

from __future__ import annotations

import fcntl
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from etl import lock as lock_module
from etl.errors import LockError
from etl.lock import warehouse_lock

HOLDER = {"pid": 4242, "host": "build-box", "purpose": "tariff-etl run", "since": "2025-03-28"}


class FakeClock:
    """`time` as etl.lock uses it: sleeping advances the clock by exactly that long."""

    def __init__(self, on_sleep=None) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.on_sleep = on_sleep

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep:
            self.on_sleep(self)


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(lock_module, "time", fake)
    return fake


@pytest.fixture
def held(tmp_path) -> Iterator[tuple[Path, object]]:
    """The lock file of a warehouse, held by another writer that wrote its details into it."""
    path = tmp_path / "warehouse" / ".lock"
    path.parent.mkdir()
    fh = open(path, "a+")  # noqa: SIM115
    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    fh.write(json.dumps(HOLDER) + "\n")
    fh.flush()
    yield path, fh
    fh.close()


def test_a_locked_warehouse_fails_at_once_naming_the_holder(held, clock):
    path, _ = held
    with pytest.raises(LockError) as caught, warehouse_lock(path, "rollback"):
        pass
    assert str(caught.value) == (
        f"warehouse {path.parent} is locked by another writer: {json.dumps(HOLDER)}"
    )
    assert clock.sleeps == []


def test_a_negative_wait_is_no_wait(held, clock):
    path, _ = held
    with (
        pytest.raises(LockError, match="locked by another writer: {"),
        warehouse_lock(path, "rollback", wait_s=-5),
    ):
        pass
    assert clock.sleeps == []


def test_a_holder_that_wrote_nothing_is_an_unknown_process(held, clock):
    path, fh = held
    fh.truncate(0)
    fh.flush()
    with (
        pytest.raises(LockError, match=r"locked by another writer: unknown process$"),
        warehouse_lock(path, "rollback"),
    ):
        pass


def test_a_waiting_writer_backs_off_from_50_ms_to_1_s_and_stops_at_its_deadline(held, clock):
    path, _ = held
    with pytest.raises(LockError) as caught, warehouse_lock(path, "publish", wait_s=3):
        pass
    assert clock.sleeps == pytest.approx([0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 0.45])
    assert clock.now == pytest.approx(1003.0)
    assert str(caught.value) == (
        f"warehouse {path.parent} is locked by another writer (waited 3 s): {json.dumps(HOLDER)}"
    )


def test_a_fractional_wait_is_named_as_given(held, clock):
    path, _ = held
    with (
        pytest.raises(LockError, match=r"\(waited 0\.25 s\): \{"),
        warehouse_lock(path, "publish", wait_s=0.25),
    ):
        pass
    assert clock.sleeps == pytest.approx([0.05, 0.1, 0.1])


def test_a_waiting_writer_says_once_what_it_waits_for(held, clock, caplog):
    path, _ = held
    caplog.set_level(logging.WARNING, logger="etl.lock")
    with pytest.raises(LockError), warehouse_lock(path, "build marts", wait_s=2.5):
        pass
    assert len(clock.sleeps) > 3
    assert [r.getMessage() for r in caplog.records if r.name == "etl.lock"] == [
        f"build marts: waiting up to 2.5 s for the warehouse lock held by {json.dumps(HOLDER)}"
    ]


def test_a_waiting_writer_takes_the_lock_once_the_holder_lets_go(held, monkeypatch):
    path, fh = held

    def release_after_a_second(fake: FakeClock) -> None:
        if fake.now >= 1001.0 and not fh.closed:
            fh.close()  # the holder finishes

    fake = FakeClock(on_sleep=release_after_a_second)
    monkeypatch.setattr(lock_module, "time", fake)
    with warehouse_lock(path, "publish", wait_s=600):
        written = json.loads(path.read_text())
    assert written["purpose"] == "publish"
    # 0.05 + 0.1 + 0.2 + 0.4 + 0.8 s: the holder was gone after the fifth pause
    assert fake.sleeps == pytest.approx([0.05, 0.1, 0.2, 0.4, 0.8])
