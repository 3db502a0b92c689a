"""Check a GraphQL endpoint's `mocks` against its schema: names exist, values fit types.

Only what is fixed at load is checked here (a template's value is known only when it
renders; then graphql-core's own serialization refuses what does not fit). Every
mistake is a (path below the mock, message) pair; the loader locates it in the YAML.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, NamedTuple

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
)
from graphql.pyutils.suggestion_list import LexicalDistance


class Mistake(NamedTuple):
    """What is wrong, at which path below the mock; `key`: the name itself is wrong."""

    at: tuple[Any, ...]
    message: str
    key: bool = False


_TEMPLATE = re.compile(r"\{[{%#]")
_INT_RANGE = (-(2**31), 2**31 - 1)


def closest(name: str, options: Iterable[str], count: int = 3) -> list[str]:
    """The `count` options nearest to `name` by GraphQL's own lexical distance."""
    distance = LexicalDistance(name)
    scored = []
    for option in options:
        measured = distance.measure(option, len(option) + len(name))
        scored.append((measured if measured is not None else len(option) + len(name), option))
    return [option for _, option in sorted(scored)[:count]]


def _closest_text(name: str, options: Iterable[str]) -> str:
    names = closest(name, options)
    return f"; closest: {', '.join(names)}" if names else ""


def mock_target(
    schema: GraphQLSchema, key: str
) -> tuple[GraphQLNamedType | None, str | None, str | None]:
    """What a `mocks` key names: (type, field or None, None), or (None, None, why not)."""
    type_name, _, field_name = key.partition(".")
    named = schema.type_map.get(type_name)
    if named is None or type_name.startswith("__"):
        names = [n for n in schema.type_map if not n.startswith("__")]
        return None, None, f"unknown type {type_name!r}{_closest_text(type_name, names)}"
    if isinstance(named, GraphQLInputObjectType):
        return None, None, f"{type_name!r} is an input type: answers never hold it"
    if not field_name:
        if isinstance(named, GraphQLUnionType):
            members = ", ".join(t.name for t in named.types)
            return None, None, f"{type_name!r} is a union: mock its member types ({members})"
        return named, None, None
    if not isinstance(named, (GraphQLObjectType, GraphQLInterfaceType)):
        return None, None, f"{type_name!r} has no fields (it is a {_kind(named)})"
    if field_name not in named.fields:
        hint = _closest_text(field_name, named.fields)
        return None, None, f"type {type_name!r} has no field {field_name!r}{hint}"
    return named, field_name, None


def check_value(schema: GraphQLSchema, type_: GraphQLOutputType, value: Any) -> list[Mistake]:
    """Mistakes of a value written for `type_` (templated strings are checked when rendered)."""
    if isinstance(value, str) and _TEMPLATE.search(value):
        return []
    if isinstance(type_, GraphQLNonNull):
        if value is None:
            return [Mistake((), f"null for the non-null type {type_}")]
        return check_value(schema, type_.of_type, value)
    if value is None:
        return []
    if isinstance(type_, GraphQLList):
        if not isinstance(value, list):
            return [Mistake((), f"{type_} is a list; got {_shown(value)}")]
        return [
            m._replace(at=(index, *m.at))
            for index, item in enumerate(value)
            for m in check_value(schema, type_.of_type, item)
        ]
    if isinstance(type_, (GraphQLObjectType, GraphQLInterfaceType, GraphQLUnionType)):
        return check_fields(schema, type_, value)
    if isinstance(type_, GraphQLEnumType):
        if value not in type_.values:
            hint = _closest_text(str(value), type_.values)
            return [Mistake((), f"{_shown(value)} is not a value of the enum {type_.name}{hint}")]
        return []
    assert isinstance(type_, GraphQLScalarType)
    why = _scalar_mistake(type_.name, value)
    return [Mistake((), why)] if why else []


def check_fields(
    schema: GraphQLSchema,
    type_: GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType,
    value: Any,
) -> list[Mistake]:
    """Mistakes of an object's values: a mapping of its own fields, each fitting its type."""
    if not isinstance(value, dict):
        message = f"{type_.name} is an object: give its fields as a mapping; got {_shown(value)}"
        return [Mistake((), message)]
    mistakes: list[Mistake] = []
    concrete: Any = type_
    typename = value.get("__typename")
    if typename is not None:
        possible = _possible(schema, type_)
        if typename not in possible:
            hint = _closest_text(str(typename), possible)
            message = f"{typename!r} is not a type {type_.name} can be{hint}"
            return [Mistake(("__typename",), message)]
        concrete = schema.type_map[typename]
    if isinstance(concrete, GraphQLUnionType):
        return [Mistake((), f"{type_.name} is a union: say which member with __typename")]
    for name, item in value.items():
        if name == "__typename":
            continue
        field = concrete.fields.get(name)
        if field is None:
            hint = _closest_text(str(name), concrete.fields)
            message = f"type {concrete.name!r} has no field {name!r}{hint}"
            mistakes.append(Mistake((name,), message, key=True))
            continue
        found = check_value(schema, field.type, item)
        mistakes += [m._replace(at=(name, *m.at)) for m in found]
    return mistakes


def _possible(schema: GraphQLSchema, type_: Any) -> list[str]:
    if isinstance(type_, GraphQLObjectType):
        return [type_.name]
    return [t.name for t in schema.get_possible_types(type_)]


def _scalar_mistake(name: str, value: Any) -> str | None:
    if name == "Int":
        if isinstance(value, bool) or not isinstance(value, int):
            return f"Int is a whole number; got {_shown(value)}"
        if not _INT_RANGE[0] <= value <= _INT_RANGE[1]:
            return f"Int is 32 bits; {value} is out of range"
    elif name == "Float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"Float is a number; got {_shown(value)}"
    elif name == "String":
        if not isinstance(value, str):
            return f"String is text; got {_shown(value)} (quote it)"
    elif name == "Boolean":
        if not isinstance(value, bool):
            return f"Boolean is true or false; got {_shown(value)}"
    elif name == "ID":
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            return f"ID is text or a whole number; got {_shown(value)}"
    return None  # a custom scalar: any plain value


def _kind(named: GraphQLNamedType) -> str:
    return "scalar" if isinstance(named, GraphQLScalarType) else "enum"


def _shown(value: Any) -> str:
    kind = {
        bool: "boolean",
        int: "integer",
        float: "number",
        str: "text",
        dict: "a mapping",
        list: "a list",
    }.get(type(value), type(value).__name__)
    return f"{value!r} ({kind})" if not isinstance(value, (dict, list)) else kind
