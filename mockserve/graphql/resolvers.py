"""The mock's own resolvers: every field's value from `data`, `mocks` or the seed.

A field's value is, in order: what its parent object was given (an operation's `data`,
or the value a mock gave the parent), its `Type.field` mock, a mock of an interface the
type implements, else one generated for its type: scalars by type (and field name),
enum values from the enum, lists of `list_length`, one concrete type for an interface or
union, custom scalars as text. Every draw comes from the request's seeded source, and
graphql-core runs resolvers in query order, so a seed repeats the same answer.
"""

from __future__ import annotations

import datetime as _dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLAbstractType,
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLSchema,
    is_abstract_type,
)

from ..spec.endpoints import GraphQLEndpoint

MISSING: Any = object()
TYPENAME = "__typename"
# Generated list items one answer may hold: nested lists multiply (3 levels of 3 are 27,
# 15 levels would be millions), so past this a generated list is empty, as any list may be.
MAX_GENERATED_ITEMS = 10_000


@dataclass
class Answering:
    """One operation being answered: what resolvers read from graphql-core's `context`."""

    endpoint: GraphQLEndpoint
    context: dict[str, Any]  # what templates see (request, state, helpers, variables, ...)
    rng: random.Random
    fake: Any  # Faker, drawing from the request's source
    generated: int = 0  # list items generated so far (bounded by MAX_GENERATED_ITEMS)


def resolve_field(parent: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
    """graphql-core's `field_resolver` for every field of the schema."""
    answering: Answering = info.context
    given = parent if isinstance(parent, dict) else {}
    name = info.field_name
    value = given.get(name, MISSING)
    if value is MISSING:
        value = _mocked(answering, info.parent_type, name, given, args)
    return fill(answering, info.return_type, value, name)


def resolve_type(value: Any, info: GraphQLResolveInfo, abstract: GraphQLAbstractType) -> Any:
    """graphql-core's `type_resolver`: `fill` has put the concrete type in the value."""
    return value.get(TYPENAME) if isinstance(value, dict) else None


def _mocked(
    answering: Answering, parent_type: GraphQLObjectType, name: str, given: dict, args: dict
) -> Any:
    fields = answering.endpoint.mocks.fields
    if not fields:
        return MISSING
    template = fields.get((parent_type.name, name))
    if template is None:
        for interface in parent_type.interfaces:
            template = fields.get((interface.name, name))
            if template is not None:
                break
    if template is None:
        return MISSING
    seen = {**answering.context, "args": args, "parent": given}
    return template.render(seen)


def fill(answering: Answering, type_: Any, value: Any, name: str) -> Any:
    """`value` shaped for `type_`, one level deep: what is missing is generated."""
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if value is None:
        return None
    if isinstance(type_, GraphQLList):
        if value is MISSING:
            low, high = answering.endpoint.list_length
            length = answering.rng.randint(low, high)
            if answering.generated + length > MAX_GENERATED_ITEMS:
                length = 0
            answering.generated += length
            value = [MISSING] * length
        elif not isinstance(value, list):
            return value  # graphql-core reports what is not a list
        return [fill(answering, type_.of_type, item, name) for item in value]
    if isinstance(type_, GraphQLObjectType):
        return {} if value is MISSING else value
    if is_abstract_type(type_):
        given = {} if value is MISSING else value
        if isinstance(given, dict) and TYPENAME not in given:
            schema: GraphQLSchema = answering.endpoint.schema
            options = schema.get_possible_types(type_)
            given = {**given, TYPENAME: options[answering.rng.randrange(len(options))].name}
        return given
    if value is not MISSING:
        return value
    mock = answering.endpoint.mocks.types.get(type_.name)
    if mock is not None:
        return mock.render(answering.context)
    if isinstance(type_, GraphQLEnumType):
        names = list(type_.values)
        return names[answering.rng.randrange(len(names))]
    assert isinstance(type_, GraphQLScalarType)
    return scalar(answering, type_.name, name)


def scalar(answering: Answering, type_name: str, field_name: str) -> Any:
    """A value of a scalar type; text that looks like what the field's name says."""
    rng = answering.rng
    if type_name == "Int":
        return rng.randint(0, 1000)
    if type_name == "Float":
        return round(rng.uniform(0, 1000), 2)
    if type_name == "Boolean":
        return rng.random() < 0.5
    if type_name == "ID":
        return f"{rng.getrandbits(128):032x}"
    lower = field_name.lower()
    by_type = _BY_TYPE.get(type_name.lower())
    if by_type is not None:
        return by_type(answering.fake)
    for hint, make in _BY_NAME:
        if hint in lower:
            return make(answering.fake)
    return answering.fake.sentence(nb_words=3).rstrip(".")


Make = Callable[[Any], Any]

# Moments between 2000-01-01 and 2030-01-01, from the request's source: Faker's own dates
# end "now", so a seeded answer would change as the clock moves.
_FIRST, _LAST = 946684800, 1893456000


def _moment(fake: Any) -> _dt.datetime:
    seconds = fake.random_int(_FIRST, _LAST)
    return _dt.datetime.fromtimestamp(seconds, _dt.timezone.utc).replace(tzinfo=None)


# Custom scalars whose name says what they hold (GitHub's DateTime, URI, HTML, ...).
_BY_TYPE: dict[str, Make] = {
    "datetime": lambda fake: _moment(fake).isoformat() + "Z",
    "precisedatetime": lambda fake: _moment(fake).isoformat() + ".000Z",
    "date": lambda fake: _moment(fake).date().isoformat(),
    "time": lambda fake: _moment(fake).time().isoformat(),
    "uri": lambda fake: fake.url(),
    "url": lambda fake: fake.url(),
    "email": lambda fake: fake.email(),
    "html": lambda fake: f"<p>{fake.sentence()}</p>",
    "uuid": lambda fake: fake.uuid4(),
    "gitobjectid": lambda fake: fake.sha1(),
    "bigint": lambda fake: str(fake.random_int(0, 10**12)),
}

# String fields whose name says what they hold, first match wins.
_BY_NAME: tuple[tuple[str, Make], ...] = (
    ("email", lambda fake: fake.email()),
    ("url", lambda fake: fake.url()),
    ("firstname", lambda fake: fake.first_name()),
    ("lastname", lambda fake: fake.last_name()),
    ("username", lambda fake: fake.user_name()),
    ("login", lambda fake: fake.user_name()),
    ("name", lambda fake: fake.name()),
    ("title", lambda fake: fake.sentence(nb_words=4).rstrip(".")),
    ("description", lambda fake: fake.paragraph(nb_sentences=2)),
    ("phone", lambda fake: fake.phone_number()),
    ("city", lambda fake: fake.city()),
    ("country", lambda fake: fake.country()),
    ("address", lambda fake: fake.address().replace("\n", ", ")),
    ("color", lambda fake: fake.hex_color()),
    ("createdat", _BY_TYPE["datetime"]),
    ("updatedat", _BY_TYPE["datetime"]),
    ("date", _BY_TYPE["date"]),
)
