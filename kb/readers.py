"""Reading import files (JSON Lines, CSV in UTF-8 or GB18030/GBK, XLSX) into numbered raw rows.

Readers only parse; validation of each row happens in the service so every format gets the same
messages. A file that cannot be parsed raises InvalidInputError naming the line.

Headers are matched to case fields by name, Chinese label or alias (``kb/fields.py``). A column no
field claims (a registry's ``序号``, a trailing ``备注``) is left out and named in the import report;
``strict=True`` refuses such a file instead. ``read_table`` also remembers how the file spells each
column, so validation problems name ``受理日期`` when that is the file's header.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import gzip
import io
import json
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from kb.dates import excel_serial_date
from kb.errors import FieldProblem, InvalidInputError
from kb.fields import case_fields, header_aliases
from kb.settings import Settings, describe_bytes

# Registry exports often carry Chinese headers; both spellings are accepted. Each field's label and
# aliases come from the field table (``kb/fields.py``).
HEADER_ALIASES = header_aliases()
FORMATS = ("jsonl", "csv", "xlsx")
RawRow = tuple[int, dict[str, Any]]


# How a header becomes a row key; case files map it to the field name, other tables pass their own.
def detect_format(name: str) -> str:
    lower = name.lower().removesuffix(".gz")
    for fmt, suffixes in (("jsonl", (".jsonl", ".json", ".ndjson")), ("csv", (".csv",)), ("xlsx", (".xlsx",))):
        if lower.endswith(suffixes):
            return fmt
    raise InvalidInputError([FieldProblem("file", f"无法识别的文件类型：{name}（支持 JSONL、CSV、XLSX）")])


def decode_bytes(data: bytes) -> str:
    """UTF-8 (with or without BOM) first, then GB18030, the superset of GBK used by many exports."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInputError([FieldProblem("file", "文件编码无法识别，请使用 UTF-8 或 GBK/GB18030")])


def _clean_header(header: Any) -> str:
    return str(header).strip().lstrip("\ufeff") if header is not None else ""


def _canonical(header: str) -> str:
    header = _clean_header(header)
    return HEADER_ALIASES.get(header, header)


@dataclass
class CaseTable:
    """The rows of one case file (keyed by field name) and what the file called its columns."""

    rows: list[RawRow]
    # field name -> the header as the file spells it (``受理日期``), for messages.
    columns: dict[str, str] = field(default_factory=dict)
    # headers no field claims, in file order; their values were not read.
    ignored: list[str] = field(default_factory=list)


class _Columns:
    """Maps a file's headers to field names, remembering the file's spelling and what it ignores."""

    def __init__(self) -> None:
        self.known = {f.name for f in case_fields()}
        self.columns: dict[str, str] = {}
        self.ignored: list[str] = []
        self._date_fields = {f.name for f in case_fields() if f.type is dt.date}

    def name(self, header: Any, line: int | None = None) -> str | None:
        """The field a header names, or None for an ignored (or blank) column."""
        spelled = _clean_header(header)
        if not spelled:
            return None
        name = _canonical(spelled)
        if name not in self.known:
            if spelled not in self.ignored:
                self.ignored.append(spelled)
            return None
        first = self.columns.setdefault(name, spelled)
        if first != spelled:
            message = f"列“{spelled}”与列“{first}”是同一字段，请只保留一列"
            raise InvalidInputError([FieldProblem(spelled, message, line)])
        return name

    def header(self, headers: list[Any]) -> list[str | None]:
        return [self.name(h, 1) for h in headers]

    def xlsx_value(self, name: str, value: Any) -> Any:
        """A spreadsheet cell as the validators read it: a date column's date cell, date-time or
        serial day number becomes a date (``kb/dates.py``); other columns' date cells become text."""
        if name in self._date_fields:
            if isinstance(value, int | float) and not isinstance(value, bool):
                return excel_serial_date(value) or value
            return value
        return value.isoformat()[:10] if isinstance(value, dt.date) else value

    def refuse_ignored(self) -> None:
        if self.ignored:
            message = f"未知列：{'、'.join(self.ignored)}（严格模式只接受字段表中的列）"
            raise InvalidInputError([FieldProblem("file", message)])


