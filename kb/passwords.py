"""The password policy for new passwords: length, variety, and what attackers try first.

Refused, each with its own Chinese reason: shorter than the minimum (``LEIAN_MIN_PASSWORD_LENGTH``,
default 12); on the bundled list of common passwords (``kb/resources/common-passwords.txt``,
compared lower-cased); one character or one short piece repeated (``aaaaaaaaaaaa``, ``abcabcabcabc``);
mostly sequential characters (``123456789012``, ``abcdefgh1234``, ``qwertyuiop12``: alphabet and
digit runs up or down and keyboard rows, three or more in a row); containing the user name; or
of a single kind (letters only, digits only). Existing passwords are not re-checked at login.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

# Sequences a run of three or more characters may follow, forwards or backwards (lower-cased).
_SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890",  # 9 -> 0 continues a run, as on the keyboard
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",  # the keyboard's columns, walked down
)
_MIN_RUN = 3
# A password with fewer characters than this outside runs is "mostly sequential".
_MIN_FREE = 4


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The bundled list of passwords guessed first, lower-cased."""
    text = resources.files("kb").joinpath("resources/common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def _steps(a: str, b: str) -> set[tuple[int, int]]:
    """(sequence, direction) pairs in which ``b`` directly follows ``a``."""
    out = set()
    for n, seq in enumerate(_SEQUENCES):
        for i, ch in enumerate(seq[:-1]):
            if ch == a and seq[i + 1] == b:
                out.add((n, 1))
            if ch == b and seq[i + 1] == a:
                out.add((n, -1))
    return out


def _run_length(text: str, start: int) -> int:
    """The longest run starting at ``start``: one character repeated, or one sequence followed in one direction."""
    if start + 1 >= len(text):
        return 1
    same = start + 1
    while same < len(text) and text[same] == text[start]:
        same += 1
    best = same - start
    ways = _steps(text[start], text[start + 1])
    end = start + 1
    while ways and end + 1 < len(text):
        following = ways & _steps(text[end], text[end + 1])
        if not following:
            break
        ways, end = following, end + 1
    if _steps(text[start], text[start + 1]):
        best = max(best, end - start + 1)
    return best


def free_characters(password: str) -> int:
    """How many characters lie outside runs of three or more (``abc``, ``321``, ``qwe``, ``aaa``)."""
    text, free, i = password.lower(), 0, 0
    while i < len(text):
        length = _run_length(text, i)
        if length >= _MIN_RUN:
            i += length
        else:
            free, i = free + 1, i + 1
    return free


def is_repetitive(password: str) -> bool:
    """One character, or one piece of at most half the length, repeated (``aaaa``, ``abcabc``, ``1212``)."""
    text = password.lower()
    if len(set(text)) <= 2:
        return True
    return any(text == (text[:k] * (len(text) // k + 1))[: len(text)] for k in range(1, len(text) // 2 + 1))


def password_problems(password: str, username: str, min_length: int) -> list[str]:
    """Chinese reasons the password is refused (empty when it is acceptable)."""
    problems = []
    if len(password) < min_length:
        problems.append(f"密码至少 {min_length} 位（当前 {len(password)} 位）")
    lowered = password.lower()
    if lowered in common_passwords():
        problems.append("密码在常见密码名单中，容易被猜到，请换一个")
    elif is_repetitive(password):
        problems.append("密码不能由重复的字符或片段组成（如 aaaaaa、abcabc）")
    elif free_characters(password) < _MIN_FREE:
        problems.append("密码不能主要由连续字符组成（如 123456、abcdef、qwerty）")
    if username and username.lower() in lowered:
        problems.append("密码不能包含用户名")
    kinds = (
        any(c.isalpha() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    )
    if sum(kinds) < 2:
        problems.append("密码应至少包含字母、数字、符号中的两类")
    return problems
