"""Files → grids of text cells: .xlsx (python-calamine, openpyxl as fallback), .xls, CSV.

:func:`read_raw` returns every sheet of a workbook (or the one grid of a CSV file) as a
:class:`Sheet`: text cells indexed by the row number Excel shows, merged ranges, formulas without
a saved value and the date origin. A file that cannot be read raises
:class:`~pufa_metrics.io.problems.LedgerError` with a specific message (empty, truncated,
password protected, a web page or an image named .xls, an unclosed quote …).

Hostile files are refused before they are parsed (:class:`~pufa_metrics.config.Limits`,
``pufa.toml`` ``[limits]``): a file too large on disk, a workbook whose parts inflate past a limit
or at a ZIP bomb's ratio (or more than its ZIP directory declares), too many parts or sheets, a
sheet whose cell references span too many columns or cells, a CSV line too long. The message
names the file, the limit and where to change it.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io as _stdio
import os
import re
import struct
import sys
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import config as _config
from ..config import Limits
from .cells import EXCEL_ORIGIN, EXCEL_ORIGIN_1904, col_letter
from .problems import LedgerError

#: Patterns given to pandas as text (not compiled) run in pyarrow (RE2) on whole columns: they
#: avoid \s and \d, whose RE2 meaning differs, so pandas need not fall back to Python's re.
_INT_FLOAT = r"^(-?[0-9]+)\.0+$"


@dataclass
class Sheet:
    """One sheet as text cells, with its merged ranges, formulas without a value, date origin."""

    name: str | None
    grid: pd.DataFrame  # str cells (NaN = empty); index = 1-based row numbers; columns 0..m-1
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # r0, c0, r1, c1
    formulas: pd.DataFrame | None = None  # formula text where no cached value exists
    origin: pd.Timestamp = EXCEL_ORIGIN


def _to_grid(rows: list, index: Iterable[int] | None = None) -> pd.DataFrame:
    """Python cell values → a frame of stripped text cells (NaN for empty).

    Rows may have different lengths (they are padded); an empty list gives one empty cell.
    """
    if not len(rows):
        rows = [[None]]
    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    width = max(int(lengths.max()), 1)
    if (lengths < width).any():  # ragged rows (CSV lines, streamed sheets): pad them
        pad = (None,) * width
        rows = [r if len(r) == width else (*r, *pad[len(r):]) for r in rows]
    frame = pd.DataFrame(rows, dtype=object)
    if frame.shape[1] == 0:
        frame = pd.DataFrame({0: [None] * len(frame)}, dtype=object)
    if index is not None and len(rows):
        frame.index = pd.Index(list(index), dtype="int64")
    else:
        frame.index = pd.RangeIndex(1, len(frame) + 1)
    frame.columns = range(frame.shape[1])
    if frame.shape[1] > WIDE:  # a wide sheet: the text work on one flat array of cells
        arr = frame.to_numpy(dtype=object)
        present = ~pd.isna(arr)
        cells = pd.Series(arr[present], dtype=object).astype("str").str.strip()
        cells = cells.str.replace(_INT_FLOAT, r"\1", regex=True)
        flat = np.full(arr.shape, None, dtype=object)
        flat[present] = cells.where(cells != "").to_numpy(dtype=object, na_value=None)
        return pd.DataFrame(flat, index=frame.index, columns=frame.columns).astype("str")
    empty = pd.Series(np.nan, index=frame.index, dtype="str")
    filled = frame.notna().to_numpy().any(axis=0)
    out = {}
    for j in frame.columns:  # loop over columns (empty ones cost nothing)
        if not filled[j]:
            out[j] = empty
            continue
        col = frame[j].astype("str").str.strip()
        col = col.str.replace(_INT_FLOAT, r"\1", regex=True)
        out[j] = col.where(col != "")
    return pd.DataFrame(out, index=frame.index, columns=frame.columns)


def _magic(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(8)

#: Files above this many rows get a progress bar (when stderr is a terminal or it is forced).
_PROGRESS_MIN_ROWS = 50_000


def _progress_on(progress: bool | None) -> bool:
    """Whether a progress bar may be shown: the argument, else ``PUFA_PROGRESS``, else a TTY."""
    if progress is not None:
        return bool(progress)
    env = os.environ.get("PUFA_PROGRESS", "").strip().lower()
    if env in ("0", "false", "no", "off"):
        return False
    if env in ("1", "true", "yes", "on"):
        return True
    return sys.stderr.isatty()


class Progress:
    """A tqdm bar on stderr for a large file, or a no-op (small file, not a terminal, off)."""

    def __init__(self, total: int | None, desc: str, progress: bool | None,
                 unit: str = "rows", size: int | None = None) -> None:
        self.bar = None
        size = total if size is None else size
        if size is not None and size >= _PROGRESS_MIN_ROWS and _progress_on(progress):
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, leave=False,
                            dynamic_ncols=True, mininterval=0.5, unit_scale=unit == "rows")

    def update(self, n: int) -> None:
        """Advance the bar by ``n``."""
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        """Close the bar (idempotent)."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None


# -- limits: hostile files refused before parsing ---------------------------------------------

#: The limits :func:`read_raw` applies when it is given none. ``None`` (the default) means those
#: of the project's ``pufa.toml`` ``[limits]``, read when first needed and again when the file
#: changes. A program that loaded other settings may set it (``workbook.LIMITS = s.limits``), or
#: pass ``limits=`` to :func:`read_raw`.
LIMITS: Limits | None = None

_project_limits: tuple[tuple[str, int | None], Limits] | None = None  # (pufa.toml, mtime): limits

#: Deflate inflates at most 1032 bytes per compressed byte: a part can hold more than its ZIP
#: directory declares only up to this ratio of its compressed size.
_DEFLATE_MAX_RATIO = 1032

_MB = 1_000_000
#: Bytes read, or inflated, at a time by the size checks: a refused file is read at most this
#: far past the limit that refuses it.
CHUNK = 1 << 22


def default_limits() -> Limits:
    """The limits :func:`read_raw` applies when given none: :data:`LIMITS`, else ``pufa.toml``'s.

    The project's ``pufa.toml`` (:data:`pufa_metrics.config.SETTINGS_FILE`) is read once, and
    again when it changes; a missing file gives the defaults of
    :class:`~pufa_metrics.config.Limits`.

    Returns
    -------
    Limits
        The limits in force.

    Raises
    ------
    ValueError
        When ``pufa.toml`` is not valid (the message names the file, section and key).

    Examples
    --------
    >>> default_limits().max_sheets >= 1
    True
    """
    global _project_limits
    if LIMITS is not None:
        return LIMITS
    path = Path(_config.SETTINGS_FILE)
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = None
    key = (str(path), stamp)
    if _project_limits is None or _project_limits[0] != key:
        _project_limits = (key, _config.Settings.load(path).limits)
    return _project_limits[1]


def _resolve_limits(limits: Limits | None) -> Limits:
    """``limits`` checked, or :func:`default_limits` when it is None."""
    if limits is None:
        return default_limits()
    if not isinstance(limits, Limits):
        raise TypeError(f"'limits' should be a pufa_metrics.config.Limits (or None), got "
                        f"{type(limits).__name__}（limits 应为 Limits 对象）")
    return limits


def _mb(size: float) -> str:
    """A byte count in MB for a message: ``838.9``, ``0.05``."""
    mb = size / _MB
    return f"{mb:,.1f}" if mb >= 1 else f"{mb:.2g}"


def _over(name: str, limits: Limits, key: str, zh: str, en: str) -> LedgerError:
    """The error for a file past the limit ``key``: what was found, the limit, where to change it.

    ``zh``/``en`` say what was found (e.g. "the file is 812.0 MB"); numbers are written with
    thousands separators, so that no run of digits reads as a phone number and gets masked.
    """
    value = getattr(limits, key)
    shown = f"{value:,}" if isinstance(value, int) else f"{value:,g}"
    shown += " MB" if key.endswith("_mb") else (":1" if key == "max_compression_ratio" else "")
    return LedgerError(
        name,
        f"{zh}，超过上限 {shown}（pufa.toml [limits] {key}），因此未读取；文件可能已损坏，"
        f"或是恶意构造的（如压缩炸弹）。若确为正常台账，请拆分后再放入文件夹，或在 pufa.toml 的 "
        f"[limits] 中调高 {key}",
        f"{en}, more than the limit of {shown} (pufa.toml [limits] {key}), so it was not read; "
        f"the file may be damaged or crafted (a ZIP bomb, say). If it is a genuine ledger, split "
        f"it, or raise {key} in the [limits] section of pufa.toml",
    )


