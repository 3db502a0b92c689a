"""A spec's `websockets`, compiled: paths as rules, every template and `when` parsed at load.

What the format's schema cannot say is checked here and located where it was written:
a bad path, two sockets on one path, a socket under the admin path, a close code no
endpoint may send, a reason too long for a close frame, a step that does nothing,
an `on_message` entry after a catch-all, faults whose rates add up to more than 1.
"""

from __future__ import annotations

from typing import Any

from .answers import Answers
from .build import Build, mapping, sequence
from .endpoints import SocketClose, SocketEvery, SocketFault, SocketStep, WebSocket
from .rules import route_signature, rule_for
from .source import SourceFile, format_path

ACTIONS = ("send", "send_every", "close")
STEP_KEYS = {"when", "delay", *ACTIONS}
REASON_BYTES = 123  # a close frame's payload is 125 bytes, two of them the code


def sendable_close_code(code: int) -> bool:
    """Codes an endpoint may put in a close frame (RFC 6455 7.4, and the 3000-4999 range)."""
    return code in (1000, 1001, 1002, 1003) or 1007 <= code <= 1014 or 3000 <= code <= 4999


class SocketBuilder:
    """Compiles each `websockets` entry with the answers' template compiler."""

    def __init__(self, build: Build):
        self.build = build
        self.answers = Answers(build)
        self.seen: dict[str, str] = {}  # path signature -> FILE:LINE where it came first

    def websockets(self, source: SourceFile, raw: Any) -> tuple[WebSocket, ...]:
        compiled = (
            self.websocket(source, ("websockets", index), item)
            for index, item in enumerate(sequence(raw))
        )
        return tuple(socket for socket in compiled if socket is not None)

    def websocket(self, source: SourceFile, at: tuple, raw: Any) -> WebSocket | None:
        if not isinstance(raw, dict) or not isinstance(raw.get("path"), str):
            return None
        count = len(self.build.problems)
        path = raw["path"]
        rule, _names, path_problems = rule_for(path)
        for message in path_problems:
            self.build.problem(source, at + ("path",), message)
        self._claim(source, at, path)
        on_connect = []
        for index, item in enumerate(sequence(raw.get("on_connect"))):
            where = at + ("on_connect", index)
            # (A step with an unknown key, `sned`, is reported by the format's schema.)
            if isinstance(item, dict) and set(item) <= STEP_KEYS and not set(item) & set(ACTIONS):
                message = "a step does something: send, send_every or close"
                self.build.problem(source, where, message)
            on_connect.append(self.step(source, where, item, when=False))
        on_message = []
        entries = sequence(raw.get("on_message"))
        for index, item in enumerate(entries):
            where = at + ("on_message", index)
            if isinstance(item, dict) and "when" not in item and index < len(entries) - 1:
                self.build.problem(
                    source,
                    where,
                    "only the last on_message entry may omit 'when' (later ones could never "
                    "answer)",
                )
            on_message.append(self.step(source, where, item, when=True))
        faults = self.faults(source, at, sequence(raw.get("faults")))
        if len(self.build.problems) != count:
            return None
        return WebSocket(
            path=path,
            rule=rule,
            subprotocols=tuple(str(p) for p in sequence(raw.get("subprotocols"))),
            on_connect=tuple(s for s in on_connect if s is not None),
            on_message=tuple(s for s in on_message if s is not None),
            faults=faults,
            where=format_path(at),
        )

    def _claim(self, source: SourceFile, at: tuple, path: str) -> None:
        admin = self.build.settings.admin
        if admin and (path == admin or path.startswith(admin + "/")):
            self.build.problem(
                source,
                at + ("path",),
                f"{path!r} is under the admin path {admin!r} (change settings.admin)",
            )
        signature = route_signature(path)
        first = self.seen.get(signature)
        if first is not None:
            message = f"duplicate websocket {path}; first at {first}"
            self.build.problem(source, at + ("path",), message)
        else:
            line = source.locate(at + ("path",))[0]
            self.seen[signature] = f"{source.name}:{line}"

    def step(self, source: SourceFile, at: tuple, raw: Any, *, when: bool) -> SocketStep | None:
        """One thing to do: wait, send, start a timer, close (`when` first, on_message)."""
        if not isinstance(raw, dict):
            return None
        if "when" in raw and not when:
            message = "'when' is for on_message entries; on_connect steps always run"
            self.build.problem(source, at + ("when",), message, key=True)
        send = None
        if "send" in raw:
            self.build.loader.warn_implicit_bools(source, at + ("send",))
            send = self.answers.value(source, at + ("send",), raw["send"])
        return SocketStep(
            delay=self.build.loader.delay(source, at + ("delay",), raw.get("delay")),
            send=send,
            every=self.every(source, at + ("send_every",), raw.get("send_every")),
            close=self.close(source, at + ("close",), raw.get("close")),
            when=self.answers.when(source, at, raw, allow_when=when) if when else None,
            where=format_path(at),
        )

    def every(self, source: SourceFile, at: tuple, raw: Any) -> SocketEvery | None:
        if not isinstance(raw, dict) or "message" not in raw:
            return None
        interval, count = raw.get("interval"), raw.get("count")
        if not isinstance(interval, (int, float)) or isinstance(interval, bool) or interval <= 0:
            return None
        self.build.loader.warn_implicit_bools(source, at + ("message",))
        message = self.answers.value(source, at + ("message",), raw["message"])
        if message is None:
            return None
        return SocketEvery(
            interval=float(interval),
            message=message,
            count=count if isinstance(count, int) and not isinstance(count, bool) else None,
        )

    def close(self, source: SourceFile, at: tuple, raw: Any) -> SocketClose | None:
        if not isinstance(raw, dict):
            return None
        code = mapping(raw).get("code", 1000)
        if isinstance(code, int) and not sendable_close_code(code):
            self.build.problem(
                source,
                at + ("code",),
                f"{code} is not a close code the mock may send "
                "(1000-1003, 1007-1014, or 3000-4999 for your own)",
            )
        reason = None
        if isinstance(raw.get("reason"), str):
            text = raw["reason"]
            if "{" not in text and len(text.encode("utf-8")) > REASON_BYTES:
                self.build.problem(
                    source,
                    at + ("reason",),
                    f"a close reason is at most {REASON_BYTES} bytes as UTF-8; this one is "
                    f"{len(text.encode('utf-8'))}",
                )
            reason = self.answers.value(source, at + ("reason",), text)
        return SocketClose(code=code if isinstance(code, int) else 1000, reason=reason)

    def faults(self, source: SourceFile, at: tuple, raw: list) -> tuple[SocketFault, ...]:
        """Each a rate with `kind: disconnect` or a `close`; the rates add up to 1 at most."""
        faults = []
        total = 0.0
        for index, item in enumerate(raw):
            if not isinstance(item, dict):
                continue
            where = at + ("faults", index)
            rate = item.get("rate", 0)
            total += float(rate) if isinstance(rate, (int, float)) else 0.0
            if ("kind" in item) == ("close" in item):
                self.build.problem(
                    source,
                    where,
                    "a websocket fault is either 'kind: disconnect' or a 'close' with a code",
                )
                continue
            close = self.close(source, where + ("close",), item.get("close"))
            faults.append(SocketFault(float(rate), close))
        if total > 1.000001:
            self.build.problem(
                source, at + ("faults",), f"the fault rates add up to {total:g}, more than 1"
            )
        return tuple(faults)
