"""OpenAPI security requirements as 401 answers for requests without a credential.

A credential is checked for its shape only (Basic as base64 `user:pass`, Bearer for
OAuth2 and OpenID Connect, API keys where declared), as a mock cannot know real ones.
"""

from __future__ import annotations

from typing import Any

from ..templating import literal
from .answers import ResponseConversion
from .document import member, quote


class SecurityConversion(ResponseConversion):
    """Turns an operation's security requirements into a `when` and its 401."""

    def _guards(
        self, operation: dict[str, Any], entries: list[tuple[str, dict[str, Any]]], where: str
    ) -> list[dict[str, Any]]:
        security = self._security(operation)
        if security is None:
            return []
        condition, challenge = security
        unauthorized = self._unauthorized(entries, challenge, where)
        return [{"when": f"not ({condition})", **unauthorized}]

    def _security(self, operation: dict[str, Any]) -> tuple[str, str] | None:
        """The `when` condition a request's credentials must meet, and the challenge to send."""
        requirements = operation.get("security", self.document.get("security"))
        if not isinstance(requirements, list) or not requirements:
            return None
        alternatives: list[str] = []
        challenges: dict[str, None] = {}
        for requirement in requirements:
            if not isinstance(requirement, dict) or not requirement:
                return None  # an empty requirement: anonymous access is allowed
            parts = []
            for name in requirement:
                check, challenge = self._credential(str(name))
                if check is None:
                    return None  # cannot be checked: do not lock clients out
                parts.append(check)
                challenges.setdefault(challenge, None)
            alternatives.append("(" + " and ".join(parts) + ")")
        return " or ".join(alternatives), ", ".join(challenges)

    def _credential(self, name: str) -> tuple[str | None, str]:
        scheme = self.deref(self.schemes.get(name), f"securitySchemes.{name}")
        if not isinstance(scheme, dict):
            self.warn(f"security scheme {name!r} is not declared; not checked")
            return None, ""
        kind = str(scheme.get("type", "")).lower()
        realm = f'realm="{name}"'
        if kind == "http":
            http = str(scheme.get("scheme", "")).lower()
            if http in ("basic", "bearer"):
                return f"credential({quote(http)})", f"{http.capitalize()} {realm}"
            return f"credential({quote(http)})", f"{http.capitalize()} {realm}"
        if kind == "apikey":
            key, location = str(scheme.get("name", "")), str(scheme.get("in", "header"))
            return (
                f'credential("apikey", {quote(key)}, {quote(location)})',
                f'ApiKey {realm}, in="{location}", name="{key}"',
            )
        if kind in ("oauth2", "openidconnect"):
            return 'credential("bearer")', f"Bearer {realm}"
        if kind == "mutualtls":  # counted by _tally
            return None, ""
        self.warn(f"security scheme {name!r} of type {kind!r} is not checked")
        return None, ""

    def _unauthorized(
        self, entries: list[tuple[str, dict[str, Any]]], challenge: str, where: str
    ) -> dict[str, Any]:
        """The document's own 401 when it declares one, else the server's JSON error."""
        answer: dict[str, Any] = {"status": 401}
        declared = dict(entries).get("401")
        if declared is not None:
            content = member(declared, "content")
            headers = self._response_headers(declared, where)
            headers["WWW-Authenticate"] = literal(challenge)
            if content:
                media, obj = next(iter(content.items()))
                obj = obj if isinstance(obj, dict) else {}
                return self._body(str(media), self._default_value(obj, where), obj, headers, answer)
            return {**answer, "headers": headers}
        return {
            **answer,
            "headers": {"WWW-Authenticate": literal(challenge)},
            "json": {
                "error": "unauthorized: this operation needs a credential",
                "route": literal(self._route_name),
                "errors": [],
            },
        }