def _check_zip_directory(path: Path, name: str, limits: Limits) -> None:
    """Refuse a workbook whose ZIP directory lists too many parts, before any ZIP reader reads it.

    Reading the directory of a ZIP of millions of empty members takes minutes and gigabytes;
    its end record says how many members it has and how large it is (each entry takes 46
    bytes and its name: 1 KB an entry is allowed). A file without an end record is left to the
    ZIP reader, which says it is damaged.
    """
    with path.open("rb") as fh:
        end = fh.seek(0, os.SEEK_END)
        fh.seek(max(0, end - (22 + 65535 + 20)))  # the end record, its comment, a ZIP64 locator
        tail = fh.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < 22:
            return
        count, size = struct.unpack_from("<HI", tail, at + 10)
        if (count == 0xFFFF or size == 0xFFFFFFFF) and tail[at - 20:at - 16] == b"PK\x06\x07":
            (offset,) = struct.unpack_from("<Q", tail, at - 12)
            fh.seek(offset)
            record = fh.read(56)
            if len(record) == 56 and record[:4] == b"PK\x06\x06":
                count, size = struct.unpack_from("<QQ", record, 32)
    if count > limits.max_parts or size > 1024 * limits.max_parts:
        raise _over(name, limits, "max_parts",
                    f"工作簿的 ZIP 目录列出 {count:,} 个部件（目录 {_mb(size)} MB）",
                    f"the workbook's ZIP directory lists {count:,} parts ({_mb(size)} MB of "
                    "directory)")


def _inflates_within(fh: Any, info: zipfile.ZipInfo) -> bool:
    """Whether a deflated ZIP member inflates to no more than the size its directory declares.

    Inflated a few MB at a time (constant memory), and stopped as soon as it passes the declared
    size. A member whose data cannot be found or inflated counts as within: the ZIP reader
    reports that damage.
    """
    fh.seek(info.header_offset)
    head = fh.read(30)
    if len(head) < 30 or head[:4] != b"PK\x03\x04":
        return True
    name_len, extra_len = struct.unpack_from("<HH", head, 26)
    fh.seek(info.header_offset + 30 + name_len + extra_len)
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    left, produced = info.compress_size, 0
    try:
        while left > 0 and not inflater.eof:  # chunks of compressed data
            data = fh.read(min(left, CHUNK))
            if not data:
                break
            left -= len(data)
            while True:  # bounded steps of output
                out = inflater.decompress(data, CHUNK)
                produced += len(out)
                if produced > info.file_size:
                    return False
                data = inflater.unconsumed_tail
                if inflater.eof or (not data and len(out) < CHUNK):
                    break
    except zlib.error:
        return True
    return True


def _check_zip_parts(path: Path, zf: zipfile.ZipFile, name: str, limits: Limits) -> None:
    """Refuse a workbook past the limits, from its ZIP directory, before any part is parsed.

    The declared sizes of its parts: all together (``max_uncompressed_mb``), each part of 1 MB
    or more against its compressed size (``max_compression_ratio``). When the compressed parts
    could inflate past the limit whatever they declare (more than 1/1032 of it), each is
    inflated once, without keeping the output, to check that it holds no more than declared:
    Python's ZIP reader stops at the declared size, but calamine's does not. Parts compressed
    otherwise than Excel does (stored or deflated) are refused, as their ratio has no bound.
    Then the sheets listed by ``workbook.xml`` (``max_sheets``).
    """
    infos = zf.infolist()
    if len(infos) > limits.max_parts:
        raise _over(name, limits, "max_parts", f"工作簿有 {len(infos):,} 个部件（ZIP 成员）",
                    f"the workbook has {len(infos):,} parts (ZIP members)")
    odd = next((i for i in infos if i.compress_type not in (zipfile.ZIP_STORED,
                                                            zipfile.ZIP_DEFLATED)), None)
    if odd is not None:
        raise LedgerError(
            name,
            f"工作簿的部件 {odd.filename} 使用了 Excel 不用的压缩方式（{odd.compress_type}）；"
            "请在 Excel 中打开后另存为 .xlsx",
            f"the part {odd.filename} is compressed with a method Excel does not use "
            f"({odd.compress_type}); open the file in Excel and save it as .xlsx",
        )
    total = sum(i.file_size for i in infos)
    if total / _MB > limits.max_uncompressed_mb:
        big = max(infos, key=lambda i: i.file_size)
        raise _over(name, limits, "max_uncompressed_mb",
                    f"工作簿解压后共 {_mb(total)} MB（其中 {big.filename} "
                    f"{_mb(big.file_size)} MB）",
                    f"the workbook's parts inflate to {_mb(total)} MB ({big.filename}: "
                    f"{_mb(big.file_size)} MB)")
    for info in infos:  # a handful of parts
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size >= _MB and ratio > limits.max_compression_ratio:
            raise _over(name, limits, "max_compression_ratio",
                        f"工作簿的部件 {info.filename} 由 {_mb(info.compress_size)} MB 解压为 "
                        f"{_mb(info.file_size)} MB，压缩比 {ratio:,.0f}:1",
                        f"the part {info.filename} inflates from {_mb(info.compress_size)} MB "
                        f"to {_mb(info.file_size)} MB, a ratio of {ratio:,.0f}:1")
    deflated = [i for i in infos if i.compress_type == zipfile.ZIP_DEFLATED]
    most = sum(i.compress_size for i in deflated) * _DEFLATE_MAX_RATIO  # whatever is declared
    if most > limits.max_uncompressed_mb * _MB:
        with path.open("rb") as fh:
            for info in deflated:  # a handful of parts
                if not _inflates_within(fh, info):
                    raise LedgerError(
                        name,
                        f"工作簿的部件 {info.filename} 解压后超过其声明的大小"
                        f"（{_mb(info.file_size)} MB）：文件已损坏，或是恶意构造的（压缩炸弹），"
                        "因此未读取；请从原件重新复制，或在 Excel 中打开后另存",
                        f"the part {info.filename} inflates to more than the size it declares "
                        f"({_mb(info.file_size)} MB): the file is damaged or crafted (a ZIP "
                        "bomb), so it was not read; copy it again from the original, or open it "
                        "in Excel and save it again",
                    )
    names = set(zf.namelist())
    book = "xl/workbook.xml" if "xl/workbook.xml" in names else next(
        (n for n in sorted(names) if n.endswith("workbook.xml")), None)
    try:
        sheets = len(re.findall(rb"<(?:\w+:)?sheet\b", zf.read(book))) if book else 0
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error):
        return  # the readers say the file is damaged
    if sheets > limits.max_sheets:
        raise _over(name, limits, "max_sheets", f"工作簿有 {sheets:,} 个工作表",
                    f"the workbook has {sheets:,} sheets")


def _number_above(n: int) -> bytes:
    """A regex for decimal numbers greater than ``n`` (leading zeros allowed)."""
    digits = str(n)
    alts = [f"[1-9][0-9]{{{len(digits)},}}"]
    for i, ch in enumerate(digits):  # at most a few digits
        if ch != "9":
            alts.append(f"{digits[:i]}[{int(ch) + 1}-9][0-9]{{{len(digits) - i - 1}}}")
    return f"0*(?:{'|'.join(alts)})".encode()


