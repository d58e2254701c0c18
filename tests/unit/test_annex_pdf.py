"""The two official annex PDFs of 税委会公告2025年第2号, parsed end to end, and broken copies.

Broken inputs are built from the real files: edited layout text for the pure page -> items
step, and a real PDF whose content stream lost one table row (made with pypdf in the test).
"""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pypdf
import pytest
from pypdf.generic import ContentStream

from etl.errors import SourceFormatError
from etl.ingest import china_annex_2025 as annex
from etl.ingest.common import SourceFile
from etl.settings import Settings
from tests.helpers import LANDING, PROJECT_ROOT

NOW = datetime(2026, 1, 1, tzinfo=UTC)
ANNEX1 = "china_retaliation_2025/china-15-030425.pdf"
ANNEX2 = "china_retaliation_2025/china-10-030425.pdf"


def load(relative: str, landing: Path = LANDING):
    src = SourceFile.open(landing / relative, landing)
    (dataset,) = annex.load_annex(src, NOW)
    dataset.check_reconciled()
    return dataset


@pytest.fixture(scope="module")
def annex1():
    return load(ANNEX1)


@pytest.fixture(scope="module")
def annex2():
    return load(ANNEX2)


@pytest.fixture(scope="module")
def annex2_pages():
    return annex.read_pages(SourceFile.open(LANDING / ANNEX2, LANDING))


def by_item(dataset):
    return {r["item_no"]: r for r in dataset.rows}


def test_annex1_has_29_lines_at_plus_15(annex1):
    assert annex1.rows_read == 29 and len(annex1.rows) == 29 and annex1.quarantine == []
    assert {(r["list_id"], r["rate_pct"]) for r in annex1.rows} == {("cn_tcc_2025_02_annex1", 15.0)}
    assert [r["item_no"] for r in annex1.rows] == list(range(1, 30))
    assert {r["_source_sheet"] for r in annex1.rows} == {"page 1"}


def test_annex2_has_711_lines_at_plus_10_over_22_pages(annex2):
    assert annex2.rows_read == 711 and len(annex2.rows) == 711 and annex2.quarantine == []
    assert {(r["list_id"], r["rate_pct"]) for r in annex2.rows} == {("cn_tcc_2025_02_annex2", 10.0)}
    assert [r["item_no"] for r in annex2.rows] == list(range(1, 712))
    assert annex2.rows[-1]["_source_sheet"] == "page 22"
    assert len({r["code"] for r in annex2.rows}) == 711


def test_every_line_is_an_8_digit_2025_national_code(annex1, annex2):
    rows = annex1.rows + annex2.rows
    assert all(len(r["code"]) == 8 and r["code"].isdigit() for r in rows)
    assert {(r["code_level"], r["nomenclature"], r["as_of_date"]) for r in rows} == {
        (8, "CN2025", None)
    }
    assert not {r["code"] for r in annex1.rows} & {r["code"] for r in annex2.rows}
    # chapters 01-09 keep their leading zero
    assert sum(r["code"].startswith("0") for r in rows) > 100


def test_items_read_straight_from_the_pdfs(annex1, annex2):
    first = by_item(annex1)
    assert (first[1]["code"], first[1]["description"]) == ("02071100", "鲜或冷的整只鸡")
    assert (first[29]["code"], first[29]["description"]) == ("52030000", "已梳的棉花")
    second = by_item(annex2)
    assert (second[3]["code"], second[3]["description"]) == ("12019011", "非种用非转基因黄大豆")
    assert (second[4]["code"], second[4]["description"]) == ("12019019", "非种用其他黄大豆")
    # last page: in the layout text the code touches the description (`35022000乳白蛋白`)
    assert (second[711]["code"], second[711]["description"]) == (
        "35022000",
        "乳白蛋白，包括两种或两种以上的乳清蛋白浓缩物",
    )


