"""The user guide (docs/用户手册.md) as a web page: Markdown rendered without raw HTML, headings
with anchors (the help link jumps to the reader's role), screenshots served from docs/screenshots/.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

from kb.users import ROLE_LABELS

REPO = Path(__file__).resolve().parents[2]
GUIDE = REPO / "docs" / "用户手册.md"
SCREENSHOTS = GUIDE.parent / "screenshots"
# Only plain screenshot names: no path separators, no dots but the extension.
SHOT_NAME = re.compile(r"^[0-9A-Za-z_-]{1,64}\.png$")

# The section of the guide each role starts from (the help menu links there): one heading per role label.
ROLE_SECTIONS = ROLE_LABELS


def slug(text: str) -> str:
    """A heading's anchor: its text without spaces and punctuation (Chinese kept as is)."""
    return re.sub(r"[\s·:：,，.。()（）/、]+", "-", text.strip()).strip("-")


def _heading_ids(state: Any) -> None:
    tokens = state.tokens
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and i + 1 < len(tokens):
            token.attrSet("id", slug(tokens[i + 1].content))


@lru_cache(maxsize=4)
def _render(path: Path, mtime: float) -> tuple[str, str]:
    """(title, body HTML) of a Markdown file; cached per modification time."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
    md.core.ruler.push("heading_ids", _heading_ids)
    text = path.read_text(encoding="utf-8")
    title = next((line[2:].strip() for line in text.splitlines() if line.startswith("# ")), "用户手册")
    return title, md.render(text)


def guide_html() -> tuple[str, str] | None:
    """The guide's title and HTML, or None when the installation does not ship docs/."""
    if not GUIDE.exists():
        return None
    return _render(GUIDE, GUIDE.stat().st_mtime)


def screenshot(name: str) -> Path | None:
    """A screenshot the guide shows, if ``name`` is a plain file name that exists."""
    if not SHOT_NAME.match(name):
        return None
    path = SCREENSHOTS / name
    return path if path.is_file() else None