def _check_extent(data: bytes, name: str, title: str, limits: Limits) -> None:
    """Refuse a sheet whose cell references span more columns, or cells, than the limits allow.

    The readers build a grid from A1 to the last row and the rightmost cell: a single cell at
    ``XFD1048576`` makes 17 billion cells (calamine aborts the process asking for 512 GB). The
    extent comes from the references (``r="…"``) of the sheet XML, before any reader parses it:
    two quick scans of the XML for a typical ledger (at most 26 columns, rows fewer than the
    next power of ten of the last row's number), two more when it is wider or longer. Cells and
    rows without a reference are numbered by the readers; calamine does not read such a sheet
    (:func:`_unplaced_cells`) and openpyxl's rows are checked before the grid is built
    (:func:`_check_grid`).
    """
    at = data.rfind(b'row r="')
    found = re.match(rb'row r="([0-9]{1,12})"', data[at:at + 24]) if at >= 0 else None
    last = int(found.group(1)) if found else 0
    digits = len(str(last))
    if (26 <= limits.max_columns and 26 * (10**digits - 1) <= limits.max_cells
            and not re.search(rb' r="[A-Z]{2}', data)  # two scans: faster than one alternation
            and not re.search(rb' r="[A-Z]*[0-9]{%d}' % (digits + 1), data)):
        return  # at most 26 columns and 10**digits - 1 rows
    height = last
    if re.search(rb' r="[A-Z]*' + _number_above(last) + rb'"', data):  # a row past the last
        height = max(int(v) for v in re.findall(rb' r="[A-Z]*([0-9]+)"', data))
    width_ok = min(limits.max_columns, limits.max_cells // max(height, 1))
    pattern = after_column(width_ok - 1) if width_ok > 0 else rb"[A-Z]+"
    if width_ok > 0 and len(col_letter(width_ok - 1)) <= 3:
        pattern = b"(?:" + pattern + rb"|[A-Z]{4,})"
    if not re.search(rb' r="' + pattern + rb"[0-9]", data):
        return
    width = max(_col_index(c) + 1 for c in set(re.findall(rb' r="(' + pattern + rb")[0-9]", data)))
    _refuse_extent(name, title, height, width, limits)


def _refuse_extent(name: str, title: str | None, height: int, width: int,
                   limits: Limits) -> None:
    """Raise for a grid of ``height`` × ``width`` past ``max_columns`` or ``max_cells``."""
    where = (f"工作表“{title}”", f"sheet '{title}'") if title is not None else ("文件", "the file")
    if width > limits.max_columns:
        raise _over(name, limits, "max_columns", f"{where[0]}有 {width:,} 列",
                    f"{where[1]} has {width:,} columns")
    if height * width > limits.max_cells:
        raise _over(name, limits, "max_cells",
                    f"{where[0]}的表格为 {height:,} 行 × {width:,} 列 = {height * width:,} 个单元格"
                    "（含空单元格）",
                    f"{where[1]} spans {height:,} rows × {width:,} columns = "
                    f"{height * width:,} cells (empty ones included)")


def _check_grid(rows: list, name: str, title: str | None, limits: Limits) -> None:
    """Refuse rows (as a reader gave them) whose padded grid would pass the limits."""
    width = max(map(len, rows), default=0)
    _refuse_extent(name, title, len(rows), max(width, 1 if rows else 0), limits)


def _unplaced_cells(data: bytes) -> str | None:
    """Why calamine must not read a worksheet XML whose cells it would place itself, or None.

    A cell or row without a leading ``r=""`` reference is numbered by the reader: its extent
    cannot be checked beforehand (:func:`_check_extent`), so openpyxl reads the sheet (its rows
    are checked before the grid is built), as it did anyway.
    """
    head = re.match(rb"(?:<\?[^>]*\?>)?\s*<(\w+:)?worksheet\b", data)
    if head is None:
        return "no <worksheet> root"
    ep = re.escape(head.group(1) or b"")
    if (re.search(rb"<" + ep + rb"c(?:[>/\t\r\n]| (?!r=\"))", data)  # two scans: faster
            or re.search(rb"<" + ep + rb"row(?:[>/\t\r\n]| (?!r=\"))", data)):
        return "a cell or row without a leading r= attribute"
    return None



def read_raw(path: Path, name: str, *, progress: bool | None = None,
             limits: Limits | None = None) -> list[Sheet]:
    """Every sheet of a workbook, or the one grid of a CSV file.

    Parameters
    ----------
    path : Path
        The file: .xlsx/.xlsm (by content, whatever its name), .xls, or CSV/TSV/TXT text.
    name : str
        The file's name as messages show it.
    progress : bool, optional
        Show a progress bar for a large file (default: when stderr is a terminal).
    limits : Limits, optional
        Sizes past which the file is refused before it is parsed (``pufa.toml`` ``[limits]``,
        see :class:`~pufa_metrics.config.Limits`). Default :func:`default_limits`: the
        module's :data:`LIMITS` when set, else the project's ``pufa.toml``.

    Returns
    -------
    list of Sheet
        One per worksheet, in the workbook's order (one for a CSV file).

    Raises
    ------
    LedgerError
        With a specific message for a file that is empty, a ZIP archive that is not a workbook,
        a password-protected or damaged workbook, an HTML page saved as .xls, neither a
        spreadsheet nor text; or past a limit (checked before parsing: the file's size; an
        .xlsx's parts, inflated size, compression ratio and sheets; an .xls's sheets; the
        columns and cells a sheet's references span; a CSV's longest line, columns and cells).
    """
    limits = _resolve_limits(limits)
    size = path.stat().st_size
    if size == 0:
        raise LedgerError(name, "文件是空的（0 字节）；请重新导出或复制该文件",
                          "the file is empty (0 bytes); export or copy it again")
    if size / _MB > limits.max_file_mb:
        raise _over(name, limits, "max_file_mb", f"文件大小为 {_mb(size)} MB",
                    f"the file is {_mb(size)} MB")
    magic = _magic(path)
    suffix = path.suffix.lower()
    if magic.startswith(b"PK\x03\x04"):
        return _read_xlsx(path, name, progress=progress, limits=limits)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        return _read_xls(path, name, encrypted_xlsx=suffix in (".xlsx", ".xlsm"), limits=limits)
    if suffix in (".csv", ".tsv", ".txt"):
        return [_read_csv(path, name, progress=progress, limits=limits)]
    head = path.read_bytes()[:512].lstrip().lower()
    if head.startswith((b"<html", b"<!doctype", b"<table", b"<?xml", b"<meta")):
        raise LedgerError(
            name,
            "这是网页（HTML）格式，只是扩展名为 .xls；请用 Excel 打开并另存为 .xlsx",
            "this is a web page (HTML) saved with an Excel extension; open it in Excel and "
            "save it as .xlsx",
        )
    if head.startswith(b"%pdf"):
        kind = ("这是 PDF 文件", "this is a PDF file")
    elif head[:2] in (b"\xff\xd8", b"\x89p") or head.startswith((b"gif8", b"bm")):
        kind = ("这是图片文件", "this is an image")
    else:
        kind = ("不是 Excel 文件（.xlsx/.xls），也不是 CSV",
                "not an Excel workbook (.xlsx/.xls) or a CSV file")
    raise LedgerError(
        name,
        f"{kind[0]}，只是扩展名为 {suffix or '（无）'}；请用 Excel 打开原台账并另存为 .xlsx",
        f"{kind[1]}, named {suffix or '(no extension)'}; open the original ledger in Excel and "
        "save it as .xlsx",
    )

_FORMULA = re.compile(rb"<(?:\w+:)?f[ >/]")

_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\s[^>]*?ref=\"([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?\"")


def _col_index(letters: bytes) -> int:
    """0-based column of an Excel column name (A → 0, AA → 26)."""
    j = 0
    for ch in letters:  # at most three letters
        j = j * 26 + (ch - 64)
    return j - 1


def _xlsx_sheet_info_bytes(data: bytes) -> tuple[bool, list]:
    """Whether worksheet XML (or its part after the cells) holds formulas; its merged ranges."""
    merges = []
    for a, r0, b, r1 in _MERGE.findall(data):  # merged ranges (few)
        c0 = _col_index(a)
        merges.append((int(r0), c0, int(r1 or r0), _col_index(b) if b else c0))
    return bool(_FORMULA.search(data)), merges


