"""Scalar values a schema accepts: strings by format, pattern and length; numbers by bounds.

Formats come from a table of well-formed spellings (padded or cut only where the format
allows); patterns are drawn by rstr within the length limits, bounded in tries, so no
pattern can make a document slow to load.
"""

from __future__ import annotations

import base64
import itertools
import random
import re
import string
import uuid
from typing import Any

import rstr


class CannotGenerate(Exception):
    """No value fits (e.g. `false`, or a required property that only recurses)."""


_FORMATS: dict[str, Any] = {
    "date-time": "2024-01-15T09:30:00Z",
    "date": "2024-01-15",
    "time": "09:30:00Z",
    "duration": "P1D",
    "email": "user@example.com",
    "idn-email": "user@example.com",
    "hostname": "example.com",
    "idn-hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uri": "https://example.com/resource",
    "url": "https://example.com/resource",
    "iri": "https://example.com/resource",
    "uri-reference": "/resource",
    "iri-reference": "/resource",
    "uri-template": "https://example.com/{id}",
    "json-pointer": "/resource",
    "relative-json-pointer": "0",
    "regex": "^[a-z]+$",
    "byte": base64.b64encode(b"mockserve").decode(),
    "binary": "mockserve",
    "password": "secret-password",
    "phone-number": "+15555550100",
    "date-time-rfc-2822": "Mon, 15 Jan 2024 09:30:00 +0000",
    "http-method": "GET",
    "int-or-string": "1",
}


# More spellings of a format, for length limits the first does not fit; formats with a
# strict syntax are never padded or cut (a padded uuid is no uuid).
_MORE_SPELLINGS: dict[str, tuple[str, ...]] = {
    "date-time": ("2024-01-15T09:30:00.000Z", "2024-01-15T09:30:00.000000+00:00"),
    "time": ("09:30:00.000Z", "09:30:00.000000+00:00"),
    "email": ("a@b.io",),
    "uri": ("https://a.io",),
    "url": ("https://a.io",),
    "hostname": ("a.io",),
    "ipv6": ("::1",),
    "duration": ("P1Y2M3DT4H5M6S",),
}
_STRICT = {
    "uuid",
    "date",
    "date-time",
    "time",
    "duration",
    "ipv4",
    "ipv6",
    "byte",
    "regex",
    "json-pointer",
    "relative-json-pointer",
}
_PADDING = {  # where text can grow without breaking the format
    "email": lambda text, n: "x" * n + text,
    "idn-email": lambda text, n: "x" * n + text,
    "hostname": lambda text, n: "x" * n + text if n < 60 else None,
    "uri": lambda text, n: text + "/" + "x" * (n - 1),
    "url": lambda text, n: text + "/" + "x" * (n - 1),
    "iri": lambda text, n: text + "/" + "x" * (n - 1),
}
# What `.` and negated sets draw from: printable text without line breaks or tabs,
# which no header can carry and few patterns mean.
_PRINTABLE = string.ascii_letters + string.digits + string.punctuation + " "


def format_spelling(fmt: Any) -> str | None:
    """A well-formed value of a known string format (a fixed uuid for `uuid`), or None."""
    if fmt == "uuid":
        return "00000000-0000-4000-8000-000000000000"
    return _FORMATS.get(fmt) if isinstance(fmt, str) else None


class _Xeger(rstr.Rstr):
    """rstr's regex reverser, with repeats bounded per call and no control characters."""

    def __init__(self, rng: random.Random):
        super().__init__(rng, whitespace=" ")
        self.repeat_limit = 10
        self._cases = {
            **self._cases,
            "any": lambda x: self._random.choice(_PRINTABLE),
            "not_literal": lambda x: self._random.choice(_PRINTABLE.replace(chr(x), "")),
        }

    def _handle_in(self, value: Any) -> Any:
        candidates = list(itertools.chain(*(self._handle_state(i) for i in value)))
        if candidates and candidates[0] is False:
            candidates = sorted(set(_PRINTABLE).difference(candidates[1:]))
        return self._random.choice(candidates)

    def _handle_repeat(self, start_range: int, end_range: int, value: Any) -> str:
        times = self._random.randint(
            start_range, max(start_range, min(end_range, self.repeat_limit))
        )
        return "".join("".join(self._handle_state(i) for i in value) for _ in range(times))


# The longest repeat a pattern is drawn with: only `minLength` asks for long repeats,
# and a few thousand characters is all any answer needs (a PEM pattern with maxLength
# 32768 drawn at that length made a document take minutes to load).
MAX_REPEAT = 1000