class RawColumns(_Columns):
    """Keeps every column under its own header as the file spells it (tables that are not case
    files, such as unit files, which check their columns themselves)."""

    def name(self, header: Any, line: int | None = None) -> str | None:
        return _clean_header(header) or None

    def xlsx_value(self, name: str, value: Any) -> Any:
        return value.isoformat()[:10] if isinstance(value, dt.date) else value


# JSON nested deeper than this is refused (a case or model case needs 3 levels at most).
MAX_JSON_DEPTH = 32


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests lists/objects deeper than ``limit`` (an explicit stack, no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


def loads_limited(text: str, where: str = "json", line: int | None = None, limit: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` with a nesting limit: too deep (even 100,000 levels) is a clear input error."""
    too_deep = FieldProblem(where, f"JSON 嵌套超过 {limit} 层", line)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputError([FieldProblem(where, f"JSON 格式错误：{exc.msg}", line)]) from None
    except RecursionError:
        raise InvalidInputError([too_deep]) from None
    if _depth_exceeds(value, limit):
        raise InvalidInputError([too_deep])
    return value


def read_jsonl(
    text: str | Iterable[str], columns: _Columns | None = None, max_rows: int | None = None
) -> Iterator[RawRow]:
    """Rows of JSON Lines ``text`` (a string, or an open text file read line by line)."""
    columns = columns or _Columns()
    lines = text.splitlines() if isinstance(text, str) else (line.rstrip("\r\n") for line in text)
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        _check_rows(line_no, max_rows)
        obj = loads_limited(line, "json", line_no)
        if not isinstance(obj, dict):
            raise InvalidInputError([FieldProblem("json", "每行应为一个 JSON 对象", line_no)])
        row: dict[str, Any] = {}
        for key, value in obj.items():
            name = columns.name(key, line_no)
            if name is not None:
                row[name] = value
        yield line_no, row


def _check_rows(line_no: int, max_rows: int | None) -> None:
    """Refuse a file past ``max_rows`` lines after the header (blank lines count: they cost time too)."""
    if max_rows is not None and line_no > max_rows + 1:
        message = f"文件超过 {max_rows} 行上限（LEIAN_MAX_IMPORT_ROWS，空行也计入），请拆分后导入"
        raise InvalidInputError([FieldProblem("file", message, line_no)])


def read_csv(text: str | IO[str], columns: _Columns | None = None, max_rows: int | None = None) -> Iterator[RawRow]:
    """Rows of CSV ``text`` (a string, or a text file opened with ``newline=""``)."""
    columns = columns or _Columns()
    reader = csv.reader(io.StringIO(text, newline="") if isinstance(text, str) else text)
    try:
        titles = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise InvalidInputError([FieldProblem("csv", f"CSV 格式错误：{exc}", 1)]) from None
    names = columns.header(titles)
    try:
        for values in reader:
            line_no = reader.line_num
            _check_rows(line_no, max_rows)
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(names):
                raise InvalidInputError([FieldProblem("csv", f"列数为 {len(values)}，表头为 {len(names)} 列", line_no)])
            yield line_no, {k: (v if v.strip() else None) for k, v in zip(names, values, strict=True) if k}
    except csv.Error as exc:
        raise InvalidInputError([FieldProblem("csv", f"CSV 格式错误：{exc}", reader.line_num)]) from None


def read_xlsx(data: bytes | Path, columns: _Columns | None = None, max_rows: int | None = None) -> Iterator[RawRow]:
    """Rows of the first sheet of a workbook (its bytes, or its path: streamed from the file)."""
    import openpyxl

    try:
        source = io.BytesIO(data) if isinstance(data, bytes) else data
        workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:
        raise InvalidInputError([FieldProblem("xlsx", f"无法读取 Excel 文件：{type(exc).__name__}")]) from None
    try:
        yield from _xlsx_rows(workbook, columns or _Columns(), max_rows)
    except InvalidInputError:
        raise
    except Exception as exc:  # zip, XML and value errors surface lazily, while rows are read
        raise InvalidInputError([FieldProblem("xlsx", f"Excel 文件已损坏：{type(exc).__name__}")]) from None


def _xlsx_rows(workbook: Any, columns: _Columns, max_rows: int | None = None) -> Iterator[RawRow]:
    if not workbook.worksheets:
        return
    sheet = workbook.worksheets[0]
    # Read-only mode streams the sheet; stop at the limit instead of walking a million blank rows.
    rows = sheet.iter_rows(values_only=True, max_row=None if max_rows is None else max_rows + 2)
    titles = next(rows, None)
    if titles is None:
        return
    names = columns.header(list(titles))
    for line_no, values in enumerate(rows, start=2):
        _check_rows(line_no, max_rows)
        if values is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        yield line_no, {k: columns.xlsx_value(k, v) for k, v in zip(names, values, strict=False) if k}


def gunzip(data: bytes, limit: int = Settings.max_decompressed_bytes) -> bytes:
    """Decompress with a size cap (a small archive may expand to gigabytes) and clear errors."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error:
        raise InvalidInputError([FieldProblem("file", "gzip 压缩文件已损坏")]) from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise InvalidInputError([FieldProblem("file", f"解压后超过 {describe_bytes(limit)} 上限")])
    if not inflater.eof:
        raise InvalidInputError([FieldProblem("file", "gzip 压缩文件不完整")])
    return out


def read_rows(
    data: bytes,
    fmt: str,
    max_decompressed_bytes: int = Settings.max_decompressed_bytes,
    *,
    columns: _Columns | None = None,
    max_rows: int | None = Settings.max_import_rows,
) -> Iterator[RawRow]:
    """Rows of a case file (ignored columns left out); a gzip file is expanded first, to at most
    ``max_decompressed_bytes``; more than ``max_rows`` lines is refused."""
    if data[:2] == b"\x1f\x8b":
        data = gunzip(data, max_decompressed_bytes)
    if fmt == "jsonl":
        return read_jsonl(decode_bytes(data), columns, max_rows)
    if fmt == "csv":
        return read_csv(decode_bytes(data), columns, max_rows)
    if fmt == "xlsx":
        return read_xlsx(data, columns, max_rows)
    raise InvalidInputError([FieldProblem("format", f"不支持的格式：{fmt}（支持 {', '.join(FORMATS)}）")])


def read_table(
    data: bytes,
    fmt: str,
    max_decompressed_bytes: int = Settings.max_decompressed_bytes,
    *,
    strict: bool = False,
    max_rows: int | None = Settings.max_import_rows,
) -> CaseTable:
    """A whole case file with its column spellings; ``strict`` refuses columns no field claims.

    CPU-bound: the HTTP door runs it in a worker thread, never on the event loop."""
    columns = _Columns()
    rows = list(read_rows(data, fmt, max_decompressed_bytes, columns=columns, max_rows=max_rows))
    if strict:
        columns.refuse_ignored()
    return CaseTable(rows, columns.columns, columns.ignored)


def read_path(
    path: Path,
    fmt: str | None = None,
    max_decompressed_bytes: int = Settings.max_decompressed_bytes,
    *,
    strict: bool = False,
) -> CaseTable:
    return read_table(Path(path).read_bytes(), fmt or detect_format(str(path)), max_decompressed_bytes, strict=strict)


def _scan(path: Path, limit: int) -> tuple[bool, str, int]:
    """One streaming pass over a text file: (gzip?, encoding, newlines). A gzip file may expand to
    at most ``limit`` bytes; the encoding is UTF-8 when every byte decodes, else GB18030."""
    with path.open("rb") as fh:
        packed = fh.read(2) == b"\x1f\x8b"
    utf8 = codecs.getincrementaldecoder("utf-8")()
    ok, size, lines = True, 0, 0
    try:
        with gzip.open(path, "rb") if packed else path.open("rb") as fh:
            while block := fh.read(1 << 20):
                size += len(block)
                if packed and size > limit:
                    raise InvalidInputError([FieldProblem("file", f"解压后超过 {describe_bytes(limit)} 上限")])
                lines += block.count(b"\n")
                if ok:
                    try:
                        utf8.decode(block)
                    except UnicodeDecodeError:
                        ok = False
            if ok:
                utf8.decode(b"", final=True)
    except UnicodeDecodeError:
        ok = False
    except (OSError, EOFError, zlib.error):
        raise InvalidInputError([FieldProblem("file", "gzip 压缩文件已损坏或不完整")]) from None
    if not ok:  # GB18030 must then decode the whole file, as ``decode_bytes`` requires
        decoder = codecs.getincrementaldecoder("gb18030")()
        try:
            with gzip.open(path, "rb") if packed else path.open("rb") as fh:
                while block := fh.read(1 << 20):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise InvalidInputError([FieldProblem("file", "文件编码无法识别，请使用 UTF-8 或 GBK/GB18030")]) from None
    return packed, "utf-8-sig" if ok else "gb18030", lines


@dataclass
class StreamedTable:
    """A case file read row by row from disk (``stream_path``): ``rows`` can be iterated once and
    ``columns``/``ignored`` fill as it is; ``estimate`` is the number of rows (lines for text files)."""

    rows: Iterable[RawRow]
    columns: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    estimate: int = 0


def stream_path(
    path: Path,
    fmt: str | None = None,
    max_decompressed_bytes: int = Settings.max_decompressed_bytes,
    *,
    strict: bool = False,
    max_rows: int | None = Settings.max_import_rows,
) -> StreamedTable:
    """``read_path`` without holding the file in memory (issue 20: bulk imports in bounded memory).

    Text files are scanned once first (gzip size cap, encoding, line count), then parsed line by
    line; a workbook is streamed by openpyxl's read-only mode. ``strict`` refuses unknown columns
    once the rows are read, before anything is written."""
    path = Path(path)
    fmt = fmt or detect_format(str(path))
    columns = _Columns()
    table = StreamedTable([], columns.columns, columns.ignored)
    if fmt == "xlsx":
        table.estimate = _xlsx_rows_estimate(path)
        source: Iterator[RawRow] = read_xlsx(path, columns, max_rows)
    elif fmt in ("jsonl", "csv"):
        packed, encoding, lines = _scan(path, max_decompressed_bytes)
        table.estimate = max(0, lines - (fmt == "csv"))
        source = _text_rows(path, fmt, packed, encoding, columns, max_rows)
    else:
        raise InvalidInputError([FieldProblem("format", f"不支持的格式：{fmt}（支持 {', '.join(FORMATS)}）")])

    def rows() -> Iterator[RawRow]:
        yield from source
        if strict:
            columns.refuse_ignored()

    table.rows = rows()
    return table


def _text_rows(
    path: Path, fmt: str, packed: bool, encoding: str, columns: _Columns, max_rows: int | None
) -> Iterator[RawRow]:
    if packed:
        with gzip.open(path, "rt", encoding=encoding, newline="") as fh:
            yield from (read_jsonl(fh, columns, max_rows) if fmt == "jsonl" else read_csv(fh, columns, max_rows))
    else:
        with path.open(encoding=encoding, newline="") as fh:
            yield from (read_jsonl(fh, columns, max_rows) if fmt == "jsonl" else read_csv(fh, columns, max_rows))


def _xlsx_rows_estimate(path: Path) -> int:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:
        return 0  # read_xlsx reports the damage
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        return max(0, int(sheet.max_row or 1) - 1) if sheet is not None else 0
    finally:
        workbook.close()


def read_file(
    path: Path, fmt: str | None = None, max_decompressed_bytes: int = Settings.max_decompressed_bytes
) -> list[RawRow]:
    return read_path(path, fmt, max_decompressed_bytes).rows
