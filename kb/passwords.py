"""The password policy: length, variety, and a list of passwords attackers try first."""

from __future__ import annotations

# Passwords seen first in guessing lists (and Chinese-keyboard favourites); compared lower-cased.
COMMON = frozenset(
    " ".join(
        (
            "12345678 123456789 1234567890 0123456789 11111111 00000000 88888888 66666666 12341234",
            "87654321 password password1 password12 password123 passw0rd p@ssw0rd p@ssword admin123",
            "admin1234 admin12345 administrator root1234 qwertyuiop qwerty123 qwerty1234 1qaz2wsx",
            "1qaz2wsx3edc qazwsxedc zaq12wsx abc12345 abc123456 abcd1234 a1234567 a12345678 aa123456",
            "iloveyou woaini1314 woaini520 5201314520 1314520520 asdfghjkl asdf1234 zxcvbnm123",
            "letmein123 welcome123 changeme changeme123 test1234 leian123 leian1234 leian12345",
            "xinfang123 xinfang1234 guangdong123 gd123456 zhangsan123",
        )
    ).split()
)


def password_problems(password: str, username: str, min_length: int) -> list[str]:
    """Chinese reasons the password is refused (empty when it is acceptable)."""
    problems = []
    if len(password) < min_length:
        problems.append(f"密码至少 {min_length} 位")
    lowered = password.lower()
    if lowered in COMMON or len(set(password)) <= 2:
        problems.append("密码过于常见或重复，请换一个不易猜到的密码")
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
