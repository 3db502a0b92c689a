"""Pact's `date`, `time` and `timestamp` formats: Java date patterns (`yyyy-MM-dd'T'HH:mm`).

A pattern is turned once into strptime directives where Python has them (so that month
13 or 31 February fail) and a regular expression for the rest (zones, fractions).
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache

# Java letters -> (regex, strptime directive or None)
_LETTERS: dict[str, tuple[str, str | None]] = {
    "yyyy": (r"\d{4}", "%Y"),
    "yy": (r"\d{2}", "%y"),
    "y": (r"\d{1,4}", None),
    "uuuu": (r"\d{4}", "%Y"),
    "MMMM": (r"[A-Za-z]+", "%B"),
    "MMM": (r"[A-Za-z]{3}", "%b"),
    "MM": (r"\d{2}", "%m"),
    "M": (r"\d{1,2}", "%m"),
    "dd": (r"\d{2}", "%d"),
    "d": (r"\d{1,2}", "%d"),
    "DDD": (r"\d{3}", "%j"),
    "HH": (r"\d{2}", "%H"),
    "H": (r"\d{1,2}", "%H"),
    "hh": (r"\d{2}", "%I"),
    "h": (r"\d{1,2}", "%I"),
    "kk": (r"\d{2}", None),
    "mm": (r"\d{2}", "%M"),
    "m": (r"\d{1,2}", "%M"),
    "ss": (r"\d{2}", "%S"),
    "s": (r"\d{1,2}", "%S"),
    "a": (r"(?:AM|PM|am|pm)", "%p"),
    "EEEE": (r"[A-Za-z]+", "%A"),
    "EEE": (r"[A-Za-z]{3}", "%a"),
    "E": (r"[A-Za-z]{3}", "%a"),
    "XXX": (r"(?:Z|[+-]\d{2}:\d{2})", None),
    "XX": (r"(?:Z|[+-]\d{4})", None),
    "X": (r"(?:Z|[+-]\d{2}(?:\d{2})?)", None),
    "ZZZZZ": (r"(?:Z|[+-]\d{2}:\d{2})", None),
    "Z": (r"[+-]\d{4}", None),
    "z": (r"[A-Za-z]{2,5}", None),
}
_RUN = re.compile(r"'([^']*)'|([A-Za-z])\2*|(.)", re.S)

DEFAULTS = {
    "date": "yyyy-MM-dd",
    "time": "HH:mm:ss",
    "timestamp": "yyyy-MM-dd'T'HH:mm:ss",
}
_ISO_TAIL = r"(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?"


@lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> tuple[re.Pattern[str], str | None]:
    """The regex for `pattern`, and a strptime format when every part has one."""
    regex, directives, exact = "", "", True
    for match in _RUN.finditer(pattern):
        literal, letter, other = match.groups()
        if literal is not None:
            text = literal or "'"
            regex += re.escape(text)
            directives += text.replace("%", "%%")
            continue
        if other is not None:
            regex += re.escape(other)
            directives += other.replace("%", "%%")
            continue
        run = match.group(0)
        if run[0] == "S":  # fraction of a second: as many digits as letters
            regex += rf"\d{{{len(run)}}}"
            exact = False
            continue
        key = run if run in _LETTERS else run[: max(1, min(len(run), 4))]
        while key not in _LETTERS and len(key) > 1:
            key = key[:-1]
        part, directive = _LETTERS.get(key, (re.escape(run), None))
        regex += part
        if directive is None:
            exact = False
        else:
            directives += directive
    return re.compile(regex), directives if exact else None


def matches(kind: str, pattern: str | None, value: str) -> bool:
    """True when `value` is a `kind` (date, time, timestamp) written as `pattern` says."""
    if not pattern:
        regex, directives = compile_pattern(DEFAULTS[kind])
        head = regex.pattern + (_ISO_TAIL if kind != "date" else "")
        if re.fullmatch(head, value) is None:
            return False
        return _valid(value[:10] if kind == "timestamp" else value[:8], kind)
    regex, directives = compile_pattern(pattern)
    if regex.fullmatch(value) is None:
        return False
    if directives is not None:
        try:
            datetime.strptime(value, directives)
        except ValueError:
            return False
    return True


def _valid(head: str, kind: str) -> bool:
    try:
        datetime.strptime(head, "%H:%M:%S" if kind == "time" else "%Y-%m-%d")
    except ValueError:
        return False
    return True
