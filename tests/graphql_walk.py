"""Queries made from a GraphQL schema, and answers checked by walking query and schema.

The check is independent of graphql-core's execution: it reads the query's own syntax
tree and the schema's types, and asks of each value in an answer what the GraphQL
specification asks (non-null not null, lists as lists, scalars of their type, enum values
from the enum, objects holding exactly the fields selected, `__typename` a type the
field can be).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
    parse,
)


def find_corpus() -> Path | None:
    """shared/corpus/graphql beside the clone (CI) or above the worktree."""
    here = Path(__file__).resolve().parent
    for folder in (here, *here.parents):
        candidate = folder / "shared" / "corpus" / "graphql"
        if candidate.is_dir():
            return candidate
    return None


class QueryMaker:
    """Valid queries for a schema's root fields: a few fields a level, fragments on
    abstract types (each field aliased by its type, so fragments never conflict)."""

    def __init__(self, schema: GraphQLSchema, seed: int = 1, width: int = 4, depth: int = 3):
        self.schema = schema
        self.rng = random.Random(seed)
        self.width = width
        self.depth = depth

    def operation(self, kind: str, field_name: str) -> str:
        root = self.schema.query_type if kind == "query" else self.schema.mutation_type
        assert root is not None
        field = root.fields[field_name]
        return f"{kind} {{ {self.field(field_name, field, self.depth)} }}"

    def field(self, name: str, field: Any, depth: int, alias: str | None = None) -> str:
        args = [
            f"{arg_name}: {self.value(arg.type, 3)}"
            for arg_name, arg in field.args.items()
            if isinstance(arg.type, GraphQLNonNull) and arg.default_value is _undefined()
        ]
        text = (f"{alias}: " if alias else "") + name + (f"({', '.join(args)})" if args else "")
        return text + self.selection(get_named_type(field.type), depth - 1)

    def selection(self, named: Any, depth: int) -> str:
        if is_leaf_type(named):
            return ""
        if depth <= 0:
            return " { __typename }"
        if is_abstract_type(named):
            options = list(self.schema.get_possible_types(named))
            picked = self.rng.sample(options, min(2, len(options)))
            fragments = [
                f"... on {t.name} {{ {self.fields(t, depth, prefix=t.name + '_')} }}"
                for t in picked
            ]
            return " { __typename " + " ".join(fragments) + " }"
        return " { " + self.fields(named, depth) + " }"

    def fields(self, named: GraphQLObjectType, depth: int, prefix: str = "") -> str:
        names = list(named.fields)
        leaves = [n for n in names if is_leaf_type(get_named_type(named.fields[n].type))]
        composite = [n for n in names if n not in leaves]
        chosen = self.rng.sample(leaves, min(self.width, len(leaves)))
        chosen += self.rng.sample(composite, min(2, len(composite)))
        parts = ["__typename"] + [
            self.field(n, named.fields[n], depth, alias=prefix + n if prefix else None)
            for n in chosen
        ]
        return " ".join(parts)

    def value(self, type_: Any, depth: int) -> str:
        if isinstance(type_, GraphQLNonNull):
            return self.value(type_.of_type, depth)
        if isinstance(type_, GraphQLList):
            return f"[{self.value(type_.of_type, depth)}]"
        if isinstance(type_, GraphQLEnumType):
            return next(iter(type_.values))
        if isinstance(type_, GraphQLInputObjectType):
            required = [
                f"{name}: {self.value(f.type, depth - 1)}"
                for name, f in type_.fields.items()
                if isinstance(f.type, GraphQLNonNull) and f.default_value is _undefined()
            ]
            return "{" + ", ".join(required) + "}"
        return {"Int": "1", "Float": "1.5", "Boolean": "true"}.get(type_.name, '"1"')


def _undefined() -> Any:
    from graphql.pyutils import Undefined

    return Undefined


class AnswerCheck:
    """Every way an answer's `data` departs from what the query and schema say."""

    def __init__(self, schema: GraphQLSchema, query: str):
        self.schema = schema
        self.document = parse(query)
        self.fragments = {
            d.name.value: d
            for d in self.document.definitions
            if isinstance(d, FragmentDefinitionNode)
        }
        self.problems: list[str] = []

    def data(self, root: GraphQLObjectType, data: Any) -> list[str]:
        operation = next(d for d in self.document.definitions if hasattr(d, "operation"))
        self.object(root, operation.selection_set, data, "data")
        return self.problems

    def value(self, type_: Any, selection: SelectionSetNode | None, value: Any, at: str) -> None:
        if isinstance(type_, GraphQLNonNull):
            if value is None:
                self.problems.append(f"{at}: null for non-null {type_}")
                return
            type_ = type_.of_type
        if value is None:
            return
        if isinstance(type_, GraphQLList):
            if not isinstance(value, list):
                self.problems.append(f"{at}: {type_} answered with {json.dumps(value)[:60]}")
                return
            for index, item in enumerate(value):
                self.value(type_.of_type, selection, item, f"{at}[{index}]")
            return
        if isinstance(type_, GraphQLEnumType):
            if value not in type_.values:
                self.problems.append(f"{at}: {value!r} is not a value of {type_.name}")
            return
        if isinstance(type_, GraphQLScalarType):
            if not _fits_scalar(type_.name, value):
                self.problems.append(f"{at}: {value!r} is not a {type_.name}")
            return
        concrete = type_
        if is_abstract_type(type_):
            name = value.get("__typename") if isinstance(value, dict) else None
            possible = {t.name for t in self.schema.get_possible_types(type_)}
            if name not in possible:
                self.problems.append(f"{at}: __typename {name!r} is not a {type_.name}")
                return
            concrete = self.schema.type_map[name]
        assert selection is not None
        self.object(concrete, selection, value, at)

    def object(self, type_: GraphQLObjectType, selection: SelectionSetNode, value: Any, at: str):
        if not isinstance(value, dict):
            self.problems.append(f"{at}: {type_.name} answered with {json.dumps(value)[:60]}")
            return
        wanted: dict[str, list[FieldNode]] = {}
        self.collect(type_, selection, wanted)
        if set(value) != set(wanted):
            self.problems.append(f"{at}: keys {sorted(value)} but selected {sorted(wanted)}")
        for key, nodes in wanted.items():
            if key not in value:
                continue
            name = nodes[0].name.value
            if name == "__typename":
                if value[key] != type_.name:
                    self.problems.append(f"{at}.{key}: {value[key]!r}, not {type_.name!r}")
                continue
            field = type_.fields[name]
            merged = [
                s for node in nodes if node.selection_set for s in node.selection_set.selections
            ]
            sub = SelectionSetNode(selections=tuple(merged)) if merged else None
            self.value(field.type, sub, value[key], f"{at}.{key}")

    def collect(self, type_: GraphQLObjectType, selection: SelectionSetNode, wanted: dict) -> None:
        for node in selection.selections:
            if isinstance(node, FieldNode):
                key = (node.alias or node.name).value
                wanted.setdefault(key, []).append(node)
            elif isinstance(node, InlineFragmentNode):
                if node.type_condition is None or self.applies(
                    node.type_condition.name.value, type_
                ):
                    self.collect(type_, node.selection_set, wanted)
            elif isinstance(node, FragmentSpreadNode):
                fragment = self.fragments[node.name.value]
                if self.applies(fragment.type_condition.name.value, type_):
                    self.collect(type_, fragment.selection_set, wanted)

    def applies(self, condition: str, type_: GraphQLObjectType) -> bool:
        target = self.schema.type_map[condition]
        if target is type_:
            return True
        return is_abstract_type(target) and self.schema.is_sub_type(target, type_)  # type: ignore[arg-type]


def _fits_scalar(name: str, value: Any) -> bool:
    if name == "Int":
        return isinstance(value, int) and not isinstance(value, bool) and -(2**31) <= value < 2**31
    if name == "Float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if name == "Boolean":
        return isinstance(value, bool)
    return isinstance(value, str)  # String, ID (always sent as text), custom scalars
