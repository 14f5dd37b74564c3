"""Data model for issue types and recurring topics.

Templates are ``str.format`` strings over a slot dictionary; see
``slots.base_slots`` for the slots every case has.  ``{we}`` is "我" for
individual petitions and "我们" for group petitions.  Templates that contain
"我" outside ``{we}`` are only used for individual petitions; templates
prefixed with "G|" only for group petitions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

Slot = str | tuple[str, ...]

_END = "。！？；：，…）"


def lines(block: str, sentence: bool = True) -> tuple[str, ...]:
    """Split a triple-quoted block into one template per non-empty line.

    With *sentence* true a full stop is appended when a line has no final
    punctuation.
    """
    out = []
    for raw in block.splitlines():
        s = raw.strip()
        if not s:
            continue
        if sentence and s[-1] not in _END:
            s += "。"
        out.append(s)
    return tuple(out)


@dataclass(frozen=True)
class Topic:
    """A recurring concrete matter (company, estate, platform, project ...)."""

    key: str
    slots: Mapping[str, Slot]
    places: tuple[tuple[str, str], ...] = ()  # (city, district) the matter is tied to
    weight: float = 1.0
    backgrounds: tuple[str, ...] = ()  # replace the issue-type backgrounds
    details: tuple[str, ...] = ()  # preferred over the issue-type details
    demands: tuple[str, ...] = ()  # replace the issue-type demands
    titles: tuple[str, ...] = ()  # replace the issue-type titles
    ages: tuple[int, int] | None = None  # petitioner age range, overrides the issue type

    @property
    def clonable(self) -> bool:
        """One-off cases may reuse this topic's templates with new entities."""
        return not self.backgrounds


def topic(
    key: str,
    where: str | None = None,
    weight: float = 1.0,
    *,
    backgrounds: str = "",
    details: str = "",
    demands: str = "",
    titles: str = "",
    ages: tuple[int, int] | None = None,
    **slots: Slot,
) -> Topic:
    """Build a Topic.

    *where* is "城市/区县", several separated by ";" for chains; a slot value
    "a|b|c" is a per-case random choice.
    """
    parsed = {k: tuple(v.split("|")) if isinstance(v, str) and "|" in v else v for k, v in slots.items()}
    return Topic(
        key=key,
        slots=parsed,
        places=tuple((p.split("/")[0], p.split("/")[1]) for p in (where or "").split(";") if p),
        weight=weight,
        backgrounds=lines(backgrounds),
        details=lines(details),
        demands=lines(demands),
        titles=lines(titles, sentence=False),
        ages=ages,
    )


@dataclass(frozen=True)
class IssueType:
    name: str
    department: str
    weight: float  # relative frequency
    prefix: str  # topic-key prefix, e.g. "欠薪"
    gnoun: str  # group noun, e.g. "工友"
    locals_: tuple[str, ...]  # local offices already contacted
    titles: tuple[str, ...]
    backgrounds: tuple[str, ...]
    details: tuple[str, ...]
    demands: tuple[str, ...]
    resolutions: tuple[str, ...]
    topics: tuple[Topic, ...]
    oneoff: Mapping[str, tuple[str, ...]]  # entity slot -> patterns
    oneoff_label: str = "{name}个案"
    numbers: Mapping[str, tuple[int, int, str]] = field(default_factory=dict)
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    lit_extras: tuple[str, ...] = ()
    litigation: bool = False
    gunit: str = "名"
    group_rate: float = 0.04
    ages: tuple[int, int] = (25, 65)
    season: Mapping[int, float] = field(default_factory=dict)
    city_bias: Mapping[str, float] = field(default_factory=dict)


def issue(
    *,
    titles: str,
    backgrounds: str,
    details: str,
    demands: str,
    resolutions: str,
    locals_: str,
    lit_extras: str = "",
    choices: Mapping[str, str] | None = None,
    oneoff: Mapping[str, str] | None = None,
    **kw: object,
) -> IssueType:
    """Build an IssueType from line blocks (one template per line)."""
    return IssueType(
        titles=lines(titles, sentence=False),
        backgrounds=lines(backgrounds),
        details=lines(details),
        demands=lines(demands),
        resolutions=lines(resolutions),
        locals_=tuple(locals_.split()),
        lit_extras=lines(lit_extras),
        choices={k: tuple(v.split()) for k, v in (choices or {}).items()},
        oneoff={k: tuple(v.split()) for k, v in (oneoff or {}).items()},
        **kw,  # type: ignore[arg-type]
    )
