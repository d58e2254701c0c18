"""The pre-pass (hash, record count, blank lines, GBK) and the synthetic data generator."""

from __future__ import annotations

import hashlib
from collections import Counter

import numpy as np
import pytest

import etl.customs.textscan as textscan
from etl.customs.api import ingest_files
from etl.customs.generate import _draw_cells, generate
from etl.errors import SourceFormatError
from tests.customs.helpers import quarantine, settings_for


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 1 << 20])
def test_blank_lines_are_found_across_chunk_boundaries(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(textscan, "CHUNK", chunk)
    cases = {
        b"h\na\nb\n": (2, []),
        b"h\na\n\nb\n": (2, [3]),
        b"h\r\na\r\n\r\nb\r\n\r\n": (2, [3, 5]),
        b"h\na\n\n\n": (1, [3, 4]),
        b"h\na": (1, []),
        b"h\n\na\n\r": (1, [2, 4]),
    }
    for data, (records, blanks) in cases.items():
        path = tmp_path / "f.csv"
        path.write_bytes(data)
        scan = textscan.scan_text(path, "f.csv", tmp_path)
        assert (scan.records, scan.blank_lines) == (records, blanks), data
        assert scan.sha256 == hashlib.sha256(data).hexdigest()


def test_gbk_is_transcoded_even_when_a_character_straddles_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(textscan, "CHUNK", 5)
    text = "数据年月,商品名称\r\n201803,其他黄大豆\r\n"
    path = tmp_path / "f.csv"
    path.write_bytes(text.encode("gbk"))
    scan = textscan.scan_text(path, "f.csv", tmp_path / "tmp")
    assert scan.encoding == "gb18030" and scan.header == ["数据年月", "商品名称"]
    (piece,) = scan.pieces
    assert piece.path.read_bytes().decode("utf-8") == text
    scan.cleanup()
    assert not piece.path.exists()


def test_encodings_are_detected(tmp_path):
    assert textscan.detect_encoding("a,b\n".encode("utf-8-sig"), "f") == "utf-8-sig"
    assert textscan.detect_encoding("商品\n".encode(), "f") == "utf-8"
    assert textscan.detect_encoding("商品\n".encode("gbk"), "f") == "gb18030"
    with pytest.raises(SourceFormatError):
        textscan.detect_encoding(b"\xff\xfe\xff\xff", "f")


@pytest.mark.parametrize("fmt", ["comtrade", "china-customs"])
def test_generator_is_deterministic(tmp_path, fmt):
    a, b, c = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    ra = generate(fmt, 3000, a, seed=11, months=3)
    generate(fmt, 3000, b, seed=11, months=3)
    generate(fmt, 3000, c, seed=12, months=3)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    assert ra.rows == 3000 and ra.months == ["2015-01", "2015-02", "2015-03"]
    # one header line + one line per row
    assert a.read_bytes().count(b"\r\n") == 3001


def test_generated_rows_are_unique_per_month_and_skewed(tmp_path):
    path = tmp_path / "g.csv"
    generate("comtrade", 20000, path, seed=3, months=2, malformed_rate=0.0)
    lines = path.read_text().splitlines()[1:]
    keys = [tuple(line.split('","')[i] for i in (5, 9, 12, 20)) for line in lines]
    assert len(set(keys)) == len(keys)  # (period, flow, partner, cmdCode) never repeats
    partners = Counter(k[2] for k in keys)
    assert len(partners) > 100
    top = sum(n for _, n in partners.most_common(10))
    assert top / len(keys) > 0.25  # Zipf-like: ten partners of ~200 hold a big share


def test_generated_malformed_rows_are_quarantined_as_such(tmp_path):
    path = tmp_path / "imports.csv"
    result = generate("china-customs", 4000, path, seed=5, months=2, malformed_rate=0.05)
    settings = settings_for(tmp_path)
    (ingested,) = ingest_files(settings, "china-customs", [path])
    assert ingested.rows_read == 4000
    assert ingested.rows_quarantined == sum(result.malformed.values())
    got = Counter(q["reason_code"] for q in quarantine(settings))
    expected = {
        "bad_value": result.malformed["non_numeric_value"],
        "negative_value": result.malformed["negative_value"],
        "bad_code": result.malformed["bad_hs_code"],
        "unknown_partner": result.malformed["unknown_partner"],
        "wrong_field_count": result.malformed["wrong_field_count"],
    }
    assert got == {k: v for k, v in expected.items() if v}


def test_dense_months_use_exact_sampling_without_replacement():
    rng = np.random.default_rng(0)
    log_w = np.log(np.arange(1, 41, dtype=float))
    cdf = np.cumsum(np.exp(log_w))
    cells = _draw_cells(rng, 30, 40, log_w, cdf, np.array([1.0]), 1)  # k > universe / 4
    assert len(cells) == 30 == len(set(cells.tolist())) and list(cells) == sorted(cells)
    assert len(_draw_cells(rng, 40, 40, log_w, cdf, np.array([1.0]), 1)) == 40


def test_big_files_are_cut_where_the_partition_changes(tmp_path, monkeypatch):
    """A file ordered by period is cut where the year changes (found by sampling + bisecting
    the refYear/reporterISO key), so each piece holds one partition and needs no split."""
    from etl.customs.textscan import PieceKey

    monkeypatch.setattr(textscan, "MIN_PIECE_BYTES", 1 << 10)
    monkeypatch.setattr(textscan, "MIN_KEY_PIECE_BYTES", 1 << 10)
    monkeypatch.setattr(textscan, "SAMPLE_LINES", 37)
    path = tmp_path / "ten_years.csv"
    result = generate("comtrade", 6000, path, seed=7, months=36, malformed_rate=0.0)
    assert result.months[0] == "2015-01" and result.months[-1] == "2017-12"
    scan = textscan.scan_text(
        path, "ten_years.csv", tmp_path / "tmp", pieces=1, key=PieceKey(((3, 4), (7, 3)))
    )
    lines = path.read_bytes().split(b"\r\n")
    firsts = [p.header_lines + 1 for p in scan.pieces]  # physical line of each piece's start
    years = [lines[n - 1].split(b",")[3] for n in firsts]
    assert years == [b'"2015"', b'"2016"', b'"2017"']
    assert lines[firsts[1] - 2].split(b",")[3] == b'"2015"'  # the line before is the old year
    assert sum(p.records for p in scan.pieces) == 6000
    scan.cleanup()

    settings = settings_for(tmp_path)
    (ingested,) = ingest_files(settings, "comtrade", [path])
    assert ingested.rows_loaded == 6000
    assert ingested.partitions_written == [
        f"source=un_comtrade/reporter=CHN/year={y}" for y in (2015, 2016, 2017)
    ]


def test_pieces_are_copied_without_copy_file_range_too(tmp_path, monkeypatch):
    """Off Linux there is no os.copy_file_range: the pieces are copied through Python."""
    import os

    monkeypatch.setattr(textscan, "MIN_PIECE_BYTES", 1 << 10)
    monkeypatch.delattr(os, "copy_file_range", raising=False)
    path = tmp_path / "cc_import.csv"
    generate("china-customs", 3000, path, seed=2, months=2, malformed_rate=0.0, encoding="utf-8")
    scan = textscan.scan_text(path, "cc_import.csv", tmp_path / "tmp", pieces=3)
    assert len(scan.pieces) == 3 and sum(p.records for p in scan.pieces) == 3000
    body = b"".join(p.path.read_bytes() for p in scan.pieces[1:])
    assert path.read_bytes().endswith(body)
    scan.cleanup()
