"""A weekly rolling notice (通报) as Markdown and as a Word document (python-docx: maintained, pure
Python, writes real .docx that WPS and Word open; no office suite on the server)."""

from __future__ import annotations

import io
from typing import Any


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.1f}%"


def _points(v: float | None) -> str:
    if v is None:
        return "—（上周未统计）"
    p = round(v * 100, 1)
    return "持平" if p == 0 else f"{'上升' if p > 0 else '下降'} {abs(p):.1f} 个百分点"


HEADER = ["单位", "列入件数", "已化解", "化解率", "较上周", "再次信访率", "较上周", "连续上榜周数", "上榜原因"]


def rows_of(content: dict[str, Any]) -> list[list[str]]:
    return [
        [
            r["unit"],
            str(r["listed"]),
            str(r["resolved"]),
            _pct(r["resolution_rate"]),
            _points(r["change_resolution_rate"]),
            f"{_pct(r['repeat_rate'])}（{r['repeat_followed']}/{r['repeat_base']}）",
            _points(r["change_repeat_rate"]),
            f"{r['weeks']} 周",
            "；".join(r["reasons"]),
        ]
        for r in content["rows"]
    ]


def _intro(c: dict[str, Any]) -> str:
    t = c["total"]
    return (
        f"截至 {c['week_end']}，“{c['campaign']}”共列入案件 {t['listed']} 件，已化解 {t['resolved']} 件，"
        f"总体化解率 {_pct(c['total']['resolution_rate'])}，再次信访率 {_pct(c['total']['repeat_rate'])}。"
        f"现将化解率低于 {c['resolution_line']:.0%} 或再次信访率高于 {c['repeat_line']:.0%} 的单位通报如下，"
        f"请上榜单位于下周通报前提交整改回复。"
    )


def markdown(c: dict[str, Any]) -> str:
    lines = [f"# {c['title']}", "", _intro(c), ""]
    if c["rows"]:
        lines += ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
        lines += ["| " + " | ".join(cell.replace("|", "｜") for cell in row) + " |" for row in rows_of(c)]
    else:
        lines.append("本周没有单位低于化解率线或高于再次信访率线。")
    lines += ["", "## 上期上榜单位整改回复", ""]
    if c["replies"]:
        lines += [f"- **{r['unit']}**（{r['filed_at'][:10]}，{r['filed_by']}）：{r['text']}" for r in c["replies"]]
    if c["missing_replies"]:
        lines.append(f"- 未提交整改回复：{'、'.join(c['missing_replies'])}")
    if not c["replies"] and not c["missing_replies"]:
        lines.append("上期无上榜单位。")
    lines += ["", "## 统计口径", ""]
    lines += [f"- **{k}**：{v}" for k, v in c["definitions"].items()]
    lines += ["", f"（{c['issued_note']}）", ""]
    return "\n".join(lines)


def docx(c: dict[str, Any]) -> bytes:
    from docx import Document
    from docx.oxml.ns import qn

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "SimSun"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    doc.add_heading(c["title"], level=1)
    doc.add_paragraph(_intro(c))
    if c["rows"]:
        table = doc.add_table(rows=1, cols=len(HEADER))
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, HEADER, strict=True):
            cell.text = text
        for row in rows_of(c):
            for cell, text in zip(table.add_row().cells, row, strict=True):
                cell.text = text
    else:
        doc.add_paragraph("本周没有单位低于化解率线或高于再次信访率线。")
    doc.add_heading("上期上榜单位整改回复", level=2)
    for r in c["replies"]:
        doc.add_paragraph(f"{r['unit']}（{r['filed_at'][:10]}，{r['filed_by']}）：{r['text']}", style="List Bullet")
    if c["missing_replies"]:
        doc.add_paragraph(f"未提交整改回复：{'、'.join(c['missing_replies'])}", style="List Bullet")
    doc.add_heading("统计口径", level=2)
    for k, v in c["definitions"].items():
        doc.add_paragraph(f"{k}：{v}", style="List Bullet")
    doc.add_paragraph(f"（{c['issued_note']}）")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