class ScalarValues:
    """Draws strings and numbers from one seeded source."""

    def __init__(self, rng: random.Random):
        self.random = rng
        self.rstr = _Xeger(rng)

    def _number(self, schema: dict[str, Any], *, integer: bool) -> int | float:
        low = schema.get("minimum")
        high = schema.get("maximum")
        xlow = schema.get("exclusiveMinimum")
        xhigh = schema.get("exclusiveMaximum")
        step = schema.get("multipleOf")
        if isinstance(xlow, (int, float)) and not isinstance(xlow, bool):
            low = (
                max(low, xlow + (1 if integer else 1e-6))
                if isinstance(low, (int, float))
                else xlow + (1 if integer else 1e-6)
            )
        if isinstance(xhigh, (int, float)) and not isinstance(xhigh, bool):
            high = (
                min(high, xhigh - (1 if integer else 1e-6))
                if isinstance(high, (int, float))
                else xhigh - (1 if integer else 1e-6)
            )
        given_low = low if isinstance(low, (int, float)) else None
        given_high = high if isinstance(high, (int, float)) else None
        if given_low is None and given_high is None:
            low, high = 1, 100
        elif given_low is None:
            assert given_high is not None
            high = given_high
            low = max(high - 100, 0) if high >= 0 else high - 100
        elif given_high is None:
            low, high = given_low, given_low + 100
        else:
            low, high = given_low, given_high
        if low <= 1 and high >= 100:  # wide bounds (int32, int64): a friendly small number
            low, high = 1, 100
        if integer:
            import math

            low_i, high_i = math.ceil(low), math.floor(high)
            if low_i > high_i:
                raise CannotGenerate("no integer in range")
            if isinstance(step, (int, float)) and step > 0:
                first = math.ceil(low_i / step) * step
                if first > high_i:
                    raise CannotGenerate("no multiple in range")
                return int(first)
            return self.random.randint(low_i, min(high_i, low_i + 1000))
        if isinstance(step, (int, float)) and step > 0:
            import math

            return math.ceil(low / step) * step
        return round(self.random.uniform(low, high), 2) if high - low > 0.02 else low

    def _string(self, schema: dict[str, Any]) -> str:
        low = schema.get("minLength", 0) if isinstance(schema.get("minLength"), int) else 0
        high = schema.get("maxLength") if isinstance(schema.get("maxLength"), int) else None
        pattern = schema.get("pattern")
        fmt = schema.get("format")

        def fits(text: str) -> bool:
            return low <= len(text) <= (high if high is not None else len(text)) and (
                not isinstance(pattern, str) or re.search(pattern, text) is not None
            )  # a body string may hold a line feed; header values are checked where sent

        spellings = self._spellings(fmt)
        for text in spellings:  # the format's own spelling, when the pattern takes it
            if fits(text):
                return text
        if isinstance(pattern, str):
            return self._patterned(pattern, low, high, fits)
        if fmt in _STRICT:
            raise CannotGenerate(f"no {fmt} is {low} to {high} characters long")
        text = spellings[0] if spellings else "string"
        pad = _PADDING.get(fmt) if fmt else None
        if len(text) < low:
            padded = pad(text, low - len(text)) if pad else text + "x" * (low - len(text))
            if padded is None:
                raise CannotGenerate(f"no {fmt} is {low} characters long")
            text = padded
        if high is not None and len(text) > high:
            if fmt in _FORMATS:
                raise CannotGenerate(f"no {fmt} fits in {high} characters")
            text = text[:high]
        return text

    def _spellings(self, fmt: Any) -> list[str]:
        if fmt == "uuid":
            return [str(uuid.UUID(int=self.random.getrandbits(128), version=4))]
        if fmt in _FORMATS:
            return [_FORMATS[fmt], *_MORE_SPELLINGS.get(fmt, ())]
        return []

    def _patterned(self, pattern: str, low: int, high: int | None, fits: Any) -> str:
        """A string matching `pattern` within the length limits: short repeats first, then
        repeats as long as `minLength` asks for (up to MAX_REPEAT), until one fits; a
        bounded number of tries."""
        limits = [10, 1, max(low, 1), max(low * 2, 2), 100]
        for limit in dict.fromkeys(min(limit, MAX_REPEAT) for limit in limits):
            self.rstr.repeat_limit = limit
            for _ in range(12):
                try:
                    text = self.rstr.xeger(pattern)
                except Exception:  # noqa: BLE001 - rstr fails on some regex features
                    raise CannotGenerate(f"cannot make a string matching {pattern!r}") from None
                if fits(text):
                    return text
                if low and len(text) < low and re.search(pattern, text + "x" * (low - len(text))):
                    padded = text + "x" * (low - len(text))  # an unanchored end takes more
                    if fits(padded):
                        return padded
        raise CannotGenerate(f"cannot make a string matching {pattern!r}")
