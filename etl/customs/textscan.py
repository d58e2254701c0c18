"""One streaming pass over a delimited text file before DuckDB parses it.

The pass does what must happen byte by byte anyway, in 8 MiB chunks (memory stays flat):

- sha256 of the file (the manifest's identity of the input), in a helper thread: hashlib and
  numpy release the GIL, so hashing overlaps the scanning below;
- an independent count of its records (newlines), so that "rows read = rows loaded + rows
  quarantined" is checked against something DuckDB did not compute itself;
- the physical line numbers of blank lines, because DuckDB's CSV reader skips them silently: they
  are quarantined as `blank_row` (tolerated) instead of vanishing;
- the encoding: UTF-8 (with or without BOM) is read by DuckDB as it is; GBK/GB18030 (what China
  Customs' platform exports) is transcoded to temporary UTF-8, because DuckDB reads only
  UTF-8/UTF-16/Latin-1 without its `encodings` extension, which cannot be downloaded here;
- the cut into pieces. DuckDB numbers rows (`WITH ORDINALITY`, our `_source_row`) only in a
  single-threaded pipeline, and a partitioned write of such a pipeline materializes it (memory
  grows with the file). So the file is cut at line boundaries into pieces that each hold one
  landed partition where the data allows (a change of the partition key, read from the first
  fields of sampled lines), and no bigger than 1/threads of the file; the pieces are parsed by
  concurrent single-threaded queries, each writing one plain (unpartitioned) Parquet file.
  Piece 0 of a UTF-8 file is the file itself read up to its record count; the other pieces are
  written to temp files during this pass (no second read). The key is only a hint: the store
  checks each piece's output and splits any that holds more than one partition.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import uuid
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from etl.errors import SourceFormatError

CHUNK = 8 << 20
MIN_PIECE_BYTES = 32 << 20  # a smaller file is parsed by one query: cutting would cost more
_BOM = codecs.BOM_UTF8


@dataclass(frozen=True)
class Piece:
    """A line-aligned part of the file, parsed by its own (single-threaded) query."""

    path: Path
    skip: int  # lines to skip at the top of `path` (the header, in piece 0)
    limit: int | None  # records to read from `path` (piece 0 of a cut UTF-8 file), else all
    header_lines: int  # physical lines of the original file before this piece's first record
    records: int  # non-blank lines
    blank_lines: tuple[int, ...]  # physical line numbers of the blank lines in this piece


@dataclass
class TextScan:
    """What the pre-pass learned about one file."""

    sha256: str
    size: int
    encoding: str  # "utf-8", "utf-8-sig" or "gb18030"
    header: list[str]
    header_line: str  # the raw header line, decoded (for error messages)
    records: int  # non-blank physical lines after the header
    blank_lines: list[int] = field(default_factory=list)  # 1-based physical line numbers
    pieces: list[Piece] = field(default_factory=list)
    temp_paths: list[Path] = field(default_factory=list)  # transcoded / piece copies

    def cleanup(self) -> None:
        for path in self.temp_paths:
            path.unlink(missing_ok=True)


def detect_encoding(head: bytes, display_name: str) -> str:
    """UTF-8 with BOM, UTF-8, or GB18030 (a superset of GBK/GB2312), judged on the file's head."""
    if head.startswith(_BOM):
        return "utf-8-sig"
    try:
        # final=False: a multi-byte character cut at the end of the sample is not an error
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gb18030")().decode(head, final=False)
        return "gb18030"
    except UnicodeDecodeError as exc:
        raise SourceFormatError(
            display_name,
            f"is neither UTF-8 nor GBK/GB18030 text (undecodable byte at offset {exc.start})",
        ) from None


def _first_line(head: bytes, encoding: str) -> str:
    end = head.find(b"\n")
    raw = head if end < 0 else head[:end]
    return raw.decode(encoding, errors="replace").rstrip("\r")


class _Sink:
    """Where the bytes of the current piece go: nowhere (piece 0 of a UTF-8 file is read in
    place), a temp file, or a temp file through the GBK -> UTF-8 transcoder."""

    def __init__(self, display_name: str, transcode: bool) -> None:
        self.display_name = display_name
        self.decoder = codecs.getincrementaldecoder("gb18030")() if transcode else None
        self.out: BinaryIO | None = None
        self.offset = 0  # input bytes consumed, for error messages

    def open(self, path: Path | None) -> None:
        self.close()
        self.out = open(path, "wb") if path is not None else None  # noqa: SIM115

    def write(self, data: bytes | memoryview) -> None:
        if self.decoder is not None:
            try:
                text = self.decoder.decode(data)
            except UnicodeDecodeError as exc:
                raise SourceFormatError(
                    self.display_name,
                    f"invalid GBK/GB18030 byte sequence at byte offset {self.offset + exc.start}",
                ) from None
            if self.out is not None:
                self.out.write(text.encode("utf-8"))
        elif self.out is not None:
            self.out.write(data)
        self.offset += len(data)

    def finish(self) -> None:
        if self.decoder is not None:
            try:
                self.decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                raise SourceFormatError(
                    self.display_name, "file ends inside a GBK/GB18030 character"
                ) from None
        self.close()

    def close(self) -> None:
        if self.out is not None:
            self.out.close()  # temp copies: no fsync, a crash just makes the next ingest redo it
            self.out = None


