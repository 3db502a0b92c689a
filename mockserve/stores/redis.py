"""The shared store: state, positions, resources and the journal in Redis (or Valkey).

Every process and instance that names the same store and namespace answers as one
server. Keys live under `mockserve:{namespace}:`:

    state              hash    name -> JSON value
    positions          hash    route -> requests counted (sequence/cycle)
    draws              hash    route -> seeded draws counted (draws.RandomSource)
    resources:{name}   string  the items as a JSON array; absent: the spec's seed data
    journal            zset    "ID\\nJSON" scored by ID, the newest `settings.journal` kept
    journal:id         string  the last entry id (INCR; never reset)
    messages           zset    WebSocket messages as the journal's entries, the newest kept
    messages:id        string  the last message id (INCR; never reset)

A change is an optimistic transaction: WATCH the key, read, run the change, then
MULTI/EXEC, again from the read when another instance wrote the key in between (the
change has no side effects: see `RandomSource.repeatable`). Counters are single INCR/HINCRBY
commands, and a journal entry is written by one Lua script (its id and its place in
one step). Which violations a run had stays with each process (its `--strict` verdict).

A command that cannot reach the store raises `StoreUnavailable` (a 503); redis-py
reconnects on the next command, so the routes answer again once the store is back.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

import redis
from redis.exceptions import RedisError, WatchError

from ..draws import RandomSource
from ..errors import StoreUnavailable
from ..journal import Answer, Entry, Violation, stamped
from ..spec.model import Spec
from .base import Items, Stores
from .messages import Message

T = TypeVar("T")
V = TypeVar("V")
log = logging.getLogger("mockserve")

TRIES = 1000  # attempts of one change under contention before answering 503
CONNECT_SECONDS = 2.0
COMMAND_SECONDS = 5.0
QUIET_SECONDS = 0.25  # after a failed journal write, static routes skip the journal this long

_RECORD = """
local id = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], id, id .. '\\n' .. ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[2]) + 1))
return id
"""


class Connection:
    """The client, the namespace's key prefix, and the translation of failures to 503s."""

    def __init__(self, client: redis.Redis, url: str, namespace: str):
        self.client = client
        self.url = url
        self.prefix = f"mockserve:{namespace}:"
        self.lost_at: float | None = None  # when a command last failed; None once one works

    def key(self, name: str) -> str:
        return self.prefix + name

    @contextmanager
    def reachable(self) -> Iterator[None]:
        """Turn a store that cannot be reached into the 503 of the route that needs it."""
        try:
            yield
        except WatchError:
            raise
        except RedisError as exc:
            self.lost_at = time.monotonic()
            raise StoreUnavailable(f"the store {self.url} is unreachable: {exc}") from None
        self.lost_at = None

    def change(
        self,
        key: str,
        read: Callable[[Any], V],
        write: Callable[[Any, V], None],
        change: Callable[[V], tuple[V | None, T]],
    ) -> T:
        """Read `key`, run `change`, write what it returns (None: nothing), atomically."""
        with self.reachable(), self.client.pipeline() as pipe:
            for _ in range(TRIES):
                try:
                    pipe.watch(key)
                    new, result = change(read(pipe))
                    if new is None:
                        pipe.unwatch()
                        return result
                    pipe.multi()
                    write(pipe, new)
                    pipe.execute()
                    return result
                except WatchError:
                    continue  # another instance wrote first: read again
            raise StoreUnavailable(f"the store {self.url} is too busy: {key} kept changing")


class _Loaded(Mapping[str, Any]):
    """A snapshot read from the store when a template first looks at it, then kept."""

    def __init__(self, load: Callable[[], dict[str, Any]]):
        self._load = load
        self._value: dict[str, Any] | None = None

    def _values(self) -> dict[str, Any]:
        if self._value is None:
            self._value = self._load()
        return self._value

    def __getitem__(self, name: str) -> Any:
        return self._values()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values())

    def __len__(self) -> int:
        return len(self._values())

    def __str__(self) -> str:  # `{{ state }}` inside text reads as JSON, as with a dict
        return json.dumps(self._values(), ensure_ascii=False)


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


