"""Werkzeug rules for many routes: URL builders are compiled only if a URL is ever built.

Werkzeug compiles two Python functions per rule (`Rule._compile_builder`, for `url_for`)
when the rule joins a map. mockserve never builds URLs, and with 1,200 routes those
compiles are a fifth of the time to the first answer. The builders here compile on
their first call instead, so `url_for` still works if anything ever uses it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing import Rule


class LazyBuildRule(Rule):
    """A Rule whose URL builders compile on first use (set as `app.url_rule_class`)."""

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        attribute = "_build_unknown" if append_unknown else "_build"

        def build(rule: Rule, *args: Any, **kwargs: Any) -> tuple[str, str]:
            builder = Rule._compile_builder(rule, append_unknown).__get__(rule, None)
            setattr(rule, attribute, builder)  # later calls go straight to the real one
            return builder(*args, **kwargs)

        return build
