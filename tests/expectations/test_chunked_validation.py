"""A table above `chunk_rows` is validated in chunks: every row exactly once, so the counts of
unexpected values are those of a whole-table validation (on a connection that does not keep
insertion order, as the pipeline's)."""

from __future__ import annotations

import duckdb
import great_expectations as gx
import pytest

from etl import quality
from etl.quality import validate_relation
from expectations._common import between, not_null

NULL_ROWS = (17, 4_001, 9_999, 25_000, 49_998)


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("set preserve_insertion_order = false")
    con.execute("set threads = 2")
    con.execute(
        "create table t as select i, case when i in "
        f"{NULL_ROWS} then null else i % 100 end as v from range(50000) as r(i)"
    )
    yield con
    con.close()


def test_chunks_validate_every_row_exactly_once(con, monkeypatch):
    suite = gx.ExpectationSuite(name="t", expectations=[*not_null("v"), between("v", 0, 98)])
    frames: list[int] = []
    real = quality.validate_frame

    def counting(frame, s):
        frames.append(len(frame))
        return real(frame, s)

    monkeypatch.setattr(quality, "validate_frame", counting)
    whole = validate_relation(con, "t", suite, chunk_rows=10**9)
    assert frames == [50_000]
    frames.clear()
    chunked = validate_relation(con, "t", suite, chunk_rows=3_000)
    assert len(frames) > 1 and max(frames) <= 3_000, frames
    assert sum(frames) == 50_000, "a row validated twice or never"
    nulls, above = chunked
    assert (nulls.success, nulls.unexpected_count) == (False, len(NULL_ROWS))
    above_98 = sum(1 for i in range(50_000) if i % 100 == 99 and i not in NULL_ROWS)
    assert (above.success, above.unexpected_count) == (False, above_98)
    assert [(r.success, r.unexpected_count) for r in whole] == [
        (r.success, r.unexpected_count) for r in chunked
    ]