def _check_workbook_zip(path: Path, name: str) -> zipfile.ZipFile:
    """Open the ZIP of an .xlsx; a ZIP that is no workbook gets a specific message."""
    try:
        zf = zipfile.ZipFile(path)
        names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise LedgerError(
            name,
            "文件已损坏或不完整（可能没有下载或复制完整）；"
            "请从原件重新复制，或在 Excel 中打开后另存",
            f"the file is damaged or truncated ({type(exc).__name__}: {exc}); copy it again "
            "from the original, or open it in Excel and save it again",
        ) from exc
    if "xl/workbook.xml" not in names and not any(n.endswith("workbook.xml") for n in names):
        zf.close()
        other = ("Word 文档", "a Word document") if "word/document.xml" in names else (
            ("WPS/OpenDocument 文件", "an OpenDocument (.ods/.odt) file")
            if "content.xml" in names else ("ZIP 压缩包", "a ZIP archive"))
        raise LedgerError(
            name,
            f"这是{other[0]}，不是 Excel 工作簿；请解压或用 Excel 另存为 .xlsx 后放入文件夹",
            f"this is {other[1]}, not an Excel workbook; unzip it, or save it from Excel as "
            ".xlsx, and put the ledger in the folder",
        )
    return zf


def _read_xlsx(path: Path, name: str, *, progress: bool | None = None,
               limits: Limits | None = None) -> list[Sheet]:
    """Every worksheet of an .xlsx as text grids, read by python-calamine or else by openpyxl.

    python-calamine (Rust) reads a large ledger several times faster than openpyxl (200,000
    rows: about 5 s instead of 15–28 s; see benchmarks/README.md) and gives the same grid:
    cells are converted to what openpyxl returns (dates as datetimes, error values, Excel's row
    and column numbers, trailing empty rows and columns). A workbook calamine might read
    differently (see :func:`calamine_sheets`), or that makes it fail, is read by openpyxl,
    which also gives the clear message for a damaged file.

    The limits are checked first: the ZIP directory (:func:`_check_zip_directory`,
    :func:`_check_zip_parts`), then each sheet's extent before a reader parses it.
    """
    limits = _resolve_limits(limits)
    _check_zip_directory(path, name, limits)
    zf = _check_workbook_zip(path, name)
    try:
        _check_zip_parts(path, zf, name, limits)
        sheets = None
        if xlsx_engine() == "calamine":
            sheets, _why = calamine_sheets(path, zf, name, progress, limits)
        if sheets is None:
            sheets = _openpyxl_sheets(path, zf, name, progress, limits)
    finally:
        zf.close()
    if not sheets:
        raise LedgerError(name, "工作簿中没有工作表", "the workbook has no worksheet")
    return sheets


def _formula_cells(grid: pd.DataFrame, fgrid: pd.DataFrame) -> pd.DataFrame | None:
    """The formula text (from a formula-reading pass) of cells with a formula but no value."""
    fgrid = fgrid.reindex(index=grid.index, columns=grid.columns)
    text = fgrid.astype("str")
    is_formula = text.apply(  # column-wise
        lambda c: c.str.startswith("=") | c.str.contains("Formula object", regex=False)
    ).fillna(False).astype(bool)
    missing = is_formula & grid.isna()
    return fgrid.where(missing) if missing.to_numpy().any() else None


def _openpyxl_sheets(path: Path, zf: zipfile.ZipFile, name: str,
                     progress: bool | None, limits: Limits | None = None) -> list[Sheet]:
    """Every worksheet, streamed by openpyxl in read-only mode (constant memory per row).

    The sheet's own size claim (``<dimension>``) is ignored, so rows beyond a wrong claim are
    still read; merged ranges and formulas come from the sheet XML. Each sheet's extent is
    checked against ``limits`` before it is streamed (:func:`_check_extent`) and its rows
    before the grid is built (:func:`_check_grid`).
    """
    limits = _resolve_limits(limits)
    import openpyxl

    damaged = (
        "文件已损坏或不完整（可能没有下载或复制完整）；请从原件重新复制，或在 Excel 中打开后另存",
        "the file is damaged or truncated; copy it again from the original, or open it in Excel "
        "and save it again",
    )
    wb = wbf = None
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        members = {ws.title: str(getattr(ws, "_worksheet_path", "")).lstrip("/")
                   for ws in wb.worksheets}
        info = {}
        for title, member in members.items():  # loop over sheets (few)
            if member not in zf.namelist():
                info[title] = (False, [])
                continue
            data = zf.read(member)
            _check_extent(data, name, title, limits)
            info[title] = _xlsx_sheet_info_bytes(data)
            del data
        if any(has for has, _ in info.values()):
            wbf = openpyxl.load_workbook(path, read_only=True, data_only=False)
        origin = EXCEL_ORIGIN_1904 if getattr(wb, "epoch", None) and wb.epoch.year == 1904 else (
            EXCEL_ORIGIN
        )
        sheets = []
        for ws in wb.worksheets:  # loop over sheets (few)
            has_formulas, merges = info[ws.title]
            rows = _sheet_rows(ws, name, progress)
            _check_grid(rows, name, ws.title, limits)
            grid = _to_grid(rows)
            del rows
            formulas = None
            if wbf is not None and has_formulas:
                formulas = _formula_cells(grid, _to_grid(_sheet_rows(wbf[ws.title], name, False)))
            sheets.append(Sheet(ws.title, grid, merges, formulas, origin))
    except LedgerError:
        raise
    except Exception as exc:  # openpyxl raises many kinds on damaged files, even while streaming
        raise LedgerError(name, damaged[0], f"{damaged[1]} ({type(exc).__name__}: {exc})") from exc
    finally:
        for book in (wb, wbf):
            if book is not None:
                book.close()
    return sheets


def _sheet_rows(ws: Any, name: str, progress: bool | None) -> list:
    """All rows of a read-only worksheet as tuples of values, from row 1, with a progress bar."""
    claimed = ws.max_row
    ws.reset_dimensions()  # a wrong <dimension> claim must not cut the data short
    bar = Progress(claimed, f"{name} [{ws.title}]", progress)
    rows = []
    try:
        for k, row in enumerate(ws.iter_rows(values_only=True), start=1):  # streamed rows
            rows.append(row)
            if k % 10000 == 0:
                bar.update(10000)
    finally:
        bar.close()
    return rows

#: Which library reads the cells of an .xlsx: ``"calamine"`` or ``"openpyxl"``. ``None`` (the
#: default) means the ``PUFA_XLSX_ENGINE`` environment variable when it says ``openpyxl``, else
#: calamine when python-calamine is installed. A module setting (not in ``pufa.toml``): tests
#: and benchmarks set it to compare the two readers.
XLSX_ENGINE: str | None = None

#: Largest Excel date serial Python can hold (9999-12-31); beyond it openpyxl gives ``#VALUE!``.
_EXCEL_SERIAL_MAX = 2958465

_XML_ESCAPE = re.compile(rb"_x[0-9A-Fa-f]{4}_")


def xlsx_engine() -> str:
    """The engine that reads .xlsx cells now.

    Returns
    -------
    str
        ``"openpyxl"`` when :data:`XLSX_ENGINE` (or, when it is None, the ``PUFA_XLSX_ENGINE``
        environment variable) says so or python-calamine is not installed, else
        ``"calamine"``.

    Examples
    --------
    >>> xlsx_engine() in ("calamine", "openpyxl")
    True
    """
    choice = XLSX_ENGINE or os.environ.get("PUFA_XLSX_ENGINE", "")
    if choice.strip().lower() == "openpyxl":
        return "openpyxl"
    try:
        import python_calamine  # noqa: F401
    except ImportError:
        return "openpyxl"
    return "calamine"


