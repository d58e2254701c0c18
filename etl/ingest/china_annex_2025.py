"""The two official annexes of 国务院关税税则委员会公告2025年第2号 (10 March 2025), as PDF.

附件1 (`china-15-030425.pdf`, 1 page) lists the lines taxed +15%, 附件2 (`china-10-030425.pdf`,
22 pages) those taxed +10%. Each page holds a table 序号 | 税则号列① | 商品名称② (2025 national
lines); page 1 starts with the title (`附件N`, `加征N%关税商品清单`), every page repeats the table
header and ends with its page number, and the last page ends with the notes (`注：...`).

pypdf's layout mode keeps the table's geometry: a row is `<序号> <税则号列><商品名称>` (on the
last page of 附件2 the code and the description touch), and a long description wraps onto lines
that hold only its continuation, indented to the description column (附件2 item 544). Plain
mode would join a wrap with a space, which is wrong in Chinese, so it is not used.

The step page text -> items is a pure function (`parse_page`), and the checks over all pages
(`parse_annex`) need no PDF, so tests can feed them edited real page text. Item numbers must run
1..N without gaps or duplicates: a missing, duplicated or out-of-order item stops the ingest
with a SourceFormatError naming the file, page and item. A row whose code is not 8 digits, or
which has no description, is quarantined (reason names page, item and column); such a reason is
not tolerated, so the raw batch is rejected and nothing is published. The additional rate and
the annex number are read from the title text, not configured per file.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa

from etl.errors import SourceFormatError
from etl.ingest.common import RawDataset, RowRejected, SourceFile, with_lineage

# Raw dataset of the explicit line lists that tariff actions point at (this module's annexes
# and etl.ingest.tradewar_tracker's HS6 list): one row per listed line.
ACTION_LINE_LISTS = "action_line_lists"
ACTION_LINE_LISTS_SCHEMA = with_lineage(
    ("list_id", pa.string()),
    ("item_no", pa.int32()),  # the list's own item number (序号), or the CSV's data row number
    ("code", pa.string()),  # as text, leading zeros kept
    ("code_level", pa.int8()),  # 8 (national line) or 6 (HS subheading)
    ("nomenclature", pa.string()),  # CN2025 (2025 national tariff) or HS2017
    ("description", pa.string()),
    ("as_of_date", pa.date32()),  # the date a dated list states its rate for
    ("rate_pct", pa.float64()),
)

ANNOUNCEMENT = "cn_tcc_2025_02"  # 税委会公告2025年第2号
NOMENCLATURE = "CN2025"  # 《中华人民共和国进出口税则（2025）》 (note ① of each annex)
COLUMNS = ("序号", "税则号列", "商品名称")

_ANNEX_NO = re.compile(r"^\s*附件\s*(\d+)\s*$")
_TITLE_RATE = re.compile(r"加征\s*(\d+(?:\.\d+)?)\s*%\s*关税商品清单")
_HEADER = re.compile(r"^\s*序号\s+税则号列\S*\s+商品名称\S*\s*$")
# <序号> <code token: ASCII, may touch the description> [<description>]
_ITEM = re.compile(r"^(\s*)(\d{1,5})\s+([0-9A-Za-z.\-]+)\s*(.*?)\s*$")
_NOTE = re.compile(r"^\s*注\s*[:：]")
_PAGE_NUMBER = re.compile(r"^\s*(\d+)\s*$")
_CODE = re.compile(r"^\d{8}$")
_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


@dataclass
class AnnexItem:
    """One table row of an annex page, before validation of its fields."""

    page: int
    item_no: int
    code_text: str
    description: str
    code_column: int  # where the code starts on the line (continuations lie right of it)


@dataclass(frozen=True)
class AnnexTitle:
    annex_no: int
    rate_pct: float

    @property
    def list_id(self) -> str:
        return f"{ANNOUNCEMENT}_annex{self.annex_no}"


def _join(head: str, tail: str) -> str:
    """Join a wrapped description: no space between CJK text, one space between Latin words."""
    if not head:
        return tail
    if _CJK.match(head[-1]) or _CJK.match(tail[0]):
        return head + tail
    return f"{head} {tail}"


def parse_title(file: str, first_page: str) -> AnnexTitle:
    """The annex number (`附件2`) and the additional rate (`加征10%关税商品清单`) of page 1."""
    lines = [line for line in first_page.splitlines() if line.strip()]
    number = next((m for m in map(_ANNEX_NO.match, lines[:3]) if m), None)
    rate = next((m for m in map(_TITLE_RATE.search, lines[:4]) if m), None)
    if number is None or rate is None:
        raise SourceFormatError(
            file,
            "page 1: no annex title",
            value=" / ".join(line.strip() for line in lines[:3]),
            expected="'附件<N>' and '加征<rate>%关税商品清单' before the table",
        )
    return AnnexTitle(int(number.group(1)), float(rate.group(1)))


def parse_page(file: str, page: int, text: str) -> list[AnnexItem]:
    """The table rows of one page's layout text, wrapped descriptions joined (pure function).

    Lines before the header (title) and from the notes (`注：`) on are not rows; the last line is
    the page number (checked against the page's position). Any other line that is not a row
    must be the continuation of the row above, lying in its description column; anything else
    is a SourceFormatError.
    """
    items: list[AnnexItem] = []
    header_seen = False
    lines = [line for line in text.splitlines() if line.strip()]
    footer = _PAGE_NUMBER.match(lines[-1]) if lines else None
    if footer:
        lines.pop()
        if int(footer.group(1)) != page:
            raise SourceFormatError(
                file,
                f"page {page} is numbered {footer.group(1)} in its footer: a page is missing "
                "or out of order",
            )
    for raw in lines:
        if _HEADER.match(raw):
            header_seen = True
            continue
        if not header_seen:
            if _ANNEX_NO.match(raw) or _TITLE_RATE.search(raw):
                continue  # title lines of page 1
            raise SourceFormatError(
                file,
                f"page {page}: text before the table header",
                value=raw.strip(),
                expected=f"a header {' | '.join(COLUMNS)} at the top of every page",
            )
        if _NOTE.match(raw):
            break  # the notes end the table; only the page number follows
        number = _PAGE_NUMBER.match(raw)
        if number:
            raise SourceFormatError(
                file,
                f"page {page}: a line with only the number {number.group(1)} (a row without "
                "code and description?)",
                value=raw.strip(),
            )
        match = _ITEM.match(raw)
        if match:
            _, item_no, code, description = match.groups()
            items.append(AnnexItem(page, int(item_no), code, description, match.start(3)))
            continue
        continuation = raw.strip()
        if not items or len(raw) - len(raw.lstrip()) < items[-1].code_column:
            raise SourceFormatError(
                file,
                f"page {page}: a line that is neither a row nor the continuation of a "
                f"description{f' (after item {items[-1].item_no})' if items else ''}",
                value=continuation,
            )
        items[-1].description = _join(items[-1].description, continuation)
    if not header_seen:
        raise SourceFormatError(
            file, f"page {page}: no table header", expected=f"columns {' | '.join(COLUMNS)}"
        )
    return items


def check_sequence(file: str, items: list[AnnexItem]) -> None:
    """Item numbers run 1..N in order, without gaps or duplicates, across all pages."""
    first_page: dict[int, int] = {}
    previous: AnnexItem | None = None
    for item in items:
        expected = previous.item_no + 1 if previous else 1
        if item.item_no in first_page:
            raise SourceFormatError(
                file,
                f"page {item.page}, item {item.item_no} (序号): duplicated, already on page "
                f"{first_page[item.item_no]}",
                expected="item numbers 1..N, each once",
            )
        if item.item_no > expected:
            gap = (
                f"item {expected}"
                if item.item_no == expected + 1
                else f"items {expected}-{item.item_no - 1}"
            )
            after = f"item {previous.item_no}" if previous else "the table header"
            raise SourceFormatError(
                file,
                f"page {item.page}, {gap} (序号): missing, {after} is followed by item "
                f"{item.item_no}",
                expected="item numbers 1..N without gaps",
            )
        if item.item_no < expected:
            raise SourceFormatError(
                file,
                f"page {item.page}, item {item.item_no} (序号): out of order after item "
                f"{previous.item_no if previous else 0}",
                expected="item numbers 1..N in order",
            )
        first_page[item.item_no] = item.page
        previous = item


def parse_annex(file: str, pages: list[str]) -> tuple[AnnexTitle, list[AnnexItem]]:
    """Title and rows of a whole annex from its pages' layout text; the item sequence checked."""
    if not pages:
        raise SourceFormatError(file, "has no pages")
    title = parse_title(file, pages[0])
    items = [
        item for number, text in enumerate(pages, 1) for item in parse_page(file, number, text)
    ]
    if not items:
        raise SourceFormatError(file, "no table rows on any page")
    check_sequence(file, items)
    return title, items


def read_pages(src: SourceFile) -> list[str]:
    """Layout text of every page; a file pypdf cannot read is a SourceFormatError."""
    import pypdf
    from pypdf.errors import PyPdfError

    log = logging.getLogger("pypdf")
    level = log.level
    log.setLevel(logging.ERROR)  # repair warnings of a broken file would add lines to the error
    try:
        reader = pypdf.PdfReader(str(src.path))
        return [page.extract_text(extraction_mode="layout") for page in reader.pages]
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise SourceFormatError(src.display_name, f"cannot be read as PDF: {exc}") from exc
    finally:
        log.setLevel(level)


def _validated(item: AnnexItem, seen: dict[str, int]) -> tuple[str, str]:
    where = f"page {item.page}, item {item.item_no}"
    if not _CODE.match(item.code_text):
        # PDF text keeps leading zeros: a 7-digit code is not an Excel artefact, never padded
        raise RowRejected(
            COLUMNS[1], item.code_text, "bad_code", f"{where}: {COLUMNS[1]} is not 8 digits"
        )
    if item.code_text in seen:
        raise RowRejected(
            COLUMNS[1],
            item.code_text,
            "duplicate_key",
            f"{where}: {COLUMNS[1]} {item.code_text} already listed as item {seen[item.code_text]}",
        )
    if not item.description:
        raise RowRejected(
            COLUMNS[2], None, "missing_description", f"{where}: {COLUMNS[2]} is empty"
        )
    return item.code_text, item.description


def load_annex(src: SourceFile, loaded_at: datetime) -> list[RawDataset]:
    return [annex_dataset(src, read_pages(src), loaded_at)]


def annex_dataset(src: SourceFile, pages: list[str], loaded_at: datetime) -> RawDataset:
    """The raw rows of an annex from its pages' layout text (rows with a bad field quarantined)."""
    title, items = parse_annex(src.display_name, pages)
    out = RawDataset(ACTION_LINE_LISTS, ACTION_LINE_LISTS_SCHEMA, sources=[src])
    out.notes.update(list_id=title.list_id, rate_pct=title.rate_pct, pages=items[-1].page)
    seen: dict[str, int] = {}
    for item in items:
        out.rows_read += 1
        sheet = f"page {item.page}"
        try:
            code, description = _validated(item, seen)
        except RowRejected as err:
            out.reject(src, sheet, item.item_no, err)
            continue
        seen[code] = item.item_no
        out.add(
            src,
            sheet,
            item.item_no,  # the row's identity in the table is its 序号
            {
                "list_id": title.list_id,
                "item_no": item.item_no,
                "code": code,
                "code_level": 8,
                "nomenclature": NOMENCLATURE,
                "description": description,
                "as_of_date": None,
                "rate_pct": title.rate_pct,
            },
            loaded_at,
        )
    return out