def test_a_wrapped_description_is_joined(annex2, annex2_pages):
    # item 544 wraps onto a second line of page 17 that holds only its continuation
    lines = [line.strip() for line in annex2_pages[16].splitlines()]
    assert "蘑、欧洲松口蘑）" in lines
    item = by_item(annex2)[544]
    assert item["_source_sheet"] == "page 17"
    assert item["code"] == "07095500"
    joined = "鲜或冷藏的松茸（松口蘑、美洲松口蘑、雪松口蘑、甜味松口" + "蘑、欧洲松口蘑）"
    assert item["description"] == joined
    # no other text is left over as a description: none contains the notes or a page number
    assert not any("注" in r["description"] or r["description"][-1].isdigit() for r in annex2.rows)


def test_rate_and_annex_number_come_from_the_title(annex2_pages):
    page = annex2_pages[0].replace("附件2", "附件7").replace("加征10%关税", "加征12.5%关税")
    title, items = annex.parse_annex("x.pdf", [page, *annex2_pages[1:]])
    assert (title.list_id, title.rate_pct, len(items)) == ("cn_tcc_2025_02_annex7", 12.5, 711)
    with pytest.raises(SourceFormatError, match=r"file x\.pdf: page 1: no annex title"):
        annex.parse_annex("x.pdf", [page.replace("加征12.5%关税商品清单", "商品清单")])


def drop_line(text: str, startswith: str) -> str:
    lines = text.splitlines()
    (index,) = [i for i, line in enumerate(lines) if line.strip().startswith(startswith)]
    return "\n".join(lines[:index] + lines[index + 1 :])


def test_page_text_with_a_missing_item_is_one_clear_error(annex2_pages):
    pages = list(annex2_pages)
    pages[1] = drop_line(pages[1], "40 ")  # page 2 holds items 32-65
    assert len(annex.parse_page(ANNEX2, 2, pages[1])) == 33
    with pytest.raises(SourceFormatError) as err:
        annex.parse_annex(ANNEX2, pages)
    message = str(err.value)
    assert message == (
        f"file {ANNEX2}: page 2, item 40 (序号): missing, item 39 is followed by item 41; "
        "expected item numbers 1..N without gaps"
    )


def test_a_missing_first_item_a_missing_page_and_a_range_are_named(annex2_pages):
    pages = list(annex2_pages)
    pages[0] = drop_line(pages[0], "1 ")
    with pytest.raises(SourceFormatError, match="page 1, item 1 .*the table header is followed"):
        annex.parse_annex(ANNEX2, pages)
    # a whole page lost: the next page's footer gives it away
    with pytest.raises(SourceFormatError) as err:
        annex.parse_annex(ANNEX2, [annex2_pages[0], *annex2_pages[2:]])
    assert str(err.value) == (
        f"file {ANNEX2}: page 2 is numbered 3 in its footer: a page is missing or out of order"
    )
    # a gap spanning several items is named as a range
    pages = list(annex2_pages)
    for item in range(32, 36):
        pages[1] = drop_line(pages[1], f"{item} ")
    with pytest.raises(SourceFormatError, match="page 2, items 32-35 .*item 31 is followed by"):
        annex.parse_annex(ANNEX2, pages)


def test_a_duplicated_item_is_one_clear_error(annex2_pages):
    pages = list(annex2_pages)
    item_70 = next(x for x in pages[2].splitlines() if x.strip().startswith("70 "))
    header = next(x for x in pages[3].splitlines() if x.startswith("序号"))
    pages[3] = pages[3].replace(header, f"{header}\n{item_70}", 1)  # page 4 repeats item 70
    with pytest.raises(SourceFormatError) as err:
        annex.parse_annex(ANNEX2, pages)
    assert str(err.value) == (
        f"file {ANNEX2}: page 4, item 70 (序号): duplicated, already on page 3; "
        "expected item numbers 1..N, each once"
    )


def test_stray_text_is_an_error_not_a_description(annex2_pages):
    # a continuation must lie in the description column of the row above
    page = annex2_pages[1].replace("\n 33 ", "\nstray text\n 33 ", 1)
    assert "stray text" in page
    with pytest.raises(SourceFormatError, match=r"page 2: a line that is neither .*item 32"):
        annex.parse_page(ANNEX2, 2, page)
    # a row that lost its code and description leaves a bare number that is not the page's
    row_33 = next(x for x in annex2_pages[1].splitlines() if x.strip().startswith("33 "))
    page = annex2_pages[1].replace(row_33, " 33")
    with pytest.raises(SourceFormatError, match=r"page 2: a line with only the number 33"):
        annex.parse_page(ANNEX2, 2, page)