def calamine_format_kind(code: str) -> str:
    """``date``, ``timedelta`` or ``other``: how calamine reads numbers shown with ``code``.

    A port of calamine's ``detect_custom_number_format`` (calamine 0.37), so that a format on
    which calamine and openpyxl disagree (:func:`openpyxl_format_kind`) can be found before
    reading: such files are read by openpyxl.

    Parameters
    ----------
    code : str
        An Excel number format, e.g. ``"yyyy-mm-dd"``.

    Returns
    -------
    str
        ``"date"``, ``"timedelta"`` or ``"other"`` (a plain number).

    Examples
    --------
    >>> [calamine_format_kind(c) for c in ("yyyy-mm-dd", "[h]:mm", "0.00", "0*d")]
    ['date', 'timedelta', 'other', 'other']
    """
    escaped = quoted = hms = ap = False
    brackets = 0
    prev = " "
    for s in code:  # the characters of one number format (short)
        if escaped:
            escaped = False
        elif s in "_\\*":
            escaped = True
        elif quoted:
            quoted = s != '"'
        elif s == '"':
            quoted = True
        elif s == ";":
            return "other"
        elif s == "[":
            brackets += 1
        elif s == "]" and brackets == 1 and hms:
            return "timedelta"
        elif s == "]":
            brackets = max(brackets - 1, 0)
        elif s in "aA" and not ap and brackets == 0:
            ap = True
        elif (s in "pm/PM" and ap or s in "dmhysDMHYS" and not ap) and brackets == 0:
            return "date"
        elif not (hms and s.lower() == prev.lower()):
            hms = prev == "[" and s in "mhsMHS"
        prev = s
    return "other"


def openpyxl_format_kind(code: str | None) -> str:
    """``date``, ``timedelta`` or ``other``: how openpyxl reads numbers shown with ``code``.

    Parameters
    ----------
    code : str or None
        An Excel number format (None: the General format).

    Returns
    -------
    str
        ``"date"``, ``"timedelta"`` or ``"other"``.

    Examples
    --------
    >>> [openpyxl_format_kind(c) for c in ("yyyy-mm-dd", "[h]:mm", "0.00", "0*d")]
    ['date', 'timedelta', 'other', 'date']
    """
    from openpyxl.styles.numbers import is_date_format, is_timedelta_format

    if not is_date_format(code):
        return "other"
    return "timedelta" if is_timedelta_format(code) else "date"


def _xlsx_styles(zf: zipfile.ZipFile) -> tuple[bool, list[int]]:
    """Whether calamine and openpyxl read every cell style alike; the styles showing dates.

    The styles are positions in ``cellXfs`` (a cell's ``s``) whose number format openpyxl (and
    calamine) read as a date, time or duration.
    """
    import xml.etree.ElementTree as ET

    from openpyxl.styles.numbers import BUILTIN_FORMATS

    if "xl/styles.xml" not in zf.namelist():
        return True, False
    root = ET.fromstring(zf.read("xl/styles.xml"))
    custom = {f.get("numFmtId"): f.get("formatCode") or ""
              for f in root.iterfind("{*}numFmts/{*}numFmt")}
    agree, dated = True, set()
    xfs = [xf.get("numFmtId", "0") for xf in root.iterfind("{*}cellXfs/{*}xf")]
    for fid in set(xfs):  # distinct number formats in use (a handful)
        if fid in custom:
            ours, theirs = openpyxl_format_kind(custom[fid]), calamine_format_kind(custom[fid])
        else:
            number = int(fid) if fid.isdigit() else -1
            ours = openpyxl_format_kind(BUILTIN_FORMATS.get(number))
            theirs = ("date" if 14 <= number <= 22 or number in (45, 47)
                      else "timedelta" if number == 46 else "other")
        agree &= ours == theirs
        if ours != "other":
            dated.add(fid)
    return agree, [i for i, fid in enumerate(xfs) if fid in dated]


def after_column(j: int) -> bytes:
    """A regex for Excel column letters right of 0-based column ``j`` (any column for -1).

    Parameters
    ----------
    j : int
        0-based column (``10`` is K), or -1.

    Returns
    -------
    bytes
        A regular expression matching the letters of every column right of ``j``, up to XFD.

    Examples
    --------
    >>> import re
    >>> [c for c in (b"K", b"L", b"AA") if re.fullmatch(after_column(10), c)]
    [b'L', b'AA']
    """
    if j < 0:
        return rb"[A-Z]{1,3}"
    name = col_letter(j)
    alts = [f"{name[:i]}[{chr(ord(ch) + 1)}-Z]{'[A-Z]' * (len(name) - i - 1)}"
            for i, ch in enumerate(name) if ch != "Z"]  # at most three letters
    if len(name) < 3:
        alts.append(f"[A-Z]{{{len(name) + 1},3}}")
    return f"(?:{'|'.join(alts)})".encode() if alts else rb"(?!)"