class RedisState:
    def __init__(self, connection: Connection):
        self.connection = connection
        self.key = connection.key("state")

    def _read(self, client: Any) -> dict[str, Any]:
        with self.connection.reachable():
            raw = client.hgetall(self.key)
        return {name.decode(): json.loads(value) for name, value in raw.items()}

    def snapshot(self) -> Mapping[str, Any]:
        return _Loaded(lambda: self._read(self.connection.client))

    def change(self, change: Callable[[Mapping[str, Any]], tuple[dict[str, Any], T]]) -> T:
        def write(pipe: Any, updates: dict[str, Any]) -> None:
            pipe.hset(self.key, mapping={name: _dump(value) for name, value in updates.items()})

        def updates(values: dict[str, Any]) -> tuple[dict[str, Any] | None, T]:
            changed, result = change(values)
            return changed or None, result

        return self.connection.change(self.key, self._read, write, updates)

    def reset(self) -> None:
        with self.connection.reachable():
            self.connection.client.delete(self.key)


class RedisCounter:
    """Counts per name in one hash (sequence positions; seeded draws)."""

    def __init__(self, connection: Connection, name: str):
        self.connection = connection
        self.key = connection.key(name)

    def next(self, route: str) -> int:
        with self.connection.reachable():
            return int(self.connection.client.hincrby(self.key, route, 1)) - 1

    def reset(self) -> None:
        with self.connection.reachable():
            self.connection.client.delete(self.key)


class RedisResources:
    """Each resource's items as one JSON array; a missing key means the seed data."""

    def __init__(self, connection: Connection, seeds: dict[str, tuple[Any, ...]]):
        self.connection = connection
        self._seeds = {name: _dump(list(data)) for name, data in seeds.items()}
        self._keys = {name: connection.key(f"resources:{name}") for name in seeds}

    def _decode(self, name: str, raw: bytes | str | None) -> Items:
        return json.loads(raw if raw is not None else self._seeds[name])

    def items(self, name: str) -> Items:
        with self.connection.reachable():
            raw = self.connection.client.get(self._keys[name])
        return self._decode(name, raw)

    def _read_all(self) -> dict[str, Items]:
        names = list(self._keys)
        if not names:
            return {}
        with self.connection.reachable():
            raws = self.connection.client.mget([self._keys[name] for name in names])
        return {name: self._decode(name, raw) for name, raw in zip(names, raws, strict=True)}

    def snapshot(self) -> Mapping[str, Items]:
        return _Loaded(self._read_all)

    def change(self, name: str, change: Callable[[Items], tuple[Items | None, T]]) -> T:
        key = self._keys[name]

        def read(pipe: Any) -> Items:
            return self._decode(name, pipe.get(key))

        def write(pipe: Any, items: Items) -> None:
            pipe.set(key, _dump(items))

        return self.connection.change(key, read, write, change)

    def reset(self) -> None:
        if self._keys:
            with self.connection.reachable():
                self.connection.client.delete(*self._keys.values())


class RedisJournal:
    """Entries every instance writes and reads; ids from one counter, so `since` works."""

    def __init__(self, connection: Connection, size: int = 1000):
        self.connection = connection
        self.size = max(size, 0)
        self.key = connection.key("journal")
        self.id_key = connection.key("journal:id")
        self._record = connection.client.register_script(_RECORD)
        self._lock = threading.Lock()
        self._violations: list[Violation] = []
        self.requests_seen = 0

    def record(self, violation: Violation | None = None, **fields: Any) -> Entry:
        fields = stamped(fields)
        with self._lock:
            self.requests_seen += 1
            if violation is not None:
                self._violations.append(violation)
        return Entry(id=self._write(fields), **fields)

    def _write(self, fields: dict[str, Any]) -> int:
        """The entry's id; 0 when the store is lost (the answer goes out all the same)."""
        connection = self.connection
        lost_at = connection.lost_at
        if lost_at is not None and time.monotonic() - lost_at < QUIET_SECONDS:
            return 0  # lost a moment ago: a static route does not wait for it again
        try:
            with connection.reachable():
                return int(
                    self._record(
                        keys=[self.key, self.id_key], args=[dump_fields(fields), self.size]
                    )
                )
        except StoreUnavailable as exc:
            if lost_at is None:
                log.warning("journal: %s; entries are lost until it answers", exc)
            return 0

    def entries(self) -> list[Entry]:
        with self.connection.reachable():
            raw = self.connection.client.zrange(self.key, 0, -1)
        return [load_entry(member) for member in raw]  # type: ignore[arg-type]  # bytes

    def violations(self) -> list[Violation]:
        with self._lock:
            return list(self._violations)

    def violated(self, violation: Violation) -> None:
        with self._lock:
            self._violations.append(violation)

    def clear(self) -> None:
        with self.connection.reachable():
            self.connection.client.delete(self.key)


