"""Jinja2 templates in a sandbox, compiled once at load and rendered per request.

A string that is exactly one ``{{ expression }}`` renders to the expression's value
with its type; any other string renders to text. Request data is only ever passed in
as data: nothing here compiles a string that came from a request.
"""

from __future__ import annotations

import datetime as _dt
import json
import json as _json
import re
import uuid as _uuid
from collections import ChainMap
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol, TypeVar

from jinja2 import ChainableUndefined, TemplateError, Undefined, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment

from .errors import StoreUnavailable, TemplateRenderError

_LONE_EXPRESSION = re.compile(r"^\{\{(?P<expr>(?:(?!\{\{|\}\}|\{%|%\}|\{#).)*)\}\}$", re.DOTALL)
_MARKER = re.compile(r"\{[{%#]")  # `{{`, `{%` or `{#`: one search per leaf of a big spec
T = TypeVar("T")
R = TypeVar("R")


class _StrictSandbox(ImmutableSandboxedEnvironment):
    """A read-only sandbox where an unsafe access fails at once instead of being undefined."""

    def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
        raise SecurityError(
            f"access to attribute {attribute!r} of {type(obj).__name__!r} object is unsafe"
        )


def _as_text(value: Any) -> Any:
    """Print values inside text the way a JSON API would write them, not as Python does."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list, tuple)):
        return _json.dumps(plain(value), ensure_ascii=False)
    return value


@lru_cache(maxsize=1024)
def _pattern(source: str) -> re.Pattern[str]:
    return re.compile(source)


def _matching(value: Any, pattern: str) -> bool:
    """`x is matching("[0-9]+")`: the text holds a match (JavaScript's and JSON Schema's sense).

    Undefined or null never matches. The pattern is a literal of the spec (checked at
    load), never request data.
    """
    if value is None or isinstance(value, Undefined):
        return False
    return _pattern(pattern).search(str(_as_text(value))) is not None


def _environment(*, autoescape: bool) -> SandboxedEnvironment:
    # Read-only: a template reads state and resources, it never changes them behind the lock.
    env = _StrictSandbox(autoescape=autoescape, undefined=ChainableUndefined, finalize=_as_text)
    env.tests["matching"] = _matching
    env.policies["json.dumps_kwargs"] = {"sort_keys": False}
    return env


TEXT_ENV = _environment(autoescape=False)
HTML_ENV = _environment(autoescape=True)


class TemplateSyntaxProblem(ValueError):
    """A template that cannot be compiled; the loader turns it into a spec problem."""


class Value(Protocol):
    """A compiled spec value: render it with a context to get plain data."""

    @property
    def constant(self) -> bool:
        """True when it renders the same whatever the context."""
        ...

    def render(self, context: dict[str, Any]) -> Any: ...


def _with_globals(template: Any, context: dict[str, Any]) -> ChainMap:
    """The names a template sees: the context, then Jinja's globals (range, dict...).

    Rendering with `shared=True` on this view skips the two dict copies per value that
    Template.render makes; the context itself is never written to.
    """
    return ChainMap(context, template.globals)


@dataclass(frozen=True)
class Constant:
    value: Any
    constant: bool = True

    def render(self, context: dict[str, Any]) -> Any:
        return self.value


_DOTTED = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*")
_JINJA_CONSTANTS = frozenset({"true", "false", "none", "True", "False", "None"})


def _dotted(source: str) -> tuple[str, ...] | None:
    """`path.id` as ("path", "id"): an expression looked up without running Jinja."""
    if not _DOTTED.fullmatch(source):
        return None
    names = tuple(source.split("."))
    return None if names[0] in _JINJA_CONSTANTS else names


_COMPARISON = re.compile(
    r"(?P<left>[A-Za-z][A-Za-z0-9_.]*)\s*(?P<op>==|!=)\s*"
    r"(?P<right>'[^'\\]*'|\"[^\"\\]*\"|-?[0-9]+|-?[0-9]+\.[0-9]+|true|false|none|True|False|None)"
)
_WORDS = {"true": True, "false": False, "none": None, "True": True, "False": False, "None": None}


def _comparison(source: str) -> tuple[tuple[str, ...], bool, Any] | None:
    """`query.verbose == '1'` as (("query", "verbose"), True, "1"): compared without Jinja.

    Only a dotted name against one literal (a quoted string without escapes, a number,
    true/false/none), `==` or `!=`: what Jinja compiles to Python's own comparison.
    """
    found = _COMPARISON.fullmatch(source)
    if found is None:
        return None
    names = _dotted(found["left"])
    if names is None:
        return None
    right = found["right"]
    if right in _WORDS:
        value: Any = _WORDS[right]
    elif right[0] in "'\"":
        value = right[1:-1]
    else:
        value = float(right) if "." in right else int(right)
    return names, found["op"] == "==", value


_INTERPOLATION = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


def _interpolation(source: str) -> tuple[str | tuple[str, ...], ...] | None:
    """`text {{ a.b }} more` as ("text ", ("a", "b"), " more"), or None if more than that.

    Only plain text and dotted names qualify, with Jinja's own treatment of the text
    (one trailing newline dropped); anything else renders through Jinja.
    """
    if "\r" in source:
        return None
    if source.endswith("\n"):
        source = source[:-1]
    pieces: list[str | tuple[str, ...]] = []
    position = 0
    for match in _INTERPOLATION.finditer(source):
        names = _dotted(match.group(1))
        if names is None:
            return None
        if match.start() > position:
            pieces.append(source[position : match.start()])
        pieces.append(names)
        position = match.end()
    if position < len(source):
        pieces.append(source[position:])
    if any(
        isinstance(piece, str) and any(m in piece for m in ("{{", "}}", "{%", "{#"))
        for piece in pieces
    ):
        return None
    return tuple(pieces)


@dataclass(frozen=True)
class Expression:
    """A lone ``{{ expr }}`` (or a `when` condition): evaluates to a typed value."""

    source: str
    compiled: Any
    constant: bool = False
    lookup: tuple[str, ...] | None = None  # `a.b.c`, followed as Jinja's sandbox would
    compare: tuple[tuple[str, ...], bool, Any] | None = None  # `a.b == 'x'` (`_comparison`)

    def render(self, context: dict[str, Any]) -> Any:
        compare = self.compare
        if compare is not None and compare[0][0] in context:
            names, equal, literal = compare
            try:
                value = context[names[0]]
                for name in names[1:]:
                    value = self.compiled._template.environment.getattr(value, name)
                # Python's own operators, as Jinja compiles them (Undefined is unequal to all)
                return plain(value == literal) if equal else plain(value != literal)
            except StoreUnavailable:
                raise
            except Exception as exc:
                raise TemplateRenderError(self.source, f"{type(exc).__name__}: {exc}") from exc
        lookup = self.lookup
        if lookup is not None and lookup[0] in context:
            try:
                value = context[lookup[0]]
                for name in lookup[1:]:
                    value = self.compiled._template.environment.getattr(value, name)
                return None if isinstance(value, Undefined) else plain(value)
            except StoreUnavailable:
                raise
            except Exception as exc:  # as below: a value's attribute can raise anything
                raise TemplateRenderError(self.source, f"{type(exc).__name__}: {exc}") from exc
        try:
            # What jinja2's TemplateExpression.__call__ does, without copying the context
            # (and the environment's globals) into a new dict for every value rendered.
            template = self.compiled._template
            frame = template.new_context(_with_globals(template, context), shared=True)
            for _ in template.root_render_func(frame):
                pass
            value = frame.vars["result"]
            return None if isinstance(value, Undefined) else plain(value)
        except TemplateError as exc:
            raise TemplateRenderError(self.source, str(exc)) from exc
        except StoreUnavailable:
            raise
        except Exception as exc:  # a template can raise anything its values raise
            raise TemplateRenderError(self.source, f"{type(exc).__name__}: {exc}") from exc


@dataclass(frozen=True)
class Text:
    """A string with template markup around or between expressions: renders to text."""

    source: str
    compiled: Any
    constant: bool = False
    # "text {{ a.b }} more": literal text and dotted names, joined without running Jinja.
    pieces: tuple[str | tuple[str, ...], ...] | None = None

    def render(self, context: dict[str, Any]) -> str:
        if self.pieces is not None and all(
            isinstance(piece, str) or piece[0] in context for piece in self.pieces
        ):
            try:
                getattr_ = self.compiled.environment.getattr
                parts = []
                for piece in self.pieces:
                    if isinstance(piece, str):
                        parts.append(piece)
                        continue
                    value = context[piece[0]]
                    for name in piece[1:]:
                        value = getattr_(value, name)
                    parts.append(str(_as_text(value)))  # as Jinja's finalize + to_string
                return "".join(parts)
            except StoreUnavailable:
                raise
            except Exception as exc:
                raise TemplateRenderError(self.source, f"{type(exc).__name__}: {exc}") from exc
        try:
            template = self.compiled
            frame = template.new_context(_with_globals(template, context), shared=True)
            return template.environment.concat(template.root_render_func(frame))
        except TemplateError as exc:
            raise TemplateRenderError(self.source, str(exc)) from exc
        except StoreUnavailable:
            raise
        except Exception as exc:
            raise TemplateRenderError(self.source, f"{type(exc).__name__}: {exc}") from exc


@dataclass(frozen=True)
class ListValue:
    items: tuple[Value, ...]
    constant: bool = False

    def render(self, context: dict[str, Any]) -> list[Any]:
        return [item.render(context) for item in self.items]


@dataclass(frozen=True)
class DictValue:
    items: tuple[tuple[str, Value], ...]
    constant: bool = False

    def render(self, context: dict[str, Any]) -> dict[str, Any]:
        return {key: value.render(context) for key, value in self.items}


def _check_safe(source: str, env: SandboxedEnvironment) -> None:
    try:
        tree = env.parse(source)
    except TemplateError as exc:
        raise TemplateSyntaxProblem(f"template syntax error: {exc}") from exc
    for attribute in tree.find_all(nodes.Getattr):
        if attribute.attr.startswith("_"):
            raise TemplateSyntaxProblem(f"unsafe attribute access {attribute.attr!r} in template")
    for constant in tree.find_all(nodes.Const):
        if isinstance(constant.value, str) and constant.value.startswith("__"):
            raise TemplateSyntaxProblem(f"unsafe item access {constant.value!r} in template")
    for test in tree.find_all(nodes.Test):
        if test.name == "matching":
            _check_pattern(test)


def _check_pattern(test: nodes.Test) -> None:
    """A `matching` pattern is one text literal that compiles: never built from request data."""
    if len(test.args) != 1 or test.kwargs or not isinstance(test.args[0], nodes.Const):
        raise TemplateSyntaxProblem("`matching` takes one regular expression, as a literal")
    pattern = test.args[0].value
    if not isinstance(pattern, str):
        raise TemplateSyntaxProblem("`matching` takes one regular expression, as a literal")
    try:
        _pattern(pattern)
    except re.error as exc:
        raise TemplateSyntaxProblem(f"bad regular expression {pattern!r}: {exc}") from exc


@lru_cache(maxsize=8192)
def compile_expression(source: str, env: SandboxedEnvironment = TEXT_ENV) -> Expression:
    """Compile an expression without braces (a `when`, or the inside of ``{{ }}``).

    Cached: compiled expressions are immutable, and generated specs repeat the same
    conditions across hundreds of routes.
    """
    _check_safe("{{ " + source + " }}", env)
    try:
        compiled = env.compile_expression(source, undefined_to_none=True)
    except TemplateError as exc:
        raise TemplateSyntaxProblem(f"template syntax error: {exc}") from exc
    stripped = source.strip()
    return Expression(source, compiled, lookup=_dotted(stripped), compare=_comparison(stripped))


def compile_text(source: str, env: SandboxedEnvironment = TEXT_ENV) -> Value:
    """Compile a string that always renders to text (html/text bodies, headers)."""
    if _MARKER.search(source) is None:
        return Constant(source)
    return _compile_template(source, env)


@lru_cache(maxsize=8192)
def _compile_template(source: str, env: SandboxedEnvironment) -> Value:
    _check_safe(source, env)
    try:
        return Text(
            source,
            env.from_string(source),
            pieces=_interpolation(source) if not env.autoescape else None,
        )
    except TemplateError as exc:
        raise TemplateSyntaxProblem(f"template syntax error: {exc}") from exc


def compile_value(value: Any) -> Value:
    """Compile a JSON-like value leaf by leaf; a lone expression keeps its type."""
    if isinstance(value, str):
        lone = _LONE_EXPRESSION.match(value.strip()) if value.startswith("{{") else None
        if lone and value.strip() == value:
            return compile_expression(lone.group("expr").strip())
        return compile_text(value)
    if isinstance(value, list):
        items = tuple(compile_value(item) for item in value)
        if all(item.constant for item in items):
            return Constant(value)
        return ListValue(items)
    if isinstance(value, dict):
        pairs = tuple((str(key), compile_value(item)) for key, item in value.items())
        if all(item.constant for _, item in pairs):
            return Constant(value)
        return DictValue(pairs)
    return Constant(value)


def literal(text: str) -> str:
    """Text that mockserve's templating sends as written (documents may contain `{{`)."""
    if _MARKER.search(text) is None:
        return text
    if "endraw" not in text:
        return "{% raw %}" + text + "{% endraw %}"
    return text.replace("{", "\\u007b")


def literal_value(value: Any) -> Any:
    """A JSON value with every string made literal, and non-JSON scalars made text."""
    if isinstance(value, str):
        return literal(value)
    if isinstance(value, dict):
        return {str(k): literal_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [literal_value(v) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return literal(str(value))


def expression_literal(value: Any) -> str:
    """A JSON value as a template-expression literal (`{"q": "a"}`, `true`, `none`)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(expression_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        pairs = (f"{json.dumps(str(k))}: {expression_literal(v)}" for k, v in value.items())
        return "{" + ", ".join(pairs) + "}"
    return json.dumps(str(value))


def plain(value: Any) -> Any:
    """Turn what Jinja hands back into JSON-ready data (undefined becomes None)."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, ChainableUndefined):
        return None
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, _uuid.UUID):
        return str(value)
    if hasattr(value, "items") and callable(value.items):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (set, frozenset)):
        return [plain(item) for item in value]
    return str(value)
