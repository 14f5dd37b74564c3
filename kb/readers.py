"""Reading import files (JSON Lines, CSV in UTF-8 or GB18030/GBK, XLSX) into numbered raw rows.

Readers only parse; validation of each row happens in the service so every format gets the same
messages. A file that cannot be parsed raises InvalidInputError naming the line.
"""

from __future__ import annotations

import csv
import io
import json
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from kb.errors import FieldProblem, InvalidInputError
from kb.fields import header_aliases
from kb.settings import Settings, describe_bytes

# Registry exports often carry Chinese headers; both spellings are accepted. Each field's label and
# aliases come from the field table (``kb/fields.py``).
HEADER_ALIASES = header_aliases()
FORMATS = ("jsonl", "csv", "xlsx")
RawRow = tuple[int, dict[str, Any]]
# How a header becomes a row key; case files map it to the field name, other tables pass their own.
HeaderFn = Callable[[str], str]


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


def _canonical(header: str) -> str:
    header = header.strip().lstrip("\ufeff")
    return HEADER_ALIASES.get(header, header)


def read_jsonl(text: str, header: HeaderFn = _canonical) -> Iterator[RawRow]:
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInputError([FieldProblem("json", f"JSON 格式错误：{exc.msg}", line_no)]) from None
        if not isinstance(obj, dict):
            raise InvalidInputError([FieldProblem("json", "每行应为一个 JSON 对象", line_no)])
        yield line_no, {header(k): v for k, v in obj.items()}


def read_csv(text: str, header: HeaderFn = _canonical) -> Iterator[RawRow]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        titles = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise InvalidInputError([FieldProblem("csv", f"CSV 格式错误：{exc}", 1)]) from None
    names = [header(h) for h in titles]
    try:
        for values in reader:
            line_no = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(names):
                raise InvalidInputError([FieldProblem("csv", f"列数为 {len(values)}，表头为 {len(names)} 列", line_no)])
            yield line_no, {k: (v if v.strip() else None) for k, v in zip(names, values, strict=True)}
    except csv.Error as exc:
        raise InvalidInputError([FieldProblem("csv", f"CSV 格式错误：{exc}", reader.line_num)]) from None


def read_xlsx(data: bytes, header: HeaderFn = _canonical) -> Iterator[RawRow]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise InvalidInputError([FieldProblem("xlsx", f"无法读取 Excel 文件：{type(exc).__name__}")]) from None
    try:
        yield from _xlsx_rows(workbook, header)
    except InvalidInputError:
        raise
    except Exception as exc:  # zip, XML and value errors surface lazily, while rows are read
        raise InvalidInputError([FieldProblem("xlsx", f"Excel 文件已损坏：{type(exc).__name__}")]) from None


def _xlsx_rows(workbook: Any, header: HeaderFn) -> Iterator[RawRow]:
    if not workbook.worksheets:
        return
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    titles = next(rows, None)
    if titles is None:
        return
    names = [header(str(h)) if h is not None else "" for h in titles]
    for line_no, values in enumerate(rows, start=2):
        if values is None or all(v is None or str(v).strip() == "" for v in values):
            continue
        row = {k: v for k, v in zip(names, values, strict=False) if k}
        yield line_no, {k: (v.isoformat()[:10] if hasattr(v, "isoformat") else v) for k, v in row.items()}


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
    header: HeaderFn = _canonical,
) -> Iterator[RawRow]:
    """Rows of a case file (or, with ``header``, of another table); a gzip file is expanded first, to
    at most ``max_decompressed_bytes``."""
    if data[:2] == b"\x1f\x8b":
        data = gunzip(data, max_decompressed_bytes)
    if fmt == "jsonl":
        return read_jsonl(decode_bytes(data), header)
    if fmt == "csv":
        return read_csv(decode_bytes(data), header)
    if fmt == "xlsx":
        return read_xlsx(data, header)
    raise InvalidInputError([FieldProblem("format", f"不支持的格式：{fmt}（支持 {', '.join(FORMATS)}）")])


def read_file(
    path: Path, fmt: str | None = None, max_decompressed_bytes: int = Settings.max_decompressed_bytes
) -> list[RawRow]:
    return list(read_rows(Path(path).read_bytes(), fmt or detect_format(str(path)), max_decompressed_bytes))
