"""One exception hierarchy for everything mockserve raises on purpose."""

from __future__ import annotations

from dataclasses import dataclass


class MockserveError(Exception):
    """Base class: anything mockserve reports to a user as a clear message."""


@dataclass(frozen=True)
class SpecProblem:
    """One thing wrong with a spec, located where the user can find it."""

    file: str
    line: int
    column: int
    where: str
    message: str

    def __str__(self) -> str:
        where = self.where or "(top)"
        return f"{self.file}:{self.line}:{self.column}: {where}: {self.message}"


class SpecWarning(SpecProblem):
    """Something a spec says that is likely not what its author meant; it still serves."""

    def __str__(self) -> str:
        where = self.where or "(top)"
        return f"{self.file}:{self.line}:{self.column}: {where}: warning: {self.message}"


class SpecError(MockserveError):
    """A spec that cannot be served; carries every problem found, not just the first."""

    exit_code = 2

    def __init__(self, problems: list[SpecProblem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.column))
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in spec"
        super().__init__(head + "\n" + "\n".join(str(p) for p in self.problems))


class TemplateRenderError(MockserveError):
    """A template failed while rendering a response (a 500 for the client)."""

    def __init__(self, where: str, message: str):
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}")


class Disconnect(MockserveError):
    """Raised through the WSGI stack to drop the connection without an answer."""


class Problem(MockserveError):
    """The server's own answer to a request it cannot serve as asked (404, 405, 409, 422, 500).

    Raised anywhere while answering and rendered in one place (`problems.render_problem`),
    the way Flask routes exceptions to one handler: the JSON shape, the spec's `errors`
    overrides and CORS are applied there, never where the problem is found.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        route: str | None = None,
        errors: list | None = None,
        headers: dict[str, str] | None = None,
        violation: str | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.route = route
        self.errors = errors if errors is not None else []
        self.headers = headers or {}
        # Why the request is a violation (--strict, assert_no_violations), when it is one.
        self.violation = violation


class StoreUnavailable(Problem):
    """The shared store (`--store`) cannot be reached: a 503 for the routes that need it.

    At start it stops `mockserve run` (exit 2); while serving, routes that read or change
    state, positions or resources answer 503 and the others keep serving.
    """

    def __init__(self, message: str):
        super().__init__(503, message)
