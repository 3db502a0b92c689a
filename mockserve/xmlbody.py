"""XML request bodies read by their schema, so they are validated like JSON ones.

The schema's `xml` objects (OpenAPI's `name`, `attribute`, `wrapped`, `namespace`)
say where each property is: a child element, an attribute, or repeated elements
(inside a wrapper or not). `compile_xml` walks the schema once, when the route's
contract is compiled; a request's body is then parsed with defusedxml (a DTD or an
entity is refused) and read into the JSON value the schema checks. Element text is
converted by the declared type (integer, number, boolean) first, as query values are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from .pointer import escape_token
from .values import coerce, converted_types, layout, merged_schema

Failure = dict[str, str]
Resolve = Callable[[Any], Any]
_MAX_DEPTH = 32  # recursive schemas are read this deep, then as text


def is_xml(media: str) -> bool:
    """`application/xml`, `text/xml` and `application/*+xml`."""
    return media in ("application/xml", "text/xml") or media.endswith("+xml")


def _local(tag: str) -> tuple[str, str]:
    """`{urn:x}pet` -> (`urn:x`, `pet`)."""
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return namespace, name
    return "", tag


@dataclass(frozen=True)
class Node:
    """How one schema reads an element: as text, an object of children, or a list."""

    kind: str  # scalar | object | array
    types: tuple[str, ...] = ()
    children: tuple[Field, ...] = ()
    items: Node | None = None
    item_name: str = ""
    item_namespace: str | None = None


@dataclass(frozen=True)
class Field:
    """One property of an object: where it is in the element, and how it is read."""

    name: str  # the property's name in the JSON value
    tag: str  # the element's or attribute's name
    namespace: str | None
    attribute: bool
    wrapped: bool
    node: Node = field(default_factory=lambda: Node("scalar"))

    def matches(self, element: Element, tag: str | None = None) -> bool:
        namespace, name = _local(element.tag)
        wanted = self.namespace
        return name == (tag or self.tag) and (wanted is None or namespace == wanted)


def _xml(schema: Any) -> dict[str, Any]:
    value = schema.get("xml") if isinstance(schema, dict) else None
    return value if isinstance(value, dict) else {}


def _node(schema: Any, resolve: Resolve, depth: int = 0) -> Node:
    schema = merged_schema(schema, resolve)
    if depth > _MAX_DEPTH or not isinstance(schema, dict):
        return Node("scalar")
    kind = layout(schema)
    if kind == "array":
        items = merged_schema(schema.get("items"), resolve)
        info = _xml(items)
        return Node(
            "array",
            items=_node(items, resolve, depth + 1),
            item_name=str(info.get("name", "")),
            item_namespace=info.get("namespace"),
        )
    if kind == "object":
        children = []
        for name, sub in (schema.get("properties") or {}).items():
            sub = merged_schema(sub, resolve)
            info = _xml(sub)
            children.append(
                Field(
                    str(name),
                    str(info.get("name") or name),
                    info.get("namespace"),
                    info.get("attribute") is True,
                    info.get("wrapped") is True,
                    _node(sub, resolve, depth + 1),
                )
            )
        return Node("object", children=tuple(children))
    return Node("scalar", converted_types(schema))


@dataclass(frozen=True)
class XmlReader:
    """A body schema compiled for XML: `read` turns a document into the value to check."""

    root: Node

    def read(self, text: str) -> tuple[Any, dict[str, str], list[Failure]]:
        """The JSON value, each pointer's element name (`<qty>`), and parse failures."""
        try:
            element = fromstring(text, forbid_dtd=True)
        except DefusedXmlException:
            message = "body is XML with a DOCTYPE or entities, which are refused"
            return None, {}, [{"in": "body", "path": "", "message": message}]
        except ParseError as exc:
            message = f"body is not valid XML: {exc}"
            return None, {}, [{"in": "body", "path": "", "message": message}]
        names: dict[str, str] = {}
        return self._element(element, self.root, "", names), names, []

    def _element(self, element: Element, node: Node, pointer: str, names: dict[str, str]) -> Any:
        names[pointer] = f"<{_local(element.tag)[1]}>"
        text = (element.text or "").strip()
        if node.kind != "scalar" and text and not len(element) and not element.attrib:
            return text  # text where elements were wanted: the schema says what is wrong
        if node.kind == "array":  # a wrapper element: its children are the items
            return self._items(list(element), node, _local(element.tag)[1], pointer, names)
        if node.kind == "scalar":
            text = element.text or ""
            if len(element):  # an element of elements where text was wanted
                return {_local(child.tag)[1]: child.text or "" for child in element}
            return coerce(text.strip(), node.types) if node.types else text
        value: dict[str, Any] = {}
        taken: set[int] = set()
        for child in node.children:
            at = f"{pointer}/{escape_token(child.name)}"
            if child.attribute:
                for key, text in element.attrib.items():
                    if _local(key)[1] == child.tag:
                        names[at] = f"<{_local(element.tag)[1]} {child.tag}>"
                        value[child.name] = coerce(text, child.node.types)
                continue
            if child.node.kind == "array" and not child.wrapped:
                tag = child.node.item_name or child.tag
                found = [e for e in element if child.matches(e, tag)]
                taken.update(id(e) for e in found)
                if found:
                    names[at] = f"<{tag}>"
                    value[child.name] = self._items(found, child.node, tag, at, names, own=True)
                continue
            match = next((e for e in element if child.matches(e) and id(e) not in taken), None)
            if match is not None:
                taken.add(id(match))
                value[child.name] = self._element(match, child.node, at, names)
        for extra in element:  # undeclared elements: kept, so additionalProperties sees them
            if id(extra) not in taken:
                name = _local(extra.tag)[1]
                if name not in value:
                    names[f"{pointer}/{escape_token(name)}"] = f"<{name}>"
                    value[name] = extra.text or ""
        return value

    def _items(
        self,
        elements: list[Element],
        node: Node,
        tag: str,
        pointer: str,
        names: dict[str, str],
        *,
        own: bool = False,
    ) -> list[Any]:
        """Repeated elements as a list; in a wrapper, those named as the items are."""
        item = node.items or Node("scalar")
        wanted = node.item_name or tag
        chosen = elements if own else [e for e in elements if _local(e.tag)[1] == wanted]
        return [
            self._element(element, item, f"{pointer}/{index}", names)
            for index, element in enumerate(chosen)
        ]


def compile_xml(schema: Any, resolve: Resolve) -> XmlReader:
    """Compile a body schema's XML layout once, at load."""
    return XmlReader(_node(schema, resolve))


def named(failures: list[Failure], names: dict[str, str]) -> list[Failure]:
    """Schema failures whose message names the element: `<qty>: 'x' is not of type ...`."""
    result = []
    for failure in failures:
        pointer = failure["path"]
        while pointer not in names and pointer:
            pointer = pointer.rsplit("/", 1)[0]
        label = names.get(pointer)
        message = f"{label}: {failure['message']}" if label else failure["message"]
        result.append({**failure, "message": message})
    return result