def test_a_code_that_does_not_parse_is_quarantined_with_page_item_and_column(annex2_pages):
    pages = list(annex2_pages)
    assert " 12019019 " in pages[0]
    pages[0] = pages[0].replace(" 12019019 ", " 1201901 ", 1)  # item 4, one digit lost
    src = SourceFile.open(LANDING / ANNEX2, LANDING)
    dataset = annex.annex_dataset(src, pages, NOW)
    dataset.check_reconciled()
    assert (dataset.rows_read, len(dataset.rows)) == (711, 710)
    (q,) = dataset.blocking_quarantine
    assert (q["source_file"], q["source_sheet"], q["source_row"]) == (ANNEX2, "page 1", 4)
    assert (q["field"], q["value"], q["reason_code"]) == ("税则号列", "1201901", "bad_code")
    assert q["reason"] == "page 1, item 4: 税则号列 is not 8 digits"


def pdf_without_row(source: Path, item_no: int, target: Path) -> None:
    """A copy of a one-page annex whose content stream lost every text block of one table row."""
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(source))
    page = writer.pages[0]
    rows_y: list[float] = []

    def visit(text, cm, tm, font, size):
        if text.strip() == str(item_no) and tm[4] < 120:  # the 序号 column
            rows_y.append(tm[5])

    page.extract_text(visitor_text=visit)
    (row_y,) = rows_y
    content = ContentStream(page.get_contents(), writer)
    kept, block, drop = [], [], False
    for operands, operator in content.operations:
        if operator == b"BT":
            block, drop = [(operands, operator)], False
        elif block:
            block.append((operands, operator))
            drop = drop or (operator == b"Tm" and abs(float(operands[5]) - row_y) < 1)
            if operator == b"ET":
                kept.extend([] if drop else block)
                block = []
        else:
            kept.append((operands, operator))
    content.operations = kept
    page.replace_contents(content)
    buffer = io.BytesIO()
    writer.write(buffer)
    target.write_bytes(buffer.getvalue())


def test_a_pdf_that_lost_a_row_fails_ingest_naming_file_page_and_item(tmp_path):
    landing = tmp_path / "landing"
    broken = landing / ANNEX1
    broken.parent.mkdir(parents=True)
    pdf_without_row(LANDING / ANNEX1, 17, broken)
    text = annex.read_pages(SourceFile.open(broken, landing))[0]
    assert "10011900" not in text and "10019100" in text  # item 17 gone, item 18 still there
    with pytest.raises(SourceFormatError) as err:
        load(ANNEX1, landing)
    assert str(err.value).startswith(
        f"file {ANNEX1}: page 1, item 17 (序号): missing, item 16 is followed by item 18"
    )


def test_the_run_stops_at_ingest_with_one_line_and_publishes_nothing(tmp_path, landing_copy):
    pdf_without_row(LANDING / ANNEX1, 17, landing_copy / ANNEX1)
    warehouse = tmp_path / "warehouse"
    env = {
        **os.environ,
        "TARIFF_ETL_WAREHOUSE": str(warehouse),
        "TARIFF_ETL_LANDING": str(landing_copy),
    }
    result = subprocess.run(
        [sys.executable, "-m", "etl.cli", "run"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and "Traceback" not in result.stderr
    assert f"file {ANNEX1}: page 1, item 17 (序号): missing" in line
    settings = Settings(warehouse=warehouse)
    assert not (settings.warehouse / "raw").exists()
    assert not settings.current_dir.exists()


def test_a_file_that_is_not_a_readable_pdf_is_one_clear_error(tmp_path, caplog):
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes((LANDING / ANNEX1).read_bytes()[:5000])
    with caplog.at_level(logging.WARNING), pytest.raises(SourceFormatError) as err:
        annex.load_annex(SourceFile.open(truncated, tmp_path), NOW)
    assert str(err.value).startswith("file truncated.pdf: cannot be read as PDF: ")
    # pypdf's repair warnings ("EOF marker not found") would print lines beside the one error
    assert [r.getMessage() for r in caplog.records if r.name.startswith("pypdf")] == []