def cell_positions(letters: list[bytes], numbers: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """0-based (rows, columns) of cell references split into letters (``b"AB"``) and row.

    Parameters
    ----------
    letters, numbers : list of bytes
        Column letters and row numbers of the references, e.g. ``[b"AB"]`` and ``[b"12"]``.

    Returns
    -------
    rows, columns : numpy.ndarray
        int64, 0-based.

    Examples
    --------
    >>> rows, cols = cell_positions([b"A", b"AB"], [b"1", b"12"])
    >>> rows.tolist(), cols.tolist()
    ([0, 11], [0, 27])
    """
    if not letters:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    rows = np.array(numbers).astype(np.int64) - 1
    codes, distinct = pd.factorize(pd.Series(letters, dtype=object))
    cols = np.array([_col_index(b) for b in distinct], dtype=np.int64)  # few distinct columns
    return rows, cols[codes]


@dataclass
class _SheetXml:
    """What the cell values alone do not tell, from one worksheet's XML."""

    height: int  # rows openpyxl yields: the last <row> element's number
    width: int  # columns openpyxl yields: the rightmost cell element (values or not)
    merges: list
    errors: list  # (row, column, text) of error cells, 0-based
    formulas: tuple[np.ndarray, np.ndarray]  # 0-based positions of formula cells


def _scan_sheet_xml(data: bytes, last_col: int, dated: list[int]) -> _SheetXml | str:
    """Positions calamine does not report, from the raw XML; a reason string when unsure.

    ``last_col`` is the 0-based last column of calamine's cells (-1: none); ``dated`` lists the
    cell styles that show dates, times or durations (see :func:`_xlsx_styles`).
    """
    head = re.match(rb"(?:<\?[^>]*\?>)?\s*<(\w+:)?worksheet\b", data)
    if head is None:
        return "no <worksheet> root"
    p = head.group(1) or b""
    ep = re.escape(p)  # cells and rows all have a leading r= (checked by _unplaced_cells)
    if not data[-200:].rstrip().endswith(b"</" + p + b"worksheet>"):
        return "the sheet XML is cut short"
    types = set(re.findall(rb't="([de])"', data))  # ISO-dated and error cells (rare)
    if b"d" in types:
        return "ISO-dated cells (t=\"d\")"
    if _XML_ESCAPE.search(data):
        return "_xHHHH_ escapes (calamine decodes them, openpyxl keeps them)"
    # values that are no plain number (text of formulas and errors, or damage), and integers
    # calamine reads otherwise: from 2**53 (9.007e15) on they lose digits as floats and print
    # as 1e+16 from 10**16; -0 (openpyxl: int 0). One pass over the values; few matches.
    texts = re.findall(rb"<" + ep + rb"v>(?!(?!-?(?:\d{17}|9\d{15})\d*<|-0<)[-+]?(?:\d+\.?\d*|"
                       rb"\.\d+)(?:[eE][-+]?\d+)?<|<)([^<]*)", data)
    if any(re.fullmatch(rb"-?(?:\d{17,}|9\d{15})|-0", v) for v in texts):  # few
        return "an integer beyond float precision, or -0"
    if texts and len(texts) > data.count(b't="str"') + data.count(b't="e"'):
        return "a number cell whose value is not a number"
    found = re.findall(rb"<" + ep + rb'row r="(\d+)"[^>]*?(/?)>', data)
    numbers, closed = zip(*found, strict=True) if found else ((), ())
    row_numbers = np.array(numbers).astype(np.int64) if numbers else np.zeros(0, np.int64)
    if (np.diff(row_numbers) <= 0).any():
        return "rows out of order"
    if len(found) - closed.count(b"/") != data.count(b"</" + p + b"row>"):
        return "a row element left open"
    height = int(row_numbers[-1]) if len(row_numbers) else 0
    tail = data[max(data.rfind(b"sheetData>"), 0):]
    _, merges = _xlsx_sheet_info_bytes(tail)
    errors = []
    if b"e" in types:
        pattern = (rb"<" + ep + rb'c r="([A-Z]+)(\d+)"[^>]*? t="e"[^>]*>\s*(?:<' + ep
                   + rb"f\b[^>]*?(?:/>|>[^<]*</" + ep + rb"f>)\s*)?(?:<" + ep + rb"v>([^<]*)</"
                   + ep + rb"v>)?")
        found = re.findall(pattern, data)
        if len(found) != data.count(b't="e"'):
            return "error cells not all understood"
        letters, numbers, texts = zip(*found, strict=True) if found else ((), (), ())
        rows, cols = cell_positions(list(letters), list(numbers))
        errors = [(r, c, v.decode() or None)  # error cells (few)
                  for r, c, v in zip(rows.tolist(), cols.tolist(), texts, strict=True)]
    formulas = cell_positions([], [])
    if re.search(rb"<" + ep + rb"f[ >/]", data):
        found = re.findall(rb"<" + ep + rb'c r="([A-Z]+)(\d+)"[^>]*>\s*<' + ep + rb"f\b", data)
        formulas = cell_positions([c for c, _ in found], [r for _, r in found])
    # openpyxl's rows reach the last cell element, values or not (a border, a fill)
    found = re.findall(rb"<" + ep + rb'c r="(' + after_column(last_col) + rb")\d", data)
    width = max([last_col + 1, *(_col_index(c) + 1 for c in set(found))])  # few distinct
    if dated and re.search(rb" s=\"(?:" + "|".join(map(str, dated)).encode() + rb')"', data):
        # date cells outside 1899-12-30 … 9999-12-31: openpyxl gives old datetimes or #VALUE!,
        # calamine a time of day, the number, or a Rust panic (far beyond the range)
        pattern = (rb"<" + ep + rb'c r="[A-Z]+\d+"[^>]*? s="(?:'
                   + "|".join(map(str, dated)).encode() + rb')"[^>]*>\s*(?:<' + ep
                   + rb"f\b[^>]*?(?:/>|>[^<]*</" + ep + rb"f>)\s*)?<" + ep + rb"v>([^<]*)<")
        found = pd.Series(re.findall(pattern, data), dtype=object).str.decode("latin-1")
        values = pd.to_numeric(found, errors="coerce")  # text (a formula's) is no date
        if ((values < 0) | (values >= _EXCEL_SERIAL_MAX)).any():
            return "a date cell before 1900 or after 9999"
    return _SheetXml(height, width, merges, errors, formulas)


def _calamine_cells(rows: list, xml: _SheetXml) -> np.ndarray | str:
    """Calamine's values as openpyxl gives them, on openpyxl's grid; a reason when unsure."""
    arr = np.array(rows, dtype=object) if rows else np.empty((0, 0), dtype=object)
    if arr.ndim != 2:
        return "ragged rows"
    kinds = np.frompyfunc(type, 1, 1)(arr)
    is_date = np.equal(kinds, dt.date)  # a date (not a datetime): openpyxl gives datetimes
    if is_date.any():
        days = np.array(arr[is_date].tolist(), dtype="datetime64[D]")
        arr[is_date] = days.astype("datetime64[us]").astype(object)
    # openpyxl's grid: down to the last <row> element, right to the last cell element
    height, width = max(xml.height, arr.shape[0]), max(xml.width, arr.shape[1])
    if (height, width) != arr.shape:
        grown = np.full((height, max(width, 1)), None, dtype=object)
        grown[:arr.shape[0], :arr.shape[1]] = arr
        arr = grown
    for r, c, text in xml.errors:  # error cells (few): calamine reads them as empty
        if r >= arr.shape[0] or c >= arr.shape[1] or arr[r, c] not in ("", None):
            return "an error cell calamine did not leave empty"
        arr[r, c] = text
    return arr


def calamine_sheets(path: Path, zf: zipfile.ZipFile, name: str, progress: bool | None,
                    limits: Limits | None = None) -> tuple[list[Sheet] | None, str]:
    """Every worksheet read by python-calamine, or (None, why) to let openpyxl read the file.

    The sheet list, names, order and date system are openpyxl's own (its workbook parser reads
    only ``workbook.xml``); the values are calamine's, converted to openpyxl's types. The file
    is left to openpyxl when calamine fails on it or when the two could differ: number formats
    the two classify differently, ``_xHHHH_`` escapes (calamine decodes them), integers beyond
    float precision, ISO-dated cells, cells or rows without a reference, rows out of order,
    date cells before 1900 or after 9999; and damage openpyxl stops at (sheet XML cut short, a
    row left open, text in a number cell, any error or panic of calamine), so that it gives its
    message. Formula text for formulas without a saved result still comes from openpyxl.

    Each sheet's XML is checked before calamine parses it: its extent against ``limits``
    (:func:`_check_extent`, a :class:`LedgerError`), and every cell and row must carry a
    reference (:func:`_unplaced_cells`, else openpyxl reads the file).

    Parameters
    ----------
    path : pathlib.Path
        The .xlsx file.
    zf : zipfile.ZipFile
        The same file, opened (and checked) as a zip archive.
    name : str
        The file name shown in messages.
    progress : bool or None
        Show a progress bar (None: for large sheets only).
    limits : Limits, optional
        Default :func:`default_limits`.

    Returns
    -------
    sheets : list of Sheet or None
        The worksheets, or None when openpyxl should read the file.
    why : str
        Why calamine declined the file (e.g. ``"CalamineError: …"``); empty when it read it.

    Raises
    ------
    LedgerError
        When a sheet is beyond ``limits``.
    """
    limits = _resolve_limits(limits)
    try:
        from openpyxl.reader.excel import ExcelReader
        from python_calamine import CalamineWorkbook
    except ImportError as exc:
        return None, f"not installed: {exc}"
    wbf = None
    try:
        agree, dated = _xlsx_styles(zf)
        if not agree:
            return None, "a number format calamine and openpyxl classify differently"
        if "xl/sharedStrings.xml" in zf.namelist():
            strings = zf.read("xl/sharedStrings.xml")
            if not re.search(rb"</(?:\w+:)?sst>\s*$", strings[-100:]):
                return None, "the shared strings are cut short"
            if _XML_ESCAPE.search(strings):
                return None, "_xHHHH_ escapes in shared strings"
            del strings
        reader = ExcelReader(path, read_only=True, data_only=True)
        try:
            reader.read_manifest()
            reader.read_workbook()
            book = [(sheet.name, rel.target.lstrip("/"))
                    for sheet, rel in reader.parser.find_sheets()
                    if rel.target in reader.valid_files and "chartsheet" not in rel.Type]
            origin = EXCEL_ORIGIN_1904 if reader.wb.epoch.year == 1904 else EXCEL_ORIGIN
        finally:
            reader.archive.close()
        if not book or len({t.casefold() for t, _ in book}) < len(book):
            return None, "no worksheet, or two with the same name"
        sheets = []
        with CalamineWorkbook.from_path(path) as wb:
            for title, member in book:  # loop over sheets (few)
                data = zf.read(member)
                unplaced = _unplaced_cells(data)
                if unplaced is not None:
                    return None, f"{title}: {unplaced}"
                _check_extent(data, name, title, limits)
                sheet = wb.get_sheet_by_name(title)
                end = sheet.end
                xml = _scan_sheet_xml(data, end[1] if end else -1, dated)
                del data
                if isinstance(xml, str):
                    return None, f"{title}: {xml}"
                bar = Progress(xml.height, f"{name} [{title}]", progress)
                rows = sheet.to_python(skip_empty_area=False)
                del sheet
                cells = _calamine_cells(rows, xml)
                del rows
                bar.update(xml.height)
                bar.close()
                if isinstance(cells, str):
                    return None, f"{title}: {cells}"
                grid = _to_grid(cells)
                del cells
                formulas = None
                r, c = xml.formulas
                if len(r) and grid.isna().to_numpy()[r, c].any():  # formulas without a value
                    if wbf is None:
                        import openpyxl

                        wbf = openpyxl.load_workbook(path, read_only=True, data_only=False)
                    formulas = _formula_cells(grid, _to_grid(_sheet_rows(wbf[title], name, False)))
                sheets.append(Sheet(title, grid, xml.merges, formulas, origin))
    except LedgerError:  # past a limit: refused, not left to openpyxl
        raise
    except BaseException as exc:  # anything calamine cannot read goes to openpyxl, even a
        # Rust panic (pyo3's PanicException derives from BaseException)
        if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
            raise
        return None, f"{type(exc).__name__}: {exc}"
    finally:
        if wbf is not None:
            wbf.close()
    return sheets, ""

_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")


def _read_xls(path: Path, name: str, *, encrypted_xlsx: bool,
              limits: Limits | None = None) -> list[Sheet]:
    """Every sheet of an .xls (BIFF) workbook as text grids, read by xlrd.

    xlrd reads the workbook's globals first (``on_demand``): the number of sheets is checked
    against ``limits`` before any sheet is parsed, and each sheet's rows × columns before its
    cells become a grid (BIFF8 itself stops at 65,536 rows × 256 columns).
    """
    import xlrd

    limits = _resolve_limits(limits)

    password = (
        "工作簿设置了密码保护；请在 Excel 中取消密码（文件 → 信息 → 保护工作簿）后另存",
        "the workbook is password protected; remove the password in Excel (File → Info → "
        "Protect Workbook) and save it again",
    )
    quiet = _stdio.StringIO()  # xlrd writes its warnings about damaged files here, not to stdout
    if _ENCRYPTION_STREAM in path.read_bytes()[:1 << 20]:  # an encrypted .xlsx is a CFB file
        raise LedgerError(name, password[0], password[1])
    try:
        try:
            book = xlrd.open_workbook(str(path), formatting_info=True, logfile=quiet,
                                      on_demand=True)
        except NotImplementedError:
            book = xlrd.open_workbook(str(path), logfile=quiet, on_demand=True)
    except Exception as exc:  # xlrd raises XLRDError, CompDocError, struct errors …
        if "encrypt" in str(exc).lower():
            raise LedgerError(name, password[0], password[1]) from exc
        if encrypted_xlsx:
            raise LedgerError(
                name,
                f"{password[0]}（或文件已损坏）",
                f"{password[1]} (or the file is damaged: {type(exc).__name__}: {exc})",
            ) from exc
        raise _damaged_xls(name, exc) from exc
    try:
        return _xls_sheets(book, name, limits)
    finally:
        book.release_resources()


def _damaged_xls(name: str, exc: BaseException) -> LedgerError:
    """The error for an .xls that xlrd cannot read."""
    return LedgerError(
        name,
        "文件已损坏或不完整；请从原件重新复制，或在 Excel 中打开后另存为 .xlsx",
        f"the file is damaged or truncated ({type(exc).__name__}: {exc}); copy it again "
        "from the original, or open it in Excel and save it as .xlsx",
    )


def _xls_sheets(book: Any, name: str, limits: Limits) -> list[Sheet]:
    """The sheets of an xlrd workbook opened ``on_demand``, each loaded, checked, unloaded."""
    import xlrd

    if book.nsheets > limits.max_sheets:
        raise _over(name, limits, "max_sheets", f"工作簿有 {book.nsheets:,} 个工作表",
                    f"the workbook has {book.nsheets:,} sheets")
    origin = EXCEL_ORIGIN_1904 if book.datemode == 1 else EXCEL_ORIGIN
    sheets = []
    for index in range(book.nsheets):  # loop over sheets (few)
        try:
            sh = book.sheet_by_index(index)
        except Exception as exc:  # xlrd raises XLRDError, struct errors … on a damaged sheet
            raise _damaged_xls(name, exc) from exc
        n, m = sh.nrows, sh.ncols
        _refuse_extent(name, sh.name, n, m, limits)
        if n == 0 or m == 0:
            sheets.append(Sheet(sh.name, _to_grid([[None]]), [], None, origin))
            book.unload_sheet(index)
            continue
        values = pd.DataFrame([sh.row_values(i) for i in range(n)], dtype=object)
        types = np.array([sh.row_types(i) for i in range(n)], dtype=np.int64)
        is_date = types == xlrd.XL_CELL_DATE
        empty = (types == xlrd.XL_CELL_EMPTY) | (types == xlrd.XL_CELL_BLANK)
        is_bool = types == xlrd.XL_CELL_BOOLEAN
        is_error = types == xlrd.XL_CELL_ERROR
        cells = values.mask(empty, None)
        if is_date.any():
            nums = pd.DataFrame(np.where(is_date, values, np.nan)).apply(
                pd.to_numeric, errors="coerce"
            )
            for j in np.flatnonzero(is_date.any(axis=0)):  # loop over date columns
                stamps = origin + pd.to_timedelta(nums[j], unit="D")
                text = stamps.dt.strftime("%Y-%m-%d %H:%M:%S")
                cells[j] = cells[j].mask(is_date[:, j], text)
        if is_bool.any():
            cells = cells.mask(is_bool, values.astype(bool).astype(str))
        if is_error.any():
            codes = pd.DataFrame(values).where(is_error)
            cells = cells.mask(
                is_error, codes.map(lambda v: xlrd.error_text_from_code.get(v, "#ERROR"),
                                    na_action="ignore")
            )
        grid = _to_grid(cells.to_numpy().tolist())
        merges = [(r0 + 1, c0, r1, c1 - 1) for r0, r1, c0, c1 in sh.merged_cells]
        sheets.append(Sheet(sh.name, grid, merges, None, origin))
        book.unload_sheet(index)
    return sheets


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le``/``-be`` when text looks like UTF-16 without a BOM (NUL every other byte)."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.3 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.3 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _read_csv_fast(text: str, delimiter: str, name: str, progress: bool | None = None,
                   limits: Limits | None = None) -> pd.DataFrame | None:
    """The grid of a CSV without quotes, read by pandas' C parser; None when it has quotes.

    Without a quote character every line is one row, so the line numbers are simply 1..n (a
    quoted cell may span lines: those files go through the csv module, which counts lines).
    The grid's columns and cells are checked against ``limits`` before pandas parses the text
    (the delimiters are counted before their positions are taken).
    """
    limits = _resolve_limits(limits)
    if '"' in text or "\r" in text.replace("\r\n", "\n") or "\x00" in text:
        return None
    body = (text[:-1] if text.endswith("\n") else text).encode("utf-8")
    raw = np.frombuffer(body, dtype=np.uint8)
    is_newline = raw == 10
    lines = int(np.count_nonzero(is_newline)) + 1
    if lines < _PROGRESS_MIN_ROWS:  # small files: the csv module is fast enough
        return None
    if lines > limits.max_cells:  # before their positions are taken
        raise _too_many_lines(name, limits, lines)
    newline = np.flatnonzero(is_newline)
    del is_newline
    fields = int(np.count_nonzero(raw == ord(delimiter))) + lines
    if fields > limits.max_cells:  # the grid holds at least every field
        raise _too_many_lines(name, limits, lines, fields)
    line_of = np.searchsorted(newline, np.flatnonzero(raw == ord(delimiter)))
    width = int(np.bincount(line_of, minlength=1).max()) + 1  # most fields on a line
    del raw, line_of
    _refuse_extent(name, None, len(newline) + 1, width, limits)
    bar = Progress(len(newline) + 1, name, progress)
    try:  # bytes, not a StringIO: pandas re-encodes a text stream chunk by chunk, slowly
        chunks = []
        with pd.read_csv(
            _stdio.BytesIO(body), sep=delimiter, header=None, names=range(width), dtype="str",
            encoding="utf-8", na_filter=False, skip_blank_lines=False, quoting=csv.QUOTE_NONE,
            engine="c", chunksize=200_000,
        ) as reader:
            for chunk in reader:  # chunks of 200,000 rows, for the progress bar
                chunks.append(chunk)
                bar.update(len(chunk))
        frame = pd.concat(chunks, ignore_index=True)
    except (ValueError, pd.errors.ParserError):  # anything unusual: the careful path
        return None
    finally:
        bar.close()
    if len(frame) != len(newline) + 1:
        return None
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    out = {}
    for j in frame.columns:  # loop over columns
        col = frame[j].str.strip()
        col = col.str.replace(_INT_FLOAT, r"\1", regex=True)
        out[j] = col.where(col != "")
    return pd.DataFrame(out, index=frame.index, columns=frame.columns)


