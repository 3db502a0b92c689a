"""The proxy and the recorder pass on what the upstream said: redirects, encoded slashes,
an upstream behind a private CA."""

from __future__ import annotations

import subprocess

import pytest
import requests
import yaml
from click.testing import CliRunner
from upstream import Answer, json_answer

from mockserve import MockServer
from mockserve.cli import main
from mockserve.record.recorder import recording_spec, start_recording
from mockserve.tls import CA_BUNDLE_VARIABLES

REDIRECT = Answer(
    302,
    [("Location", "/elsewhere"), ("Content-Type", "text/html")],
    b'<a href="/elsewhere">moved</a>',
)


@pytest.fixture
def proxy(write_spec, upstream):
    """A mock forwarding everything it does not answer to the test's upstream."""
    path = write_spec(f"mockserve: 1\nsettings:\n  proxy:\n    to: {upstream.url}\n")
    with MockServer(path) as server:
        yield server


def test_a_forwarded_redirect_keeps_its_body_and_its_length(upstream, proxy):
    upstream.answer("GET", "/moved", REDIRECT)
    done = subprocess.run(
        ["curl", "-sS", "-i", proxy.url + "/moved"], capture_output=True, text=True, timeout=10
    )
    assert done.returncode == 0, done.stderr  # curl exits 18 on a body shorter than announced
    assert done.stdout.startswith("HTTP/1.1 302")
    assert done.stdout.endswith('<a href="/elsewhere">moved</a>')


def test_a_recorded_redirect_is_written_with_its_body(upstream, tmp_path):
    upstream.answer("GET", "/moved", REDIRECT)
    with MockServer(recording_spec(upstream.url)) as server:
        recording = start_recording(server.app, tmp_path / "rec.yaml", main=True)
        answer = requests.get(server.url + "/moved", allow_redirects=False, timeout=10)
        assert answer.content == REDIRECT.body
        recording.save()
    response = yaml.safe_load((tmp_path / "rec.yaml").read_text())["routes"][0]["response"]
    assert response["status"] == 302
    assert response["text"] == REDIRECT.body.decode()
    assert response["headers"]["Location"] == "/elsewhere"


def test_an_encoded_slash_reaches_the_upstream_encoded(upstream, proxy):
    requests.get(proxy.url + "/arns/a%2Fb/tags?x=%2F", timeout=10)
    assert upstream.wait_for(1)[0].target == "/arns/a%2Fb/tags?x=%2F"


@pytest.fixture(scope="module")
def private_https(tmp_path_factory):
    """An HTTPS upstream whose certificate a private CA issued (mockserve's own)."""
    folder = tmp_path_factory.mktemp("private")
    spec = folder / "upstream.yaml"
    spec.write_text("mockserve: 1\nroutes:\n  - path: /hello\n    response: {json: {hi: there}}\n")
    with MockServer(spec, https=True) as server:
        yield server


def _no_ca_bundle(monkeypatch) -> None:
    for variable in CA_BUNDLE_VARIABLES:
        monkeypatch.delenv(variable, raising=False)


def _proxy_to(url: str, folder, ca: str | None = None) -> MockServer:
    lines = ["mockserve: 1", "settings:", "  proxy:", f"    to: {url}"]
    if ca is not None:
        lines.append(f"    ca: {ca}")
    spec = folder / "front.yaml"
    spec.write_text("\n".join(lines) + "\n")
    return MockServer(spec)


def test_an_upstream_signed_by_a_private_ca_is_unreachable_without_trusting_it(
    private_https, tmp_path, monkeypatch
):
    _no_ca_bundle(monkeypatch)
    with _proxy_to(private_https.url, tmp_path) as front:
        answer = requests.get(front.url + "/hello", timeout=10)
    assert answer.status_code == 502
    assert "certificate" in answer.json()["error"]


def test_settings_proxy_ca_trusts_the_private_ca(private_https, tmp_path):
    (tmp_path / "ca.pem").write_bytes(open(private_https.ca_path, "rb").read())
    with _proxy_to(private_https.url, tmp_path, ca="ca.pem") as front:
        assert requests.get(front.url + "/hello", timeout=10).json() == {"hi": "there"}


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"])
def test_the_environment_names_the_ca_bundle(private_https, tmp_path, monkeypatch, variable):
    _no_ca_bundle(monkeypatch)
    monkeypatch.setenv(variable, str(private_https.ca_path))
    with _proxy_to(private_https.url, tmp_path) as front:
        assert requests.get(front.url + "/hello", timeout=10).json() == {"hi": "there"}


def test_a_missing_proxy_ca_is_a_located_spec_error(write_spec):
    spec = write_spec("mockserve: 1\nsettings:\n  proxy:\n    to: https://x\n    ca: nowhere.pem\n")
    result = CliRunner().invoke(main, ["validate", str(spec)])
    assert result.exit_code == 2
    assert "settings.proxy.ca" in result.output and "nowhere.pem" in result.output


def test_run_upstream_ca_trusts_the_private_ca(private_https, write_spec, cli):
    spec = write_spec("mockserve: 1\n")
    run = cli(
        [
            spec,
            "--port",
            "0",
            "--proxy-to",
            private_https.url,
            "--upstream-ca",
            private_https.ca_path,
        ]
    )
    run.serving()
    assert requests.get(run.url + "/hello", timeout=10).json() == {"hi": "there"}


def test_verify_upstream_ca_trusts_the_private_ca(private_https, write_spec, monkeypatch):
    _no_ca_bundle(monkeypatch)
    spec = write_spec("mockserve: 1\nroutes:\n  - path: /hello\n    response: {json: {hi: x}}\n")
    args = ["verify", str(spec), "--against", private_https.url]
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 3 and "certificate" in refused.output
    trusted = CliRunner().invoke(main, [*args, "--upstream-ca", str(private_https.ca_path)])
    assert trusted.exit_code == 0, trusted.output


def test_redact_reaches_query_parameters_and_json_body_fields_by_name(upstream, tmp_path):
    upstream.answer(
        "POST",
        "/login",
        json_answer({"user": {"name": "ada", "Token": "t-SECRET-1"}, "expires": 3600}),
    )
    with MockServer(recording_spec(upstream.url)) as server:
        recording = start_recording(
            server.app, tmp_path / "rec.yaml", main=True, redact=["token", "password"]
        )
        for password in ("p-SECRET-2", "p-SECRET-3"):
            requests.post(
                server.url + "/login?token=q-SECRET-4&lang=en",
                json={"name": "ada", "password": password},
                timeout=10,
            )
        recording.save()
    text = (tmp_path / "rec.yaml").read_text()
    assert "SECRET" not in text
    route = yaml.safe_load(text)["routes"][0]
    assert route["response"]["json"]["user"] == {"name": "ada", "Token": "<redacted>"}
    (example,) = route["examples"]  # the two requests differ only in what is redacted
    assert example["request"]["query"] == {"token": "<redacted>", "lang": "en"}
    assert example["request"]["body"] == {"name": "ada", "password": "<redacted>"}
    assert CliRunner().invoke(main, ["validate", str(tmp_path / "rec.yaml")]).exit_code == 0
