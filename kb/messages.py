"""Chinese wording for validation problems reported by pydantic, keyed by its error type."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from kb.errors import FieldProblem

_BY_TYPE = {
    "missing": "缺少必填字段",
    "extra_forbidden": "未知字段",
    "string_type": "应为文本",
    "string_too_short": "不能为空",
    "string_too_long": "长度超过上限 {max_length} 字",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "bool_type": "应为 是/否（true/false）",
    "bool_parsing": "应为 是/否（true/false）",
    "date_type": "日期格式应为 YYYY-MM-DD",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_inexact": "日期格式应为 YYYY-MM-DD",
    "enum": "取值应为 {expected} 之一",
    "literal_error": "取值应为 {expected} 之一",
    "greater_than_equal": "应不小于 {ge}",
    "less_than_equal": "应不大于 {le}",
    "greater_than": "应大于 {gt}",
    "less_than": "应小于 {lt}",
    "too_long": "条目过多（最多 {max_length} 项）",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "json_invalid": "JSON 格式错误",
    "string_pattern_mismatch": "格式不正确",
}


def describe_error(err: Any) -> str:
    """One pydantic error as a Chinese sentence; our own validators already speak Chinese."""
    kind = err.get("type", "")
    template = _BY_TYPE.get(kind)
    if template is None:
        return str(err.get("msg", "")).removeprefix("Value error, ") or "取值无效"
    try:
        ctx = {k: str(v).replace(" or ", ", ") for k, v in (err.get("ctx") or {}).items()}
        return template.format(**ctx)
    except (KeyError, IndexError):
        return template.split("{")[0].rstrip() or "取值无效"


def problems_from(exc: ValidationError, row: int | None) -> list[FieldProblem]:
    return [
        FieldProblem(".".join(str(p) for p in err["loc"]) or "row", describe_error(err), row) for err in exc.errors()
    ]