class RedisMessages:
    """WebSocket messages every instance writes and reads (`GET {admin}/websockets`).

    Written by the journal's script, from the event loop that serves the socket: one
    round trip to a store on this machine or network. Lost, the message goes out all the
    same and is missing from the journal (logged once).
    """

    def __init__(self, connection: Connection, size: int = 1000):
        self.connection = connection
        self.size = max(size, 0)
        self.key = connection.key("messages")
        self.id_key = connection.key("messages:id")
        self._record = connection.client.register_script(_RECORD)
        self._warned = False

    def record(self, **fields: Any) -> Message:
        fields = stamped(fields)
        message_id = 0
        try:
            with self.connection.reachable():
                message_id = int(
                    self._record(keys=[self.key, self.id_key], args=[_dump(fields), self.size])
                )
            self._warned = False
        except StoreUnavailable as exc:
            if not self._warned:
                log.warning("websocket messages: %s; they are lost until it answers", exc)
            self._warned = True
        return Message(id=message_id, **fields)

    def messages(self) -> list[Message]:
        with self.connection.reachable():
            raw = self.connection.client.zrange(self.key, 0, -1)
        return [_load_message(member) for member in raw]  # type: ignore[arg-type]  # bytes

    def clear(self) -> None:
        with self.connection.reachable():
            self.connection.client.delete(self.key)


def _load_message(member: bytes) -> Message:
    message_id, _, text = member.partition(b"\n")
    return Message(id=int(message_id), **json.loads(text))


# -- entries as JSON --------------------------------------------------------------------


def dump_fields(fields: dict[str, Any]) -> str:
    """An entry's fields but its id as JSON (the answer's body bytes in base64)."""
    shown = dict(fields)
    answer = shown.get("response")
    if answer is not None:
        shown["response"] = {
            "status": answer.status,
            "headers": answer.headers,
            "body": base64.b64encode(answer.body).decode("ascii"),
            "content_type": answer.content_type,
            "truncated": answer.truncated,
        }
    return _dump(shown)


def dump_entry(entry: Entry) -> bytes:
    """An entry as the store keeps it: `ID\\nJSON`."""
    fields = {name: getattr(entry, name) for name in entry.__dataclass_fields__ if name != "id"}
    return f"{entry.id}\n{dump_fields(fields)}".encode()


def load_entry(member: bytes) -> Entry:
    """The entry `dump_entry` (or the journal's script) wrote."""
    entry_id, _, text = member.partition(b"\n")
    fields = json.loads(text)
    answer = fields.get("response")
    if answer is not None:
        fields["response"] = Answer(
            answer["status"],
            answer["headers"],
            base64.b64decode(answer["body"]),
            answer["content_type"],
            answer["truncated"],
        )
    return Entry(id=int(entry_id), **fields)


# -- opening ----------------------------------------------------------------------------


def connect(url: str) -> redis.Redis:
    """A client for `url`, checked with a PING (StoreUnavailable when nothing answers)."""
    try:
        client = redis.Redis.from_url(
            url, socket_connect_timeout=CONNECT_SECONDS, socket_timeout=COMMAND_SECONDS
        )
    except ValueError as exc:
        raise StoreUnavailable(f"the store URL {url!r} is not valid: {exc}") from None
    try:
        client.ping()
    except RedisError as exc:
        raise StoreUnavailable(f"the store {url} is unreachable: {exc}") from None
    return client


def redis_stores(spec: Spec, url: str) -> Stores:
    """The stores of a mock kept in Redis at `url`, shared with every instance of it."""
    connection = Connection(connect(url), url, spec.settings.namespace or spec.title)
    return Stores(
        state=RedisState(connection),
        positions=RedisCounter(connection, "positions"),
        resources=RedisResources(connection, {r.name: r.data for r in spec.resources}),
        journal=RedisJournal(connection, spec.settings.journal),
        messages=RedisMessages(connection, spec.settings.journal),
        random=RandomSource(spec.settings.seed, counter=RedisCounter(connection, "draws")),
        shared=True,
    )
