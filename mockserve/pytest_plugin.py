"""The pytest plugin: real mock servers for a test, and a failed test when a contract breaks.

Registered through the `pytest11` entry point, so installing mockserve is enough.

- `mockserve`: a factory fixture, `server = mockserve("specs/shop.yaml", seed=1)` returns a
  started `MockServer`; every server it started stops when the test ends.
- `mockserve_server`: the server of the test's spec, named by the `mockserve_spec` marker,
  else `--mockserve-spec`, else the `mockserve_spec` ini option.
- A test whose servers saw a violation (a request the spec does not cover, or one that broke
  a contract) fails, listing each one, unless marked `mockserve_allow_violations`.
- `--pact-dir DIR`: each test that passes writes (merges into) a V4 pact in DIR of what its
  servers answered: consumer `--pact-consumer` (default: the rootdir's name), provider
  the spec's title.

Relative spec paths: in code and markers, against the rootdir (so a test finds its spec
wherever pytest is started); `--mockserve-spec` against the current directory, as any path
typed in a shell; the ini option against the ini file's folder, as pytest's own paths.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

import pytest

from .errors import SpecError
from .journal import Violation
from .report import plural, violations_text
from .tls import CertificateError

if TYPE_CHECKING:  # imported when a test first asks for a server, not when pytest starts
    import os

    from .spec import Spec
    from .testing import MockServer

SPEC_MARKER = "mockserve_spec"
ALLOW_MARKER = "mockserve_allow_violations"
SpecLike: TypeAlias = "Spec | str | os.PathLike[str]"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockserve", "mockserve (HTTP mocks from a YAML spec)")
    group.addoption(
        "--mockserve-spec",
        metavar="SPEC",
        default=None,
        help="Spec the mockserve_server fixture serves when a test has no mockserve_spec "
        "marker (relative to the current directory). Overrides the ini option.",
    )
    group.addoption(
        "--pact-dir",
        metavar="DIR",
        default=None,
        help="Write a pact (V4) of what each passing test's mock servers answered into DIR.",
    )
    group.addoption(
        "--pact-consumer",
        metavar="NAME",
        default=None,
        help="The consumer named in the pacts --pact-dir writes (default: the rootdir's name).",
    )
    parser.addini(
        "mockserve_spec",
        type="string",
        default="",
        help="Spec the mockserve_server fixture serves when a test has no mockserve_spec "
        "marker (relative to the ini file's folder).",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{SPEC_MARKER}(spec, seed=None, port=0): the spec the mockserve_server fixture "
        "serves for this test (relative to the rootdir).",
    )
    config.addinivalue_line(
        "markers",
        f"{ALLOW_MARKER}: do not fail the test when its mock servers saw requests the spec "
        "does not cover or that broke a contract (for tests of the client's error handling).",
    )


class ServerFactory:
    """What the `mockserve` fixture returns: call it to start a server for this test."""

    def __init__(self, request: pytest.FixtureRequest):
        self._request = request
        self.servers: list[MockServer] = []
        self._reported: dict[int, int] = {}  # id(server) -> violations already reported

    def __call__(
        self,
        spec: SpecLike | None = None,
        *,
        seed: int | None = None,
        port: int = 0,
        host: str = "127.0.0.1",
        https: bool = False,
        pact: dict | None = None,
    ) -> MockServer:
        """Start a MockServer for `spec` (None: the test's default spec) and return it.

        `https=True` serves TLS; the server's `ca_path` is the CA for the client's `verify=`.
        `pact={"consumer", "provider", "dir"}` writes a pact when the test passes (as
        `--pact-dir` does for every server).
        """
        __tracebackhide__ = True
        if spec is None:
            spec, marked = default_spec(self._request)
            seed = marked.get("seed", seed)
            port = marked.get("port", port)
        else:
            spec = _resolve(self._request.config.rootpath, spec)
        from .testing import MockServer

        if pact is None:
            pact = _pact_options(self._request.config)
        try:
            server = MockServer(spec, port=port, seed=seed, host=host, https=https, pact=pact)
        except (SpecError, CertificateError) as exc:
            problems = exc  # failed below, outside this block, so pytest shows it once
        else:
            self.servers.append(server.start())
            return server
        pytest.fail(f"mockserve: cannot serve {spec}:\n{problems}", pytrace=False)

    def unreported(self) -> list[tuple[MockServer, list[Violation]]]:
        """Each server's violations not reported yet; marks them reported."""
        found = []
        for server in self.servers:
            violations = server.violations
            seen = self._reported.get(id(server), 0)
            self._reported[id(server)] = len(violations)
            if len(violations) > seen:
                found.append((server, violations[seen:]))
        return found

    def stop_all(self) -> None:
        for server in self.servers:
            server.stop()

    def write_pacts(self) -> None:
        """The test passed: each server with `pact` writes what it answered."""
        for server in self.servers:
            server.write_pact()


def _pact_options(config: pytest.Config) -> dict | None:
    """`--pact-dir` (relative to the current directory) as MockServer's `pact=`."""
    directory = config.getoption("pact_dir")
    if not directory:
        return None
    consumer = config.getoption("pact_consumer") or config.rootpath.name
    return {"consumer": consumer, "dir": str(config.invocation_params.dir / directory)}


def default_spec(request: pytest.FixtureRequest) -> tuple[SpecLike, dict]:
    """The test's spec: its marker, else --mockserve-spec, else the ini option."""
    __tracebackhide__ = True
    config = request.config
    marker = request.node.get_closest_marker(SPEC_MARKER)
    if marker is not None:
        if len(marker.args) != 1:
            pytest.fail(
                f"@pytest.mark.{SPEC_MARKER} takes one spec path, "
                f"e.g. @pytest.mark.{SPEC_MARKER}('specs/shop.yaml')",
                pytrace=False,
            )
        return _resolve(config.rootpath, marker.args[0]), dict(marker.kwargs)
    option = config.getoption("mockserve_spec")
    if option:
        return _resolve(config.invocation_params.dir, option), {}
    ini = config.getini("mockserve_spec")
    if ini:
        base = config.inipath.parent if config.inipath else config.rootpath
        return _resolve(base, ini), {}
    pytest.fail(
        f"mockserve: no spec for this test: mark it "
        f"@pytest.mark.{SPEC_MARKER}('specs/shop.yaml'), or give --mockserve-spec "
        f"or the mockserve_spec ini option",
        pytrace=False,
    )


_FACTORY = pytest.StashKey[ServerFactory]()


@pytest.fixture
def mockserve(request: pytest.FixtureRequest):
    """Start mock servers: `server = mockserve("specs/shop.yaml", seed=1)` (a MockServer)."""
    factory = ServerFactory(request)
    request.node.stash[_FACTORY] = factory
    yield factory
    factory.stop_all()
    # Violations from the test body were reported by pytest_runtest_call; these came later
    # (from other fixtures' teardown).
    _fail_on_violations(request.node, factory)


@pytest.fixture
def mockserve_server(mockserve: ServerFactory) -> MockServer:
    """The started server of the test's spec (mockserve_spec marker, option or ini)."""
    return mockserve()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """Fail a test that passed but left violations; note them on a test that failed anyway."""
    try:
        result = yield
    except BaseException:
        factory = item.stash.get(_FACTORY, None)
        found = factory.unreported() if factory is not None else []
        if found:
            item.add_report_section("call", "mockserve violations", _message(found))
        raise
    factory = item.stash.get(_FACTORY, None)
    if factory is not None:
        _fail_on_violations(item, factory)
        factory.write_pacts()  # reached only when the test passed, with no violation
    return result


def _fail_on_violations(item: pytest.Item, factory: ServerFactory) -> None:
    __tracebackhide__ = True
    found = factory.unreported()
    if found and item.get_closest_marker(ALLOW_MARKER) is None:
        pytest.fail(
            _message(found) + f"\n(mark the test @pytest.mark.{ALLOW_MARKER} "
            "if the client is meant to send them)",
            pytrace=False,
        )


def _message(found: list[tuple[MockServer, list[Violation]]]) -> str:
    count = sum(len(violations) for _, violations in found)
    lines = [
        f"mockserve: {plural(count, 'violation')}: requests the spec does not cover "
        "or that broke its contract"
    ]
    for server, violations in found:
        if len(found) > 1:
            lines.append(f"  on {server.spec.title!r}:")
        lines.append(violations_text(violations, indent="    " if len(found) > 1 else "  "))
    return "\n".join(lines)


def _resolve(base: Path, spec: SpecLike) -> SpecLike:
    from .spec import Spec

    return spec if isinstance(spec, Spec) else base / spec