@dataclass(frozen=True)
class PieceKey:
    """Where a line's landed partition shows in its first fields: (field index, characters)
    pairs, e.g. Comtrade's refYear (4) and reporterISO (3). The fields must come before any
    field that can hold a quoted comma."""

    fields: tuple[tuple[int, int], ...]

    def of(self, line: bytes) -> bytes | None:
        last = max(f for f, _ in self.fields)
        parts = line[:512].split(b",", last + 1)
        if len(parts) <= last:
            return None  # blank or short line: no key, never a cut
        return b"|".join(parts[f].lstrip(b'"')[:n] for f, n in self.fields)


SAMPLE_LINES = 2048  # lines between two key samples (a change between them is bisected)
MAX_PIECES = 64  # beyond this the file is not ordered by partition: cut by size only
MIN_KEY_PIECE_BYTES = 4 << 20  # a key change cuts only a piece at least this big


def scan_text(
    path: Path,
    display_name: str,
    tmp_dir: Path,
    *,
    pieces: int = 1,
    key: PieceKey | None = None,
) -> TextScan:
    """Hash, count, cut and (if GBK) transcode `path` in one pass; see the module docstring."""
    size = path.stat().st_size
    if size == 0:
        raise SourceFormatError(display_name, "file is empty")
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    encoding = detect_encoding(head, display_name)
    header_line = _first_line(head, "utf-8-sig" if encoding == "utf-8-sig" else encoding)
    transcode = encoding == "gb18030"
    cutting = size >= MIN_PIECE_BYTES
    max_piece = max(-(-size // max(pieces, 1)), MIN_PIECE_BYTES)

    scan = TextScan("", size, encoding, [], header_line, 0)
    sink = _Sink(display_name, transcode)
    paths: list[Path] = []  # the file each piece is read from
    cut_lines: list[int] = [0]  # newlines before the first line of each piece

    starts_at: list[int] = []  # byte offset where each piece starts
    copies: list[Future[None]] = []

    def next_piece() -> None:
        if not transcode and len(paths) > 1:
            # the previous piece's byte range is now known: copy it while the pass goes on
            copies.append(copier.submit(_copy_range, path, paths[-1], starts_at[-1], piece_start))
        starts_at.append(piece_start)  # set just before each call (0 for piece 0)
        if transcode:
            tmp_dir.mkdir(parents=True, exist_ok=True)
            copy = tmp_dir / f"piece-{uuid.uuid4().hex}.csv"
            scan.temp_paths.append(copy)
            paths.append(copy)
            sink.open(copy)
        elif not paths:  # UTF-8 piece 0: the original, read up to a record limit
            paths.append(path)
            sink.open(None)
        else:  # UTF-8 piece 1..: copied by the kernel (os.copy_file_range), in a helper thread
            tmp_dir.mkdir(parents=True, exist_ok=True)
            copy = tmp_dir / f"piece-{uuid.uuid4().hex}.csv"
            scan.temp_paths.append(copy)
            paths.append(copy)
            sink.open(None)

    digest = hashlib.sha256()
    pending: deque[Future[None]] = deque()
    newlines = 0
    blank: list[int] = []
    last_nl = -10  # global offset of the last newline (far away: none yet)
    last_bytes = b""  # the last two bytes of the file seen so far
    carry = b""  # an incomplete last line, carried to the next block
    offset = 0  # global offset of the current block
    piece_start = 0
    prev_key: bytes | None = None
    copier = ThreadPoolExecutor(max_workers=1)
    try:
        next_piece()
        with ThreadPoolExecutor(max_workers=1) as hasher, open(path, "rb") as fh:
            while True:
                chunk = fh.read(CHUNK)
                if chunk:
                    pending.append(hasher.submit(digest.update, chunk))  # FIFO: in order
                    if len(pending) > 2:
                        pending.popleft().result()  # at most a few chunks in flight
                    last_bytes = (last_bytes + chunk)[-2:]
                    cut_at = chunk.rfind(b"\n") + 1
                    if cut_at == 0:  # no line ends here: keep accumulating
                        carry += chunk
                        continue
                    block, carry = carry + chunk[:cut_at], chunk[cut_at:]
                elif carry:
                    block, carry = carry, b""
                else:
                    break
                nl = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10)
                # blank line = two newlines with nothing, or only "\r", between them
                both = np.concatenate(([last_nl - offset], nl))
                gaps = np.diff(both)
                for i in np.flatnonzero((gaps == 1) | (gaps == 2)).tolist():
                    if gaps[i] == 2 and block[int(both[i]) + 1] != 13:
                        continue
                    blank.append(newlines + i + 1)  # the line after newline number newlines+i
                starts = np.concatenate(([0], nl[:-1] + 1)) if len(nl) else np.zeros(1, int)
                first_block = offset == 0
                key_cuts = (
                    _cuts(block, starts, key, prev_key, skip_first=first_block)
                    if cutting and key is not None and len(paths) < MAX_PIECES
                    else []
                )
                if key is not None and cutting:
                    prev_key = key.of(block[int(starts[-1]) : int(starts[-1]) + 512]) or prev_key
                global_starts = starts + offset
                pending_keys = deque(key_cuts)
                start = 0
                while cutting:
                    j = int(np.searchsorted(global_starts, piece_start + max_piece))
                    size_line = j if j < len(starts) else None
                    while pending_keys and (
                        int(starts[pending_keys[0]]) < start
                        or offset + int(starts[pending_keys[0]]) - piece_start < MIN_KEY_PIECE_BYTES
                        or len(paths) >= MAX_PIECES
                    ):
                        pending_keys.popleft()
                    next_key = pending_keys[0] if pending_keys else None
                    candidates = [c for c in (size_line, next_key) if c is not None]
                    if not candidates:
                        break
                    line = min(candidates)
                    if pending_keys and line == pending_keys[0]:
                        pending_keys.popleft()
                    cut = int(starts[line])
                    sink.write(memoryview(block)[start:cut])
                    start = cut
                    cut_lines.append(newlines + line)  # newlines before the new piece
                    piece_start = offset + cut
                    next_piece()
                sink.write(memoryview(block)[start:] if start else block)
                newlines += len(nl)
                if len(nl):
                    last_nl = offset + int(nl[-1])
                offset += len(block)
            sink.finish()
            while pending:
                pending.popleft().result()
        if not transcode and len(paths) > 1:
            copies.append(copier.submit(_copy_range, path, paths[-1], starts_at[-1], size))
        for copy in copies:
            copy.result()
    except BaseException:
        sink.close()
        copier.shutdown(wait=True)
        scan.cleanup()
        raise
    copier.shutdown()
    lines = newlines + (0 if last_bytes.endswith(b"\n") else 1)
    if last_bytes == b"\n\r":  # a final line holding only "\r" is blank too
        blank.append(lines)
    blank = sorted({b for b in blank if b > 1})
    scan.sha256 = digest.hexdigest()
    scan.header = [h.strip() for h in next(csv.reader(io.StringIO(header_line)), [])]
    scan.records = max(lines - 1 - len(blank), 0)
    scan.blank_lines = blank
    firsts = [c + 1 for c in cut_lines]  # physical line of each piece's first line
    firsts[0] = 2  # piece 0 starts after the header
    for k, piece_path in enumerate(paths):
        first = firsts[k]
        last = firsts[k + 1] - 1 if k + 1 < len(firsts) else lines
        in_piece = tuple(b for b in blank if first <= b <= last)
        records = max(last - first + 1 - len(in_piece), 0)
        if k == 0:
            limit = records if (len(paths) > 1 and not transcode) else None
            scan.pieces.append(Piece(piece_path, 1, limit, 1, records, in_piece))
        else:
            scan.pieces.append(Piece(piece_path, 0, None, first - 1, records, in_piece))
    return scan


def _copy_range(source: Path, target: Path, start: int, end: int) -> None:
    """Copy bytes [start, end) of `source` into a new file `target`, kernel-side."""
    with open(source, "rb") as src, open(target, "wb") as dst:
        offset, remaining = start, end - start
        if not hasattr(os, "copy_file_range"):  # not Linux: copy through user space
            src.seek(start)
            while remaining > 0 and (block := src.read(min(CHUNK, remaining))):
                dst.write(block)
                remaining -= len(block)
            return
        while remaining > 0:
            done = os.copy_file_range(src.fileno(), dst.fileno(), remaining, offset)
            if done == 0:
                raise OSError(f"short copy of {source} at byte {offset}")
            offset, remaining = offset + done, remaining - done


def _cuts(
    block: bytes, starts: np.ndarray, key: PieceKey, prev: bytes | None, *, skip_first: bool
) -> list[int]:
    """Line indexes (into `starts`) where the partition key changes, found by sampling every
    SAMPLE_LINES-th line and bisecting between two samples that differ (assumes runs)."""
    first = 1 if skip_first else 0  # the header line has no key
    if len(starts) <= first:
        return []

    def key_at(i: int) -> bytes | None:
        return key.of(block[int(starts[i]) : int(starts[i]) + 512])

    samples = list(range(first, len(starts), SAMPLE_LINES))
    if samples[-1] != len(starts) - 1:
        samples.append(len(starts) - 1)
    out = []
    lo, lo_key = first - 1, prev
    for i in samples:
        k = key_at(i)
        if k is None:
            continue
        if lo_key is not None and k != lo_key:
            a, b = lo, i  # key(a) == lo_key, key(b) != lo_key: find the first change
            while b - a > 1:
                mid = (a + b) // 2
                km = key_at(mid)
                if km is None or km == lo_key:
                    a = mid
                else:
                    b = mid
            out.append(b)
        lo, lo_key = i, k
    return out
