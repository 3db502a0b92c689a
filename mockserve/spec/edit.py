"""Edit a spec file's YAML as text, keeping everything else in it byte for byte.

PyYAML's composer gives every node its start and end marks; these find where new list
items go (after the last route, after the last `when` branch of a route) and how far
they are indented, so an edit inserts text at those places and leaves comments, quoting
and order untouched. The recorder appends routes this way; any other writer back into a
spec (an editor's tool, an agent's edit) builds on the same places.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml


@dataclass
class Place:
    """Where text goes in a file, and how far its list items are indented."""

    index: int
    indent: int
    before: str = ""  # text to put first (`routes:` when the file has none)
    replace: int = 0  # characters the text replaces (the `[]` of `routes: []`)


def line_end(text: str, index: int) -> int:
    end = text.find("\n", index)
    return len(text) if end < 0 else end + 1


def last_leaf(node: yaml.Node) -> yaml.Node:
    """The node a block collection really ends with (its own end mark is the next token)."""
    while isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.value:
        if node.flow_style:
            return node
        last = node.value[-1]
        node = last[1] if isinstance(node, yaml.MappingNode) else last
    return node


def dash_column(text: str, item: yaml.Node) -> int:
    start = text.rfind("\n", 0, item.start_mark.index) + 1
    line = text[start : item.start_mark.index]
    return line.index("-") if "-" in line else max(item.start_mark.column - 2, 0)


def append_place(text: str, sequence: yaml.Node | None, key: yaml.Node | None) -> Place:
    """Where items go at the end of a block list (or after `key:` when it has none)."""
    if isinstance(sequence, yaml.SequenceNode) and sequence.value and not sequence.flow_style:
        leaf = last_leaf(sequence.value[-1])
        index = leaf.end_mark.index
        if not (isinstance(leaf, yaml.ScalarNode) and leaf.style in ("|", ">")):
            index = line_end(text, index)
        return Place(index, dash_column(text, sequence.value[0]))
    if key is not None:
        indent = key.start_mark.column + 2
        if isinstance(sequence, yaml.SequenceNode):  # `routes: []`: written as a block
            end = sequence.end_mark.index
            if not text[end : line_end(text, end)].strip():
                end = line_end(text, end)
            start = key.end_mark.index + 1  # after the colon
            return Place(start, indent, before="\n", replace=end - start)
        return Place(line_end(text, key.end_mark.index), indent)
    return Place(len(text), 2, before="routes:\n")


def indented(text: str, columns: int) -> str:
    pad = " " * columns
    return "".join(pad + line if line.strip() else line for line in text.splitlines(True))


@dataclass
class ExistingRoute:
    """A route already in the file: its methods and path, and room for more branches."""

    methods: tuple[str, ...]
    path: str
    branches: Place | None  # where new `when` branches go; None: no room


def existing_routes(text: str) -> tuple[list[ExistingRoute], Place]:
    """The file's routes, and where new ones go."""
    root = yaml.compose(text) if text.strip() else None
    routes_key, routes = routes_node(root)
    if routes is not None and isinstance(routes, yaml.SequenceNode) and routes.flow_style:
        if routes.value:
            raise ValueError("its routes are a flow-style list ([...]); write them as a block list")
    place = append_place(text, routes, routes_key)
    existing = []
    for item in routes.value if isinstance(routes, yaml.SequenceNode) else ():
        if not isinstance(item, yaml.MappingNode):
            continue
        fields = {k.value: v for k, v in item.value if isinstance(k, yaml.ScalarNode)}
        path = fields.get("path")
        if not isinstance(path, yaml.ScalarNode):
            continue
        method = fields.get("method")
        if isinstance(method, yaml.SequenceNode):
            methods = tuple(str(m.value).upper() for m in method.value)
        else:
            methods = (str(method.value).upper() if method is not None else "GET",)
        existing.append(ExistingRoute(methods, str(path.value), branch_place(text, fields)))
    return existing, place


def branch_place(text: str, fields: dict[str, yaml.Node]) -> Place | None:
    """Room at the end of `responses` when every branch there has a `when` (first-match)."""
    order = fields.get("order")
    responses = fields.get("responses")
    if order is not None and getattr(order, "value", None) != "first-match":
        return None
    if not isinstance(responses, yaml.SequenceNode) or responses.flow_style:
        return None
    for item in responses.value:
        if not isinstance(item, yaml.MappingNode):
            return None
        if not any(getattr(k, "value", None) == "when" for k, _ in item.value):
            return None  # a branch without `when` answers everything after it
    if not responses.value:
        return None
    return append_place(text, responses, None)


def insert(base: str, inserts: list[tuple[int, str, int]]) -> str:
    """`base` with each `(index, text, replaced)` applied, from the end backwards.

    Earlier places stay put that way; at one index, inserts keep their given order.
    """
    ordered = sorted(enumerate(inserts), key=lambda pair: (pair[1][0], pair[0]), reverse=True)
    for _, (index, text, replace) in ordered:
        base = base[:index] + text + base[index + replace :]
    return base


# -- one route's text: found by name, replaced or removed ------------------------------


@dataclass
class RouteText:
    """A route entry of the file: its name (as the loader names it) and the text it spans."""

    name: str
    start: int  # the start of the line its `-` is on
    end: int  # just after its last line
    indent: int  # the column of its `-`
    named: bool  # it has a `name` of its own (else it is named by method and path)


def routes_node(root: yaml.Node | None) -> tuple[yaml.Node | None, yaml.Node | None]:
    """The `routes` key of a spec's top mapping and its value (None, None when absent)."""
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.value == "routes":
                return key, value
    return None, None


def route_texts(text: str) -> list[RouteText]:
    """Each route entry of the file's `routes` block list, in order, with its text span."""
    from .model import route_name

    root = yaml.compose(text) if text.strip() else None
    _, routes = routes_node(root)
    if not isinstance(routes, yaml.SequenceNode) or not routes.value:
        return []
    if routes.flow_style:
        raise ValueError("its routes are a flow-style list ([...]); write them as a block list")
    data = yaml.safe_load(text)["routes"]
    found = []
    for item, raw in zip(routes.value, data, strict=True):
        if not isinstance(raw, dict):
            continue
        start = text.rfind("\n", 0, item.start_mark.index) + 1
        end = _item_end(text, item)
        column = dash_column(text, item)
        found.append(RouteText(route_name(raw), start, end, column, "name" in raw))
    return found


def _item_end(text: str, item: yaml.Node) -> int:
    """Just after a list item's last line (a block scalar's trailing blank lines aside)."""
    leaf = last_leaf(item)
    end = leaf.end_mark.index
    if not (isinstance(leaf, yaml.ScalarNode) and leaf.style in ("|", ">")):
        return line_end(text, end)
    header = text[leaf.start_mark.index : line_end(text, leaf.start_mark.index)]
    if "+" not in header.partition("#")[0]:  # kept blank lines (`|+`) are its text
        while text.endswith("\n\n", 0, end):
            end -= 1
    return end


def list_item(text: str, indent: int) -> str:
    """The YAML text of a mapping as an item of a block list whose dashes are at `indent`.

    Text that already is a one-item list (`- path: ...`) is only indented.
    """
    lines = text.splitlines(True)
    if not lines[0].lstrip().startswith("- "):
        lines = ["- " + lines[0]] + [("  " + line) if line.strip() else line for line in lines[1:]]
    item = "".join(lines)
    return indented(item if item.endswith("\n") else item + "\n", indent)