def _closed_quotes(text: str, delimiter: str) -> bool:
    """Whether the csv module, in strict mode, reads the text to its end (no open quote)."""
    try:
        for _ in csv.reader(_stdio.StringIO(text, newline=""), delimiter=delimiter, strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" not in str(exc)
    return True


def _read_text(path: Path, name: str, limits: Limits) -> bytearray:
    r"""The bytes of a text file, refusing a line longer than ``max_line_mb``.

    The file is read a few MB at a time and each piece scanned for line breaks (``\n`` or
    ``\r``) before the next is read, so a file of one endless line is refused when its first
    ``max_line_mb`` are read, never decoded whole. Only the breaks at both ends of a piece are
    looked for (lines within a piece are shorter than the piece, unless the limit is lower).
    Line lengths are in bytes (in UTF-16 some characters hold a ``\n`` byte: lines may be
    counted shorter, never longer).
    """
    size = path.stat().st_size
    longest_ok = limits.max_line_mb * _MB
    buf = bytearray(size)
    pos = run = 0  # run: length of the line still open at pos

    def refuse(start: int, length: int, closed: bool) -> LedgerError:
        line = max(buf.count(b"\n", 0, start), buf.count(b"\r", 0, start)) + 1
        shown = _mb(length)
        return _over(name, limits, "max_line_mb",
                     f"第 {line:,} 行长{'' if closed else '度至少'} {shown} MB",
                     f"line {line:,} is {'' if closed else 'at least '}{shown} MB long")

    with path.open("rb") as fh, memoryview(buf) as view:
        while pos < size:  # pieces of a few MB
            got = fh.readinto(view[pos:pos + CHUNK])
            if not got:
                break
            end = pos + got
            first = min((i for i in (buf.find(b"\n", pos, end), buf.find(b"\r", pos, end))
                         if i >= 0), default=-1)
            if first < 0:  # the open line goes on
                run += got
                if run > longest_ok:
                    raise refuse(end - run, run, False)
                pos = end
                continue
            if run + first - pos > longest_ok:
                raise refuse(pos - run, run + first - pos, True)
            last = max(buf.rfind(b"\n", pos, end), buf.rfind(b"\r", pos, end))
            if last - first - 1 > longest_ok:  # lines within the piece (a limit below CHUNK)
                piece = np.frombuffer(view[first:last + 1], dtype=np.uint8)
                breaks = np.flatnonzero((piece == 10) | (piece == 13)) + first
                del piece
                lengths = np.diff(breaks) - 1
                long = np.flatnonzero(lengths > longest_ok)
                if len(long):
                    k = int(long[0])
                    raise refuse(int(breaks[k]) + 1, int(lengths[k]), True)
            run = end - last - 1
            if run > longest_ok:
                raise refuse(last + 1, run, False)
            pos = end
    if pos < size:  # the file shrank while being read
        buf = buf[:pos]
    return buf


def _too_many_lines(name: str, limits: Limits, lines: int, fields: int | None = None
                    ) -> LedgerError:
    """The error for a text file of more lines (or fields) than ``max_cells``."""
    if fields is None:
        return _over(name, limits, "max_cells", f"文件有 {lines:,} 行",
                     f"the file has {lines:,} lines")
    return _over(name, limits, "max_cells", f"文件有 {lines:,} 行、{fields:,} 个字段",
                 f"the file has {lines:,} lines and {fields:,} fields")


def _read_csv(path: Path, name: str, *, progress: bool | None = None,
              limits: Limits | None = None) -> Sheet:
    """A CSV (or TSV / semicolon-separated) file as one grid; index = line number of each row.

    Encodings: UTF-8 (with or without BOM), GB18030/GBK, UTF-16 (with a BOM, or without one
    when every other byte is NUL). The delimiter is whichever of ``,`` tab ``;`` is most frequent
    in the first five lines (ties: comma). Limits (``max_line_mb`` while the file is read, then
    ``max_columns`` and ``max_cells`` row by row) are checked before the grid is built.
    """
    limits = _resolve_limits(limits)
    data = _read_text(path, name, limits)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: tuple[str, ...] = ("utf-16",)
    elif (utf16 := _utf16_without_bom(data)) is not None:
        encodings = (utf16,)
    else:
        encodings = ("utf-8-sig", "utf-8", "gb18030")
    text = None
    for enc in encodings:
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    if text is None or "\x00" in text:
        raise LedgerError(
            name,
            "无法识别文本编码（可能不是文本文件）；请在 Excel 中另存为“CSV UTF-8（逗号分隔）”",
            "unknown text encoding (or not a text file); save it from Excel as "
            "'CSV UTF-8 (Comma delimited)'",
        )
    del data
    head = "\n".join(text[:65536].splitlines()[:5])  # the first lines decide (ties: comma)
    delimiter = max((",", "\t", ";"), key=head.count)
    fast = _read_csv_fast(text, delimiter, name, progress, limits)
    if fast is not None:
        return Sheet(None, fast)
    lines = max(text.count("\n"), text.count("\r")) + 1
    if lines > limits.max_cells:  # the grid has a row a line at most
        raise _too_many_lines(name, limits, lines)
    bar = Progress(lines, name, progress)
    reader = csv.reader(_stdio.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[str]] = []
    ends: list[int] = []
    width, most_columns, most_cells = 0, limits.max_columns, limits.max_cells
    try:
        for row in reader:  # the csv module's streaming parser
            rows.append(row)
            ends.append(reader.line_num)
            if len(row) > width:
                width = len(row)
                if width > most_columns:
                    raise _over(name, limits, "max_columns",
                                f"第 {reader.line_num:,} 行有 {width:,} 列",
                                f"line {reader.line_num:,} has {width:,} columns")
            if len(rows) * width > most_cells:
                _refuse_extent(name, None, len(rows), width, limits)
            if len(rows) % 10000 == 0:
                bar.update(10000)
    except csv.Error as exc:
        raise LedgerError(
            name,
            f"CSV 文件格式错误（第 {reader.line_num} 行附近，引号不配对？）；"
            "请在 Excel 中打开后另存",
            f"malformed CSV file near line {reader.line_num} ({exc}); open it in Excel and save "
            "it again",
        ) from exc
    finally:
        bar.close()
    if not rows:
        raise LedgerError(name, "文件是空的", "the file is empty")
    end = np.asarray(ends, dtype=np.int64)
    starts = np.r_[1, end[:-1] + 1]
    if len(end) and end[-1] > starts[-1] and not _closed_quotes(text, delimiter):
        raise LedgerError(
            name,
            f"第 {starts[-1]} 行有一个引号（\"）没有配对，其后 {end[-1] - starts[-1]} 行都被并入了"
            "一个单元格；请补上或删去这个引号",
            f"a quote (\") opened on line {starts[-1]} is never closed, so the "
            f"{end[-1] - starts[-1]} lines after it became one cell; close or remove the quote",
        )
    del text
    return Sheet(None, _to_grid(rows, index=starts.tolist()))


def fill_merges(
    sheet: Sheet, head: int | None = None
) -> tuple[pd.DataFrame, list[tuple[int, int, int, int]]]:
    """Fill every merged range with its top-left value; return the grid and the ranges used.

    With ``head``, only the first ``head`` rows are returned (enough to find the header).
    """
    grid = sheet.grid.iloc[:head].copy() if head is not None else sheet.grid.copy()
    if not sheet.merges or grid.empty:
        return grid, []
    last_row, last_col = int(grid.index.max()), grid.shape[1] - 1
    used = []
    for r0, c0, r1, c1 in sheet.merges:  # loop over merged ranges (few)
        r1, c1 = min(r1, last_row), min(c1, last_col)
        if r0 > last_row or c0 > last_col or (r0 == r1 and c0 == c1):
            continue
        value = grid.at[r0, c0]
        if pd.isna(value):
            continue
        grid.loc[r0:r1, c0:c1] = value
        used.append((r0, c0, r1, c1))
    return grid, used

#: Above this many columns, grids are handled as one flat array of cells, not column by column.
WIDE = 64
