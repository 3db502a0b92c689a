"""HTTPS: the local CA, the user's own certificate, and the listeners that serve them."""

from __future__ import annotations

import datetime as dt
import json
import re
import socket
import ssl
import stat
from pathlib import Path

import pytest
import requests
import trustme
from click.testing import CliRunner

import mockserve
from mockserve import MockServer
from mockserve.cli import main
from mockserve.tls import CACHE_ENV, CertificateError, trust_text

SPEC = """\
mockserve: 1
routes:
  - path: /hello
    response: {json: {hi: there}}
  - path: /drop
    faults: [{rate: 1, kind: disconnect}]
    response: {json: {}}
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of the test's own: the user's real local CA is never touched."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(folder))
    return folder


def user_pair(folder: Path, **dates: dt.datetime) -> tuple[Path, Path, trustme.CA]:
    """A certificate and key of the user's own (another CA's), written to `folder`."""
    ca = trustme.CA()
    leaf = ca.issue_cert("localhost", "127.0.0.1", **dates)
    cert, key = folder / "server.pem", folder / "server-key.pem"
    cert.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    key.write_bytes(leaf.private_key_pem.bytes())
    return cert, key, ca


def served_certificate(port: int) -> bytes:
    """The certificate the server on 127.0.0.1:port presents (DER), unverified."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with context.wrap_socket(raw) as tls:
            return tls.getpeercert(binary_form=True)


def test_local_ca_certificate_is_trusted_for_localhost_and_127(cache, write_spec):
    with MockServer(write_spec(SPEC), https=True) as server:
        assert server.url.startswith("https://127.0.0.1:")
        ca = str(server.ca_path)
        for host in ("127.0.0.1", "localhost"):
            answer = requests.get(f"https://{host}:{server.port}/hello", verify=ca, timeout=10)
            assert answer.json() == {"hi": "there"}
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(server.url + "/hello", timeout=10)  # the system does not know it
        served = requests.get(server.url + "/__mockserve/ca.pem", verify=ca, timeout=10)
        assert served.content == Path(ca).read_bytes()
    assert server.ca_path.parent.parent == cache
    assert stat.S_IMODE((server.ca_path.parent / "mockserve-ca-key.pem").stat().st_mode) == 0o600


def test_second_start_reuses_the_ca(cache, write_spec):
    path = write_spec(SPEC)
    with MockServer(path, https=True) as first:
        authority = first.ca_path.read_bytes()
        leaf = served_certificate(first.port)
    with MockServer(path, https=True) as second:
        assert second.ca_path.read_bytes() == authority
        assert served_certificate(second.port) != leaf  # a new certificate at each start
        answer = requests.get(second.url + "/hello", verify=str(first.ca_path), timeout=10)
        assert answer.status_code == 200


def test_settings_tls_serves_the_users_certificate_as_given(cache, write_spec, tmp_path):
    cert, key, their_ca = user_pair(tmp_path)
    spec = write_spec(SPEC + "settings:\n  tls: {cert: server.pem, key: server-key.pem}\n")
    with MockServer(spec, https=True) as server, their_ca.cert_pem.tempfile() as trusted:
        assert server.ca_path is None
        first = cert.read_text().split("-----END CERTIFICATE-----")[0]
        given = ssl.PEM_cert_to_DER_cert(first + "-----END CERTIFICATE-----\n")
        assert served_certificate(server.port) == given
        answer = requests.get(f"https://localhost:{server.port}/hello", verify=trusted, timeout=10)
        assert answer.json() == {"hi": "there"}
    assert not cache.exists()  # the user's own certificate needs no local CA


def test_settings_tls_outside_the_spec_folder_is_a_spec_error(write_spec, tmp_path):
    spec = write_spec(SPEC + "settings:\n  tls: {cert: ../x.pem, key: key.pem}\n")
    result = CliRunner().invoke(main, ["validate", str(spec)])
    assert result.exit_code == 2
    assert "settings.tls.cert: '../x.pem' is outside the spec's folder" in result.output


def test_cli_serves_a_given_certificate(cache, cli, write_spec, tmp_path):
    cert, key, their_ca = user_pair(tmp_path)
    run = cli([write_spec(SPEC), "--port", "0", "--https", "--cert", cert, "--key", key])
    run.serving()
    url = run.url
    assert url.startswith("https://")
    with their_ca.cert_pem.tempfile() as trusted:
        assert requests.get(url + "/hello", verify=trusted, timeout=10).status_code == 200


@pytest.mark.parametrize(
    ("problem", "message"),
    [
        ("mismatched", "is not the key of the certificate"),
        ("expired", "expired on 2020-01-02"),
        ("unreadable", "cannot read the certificate"),
    ],
)
def test_a_certificate_that_cannot_be_served_is_one_line_and_exit_2(
    problem, message, cache, cli, write_spec, tmp_path
):
    dates = {}
    if problem == "expired":
        dates = {
            "not_before": dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc),
            "not_after": dt.datetime(2020, 1, 2, tzinfo=dt.timezone.utc),
        }
    cert, key, _ = user_pair(tmp_path, **dates)
    if problem == "mismatched":
        other = tmp_path / "other"
        other.mkdir()
        key = user_pair(other)[1]
    if problem == "unreadable":
        cert = tmp_path / "missing.pem"
    run = cli([write_spec(SPEC), "--port", "0", "--https", "--cert", cert, "--key", key])
    run.process.wait(timeout=20)
    assert run.stop() == 2
    stderr = "\n".join(run.lines)
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], stderr
    assert "Traceback" not in stderr


def test_mockserver_refuses_a_mismatched_settings_tls(cache, write_spec, tmp_path):
    cert, _, _ = user_pair(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    user_pair(other)
    spec = write_spec(SPEC + "settings:\n  tls: {cert: server.pem, key: other/server-key.pem}\n")
    with pytest.raises(CertificateError, match="is not the key of the certificate"):
        MockServer(spec, https=True)


def test_https_port_beside_plain_http(cache, cli, write_spec):
    run = cli([write_spec(SPEC), "--port", "0", "--https-port", "0"], env={CACHE_ENV: str(cache)})
    banner = run.serving()[-1]
    plain, secure = (word for word in banner.split() if "://" in word)
    assert plain.startswith("http://") and secure.startswith("https://")
    ca = str(cache / "ca" / "mockserve-ca.pem")
    assert requests.get(plain + "/hello", timeout=10).json() == {"hi": "there"}
    assert requests.get(secure + "/hello", verify=ca, timeout=10).json() == {"hi": "there"}
    assert run.stop() == 0


def test_disconnect_fault_and_garbage_request_line_over_https(cache, write_spec):
    with MockServer(write_spec(SPEC), https=True) as server:
        ca = str(server.ca_path)
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(server.url + "/drop", verify=ca, timeout=10)
        context = ssl.create_default_context(cafile=ca)
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname="localhost") as tls:
                tls.sendall(b"GARBAGE\r\n\r\n")
                answer = b""
                while chunk := tls.recv(4096):
                    answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400 ")
        assert b"Content-Type: application/json" in head
        assert json.loads(body)["error"].startswith("bad request")
        assert requests.get(server.url + "/hello", verify=ca, timeout=10).status_code == 200


def test_cert_command_prints_the_ca_and_how_to_trust_it(cache):
    result = CliRunner().invoke(main, ["cert"])
    assert result.exit_code == 0
    ca = cache / "ca" / "mockserve-ca.pem"
    assert ca.is_file()
    assert result.output == trust_text(str(ca))
    for words in ("update-ca-certificates", "security add-trusted-cert", "certutil"):
        assert words in result.output
    for words in ("REQUESTS_CA_BUNDLE=", "SSL_CERT_FILE=", "NODE_EXTRA_CA_CERTS=", "--cacert"):
        assert words in result.output


def test_no_private_key_in_the_package():
    package = Path(mockserve.__file__).parent
    marker = "PRIVATE" + " KEY"  # spelled apart, so this test file holds no such line either
    holding = [
        str(path)
        for path in package.rglob("*")
        if path.is_file() and marker.encode() in path.read_bytes()
    ]
    assert holding == []


def test_the_readme_shows_what_mockserve_cert_prints(cache):
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    shown = re.search(r"```\n\$ mockserve cert\n(.*?)```", readme, re.S)
    assert shown is not None
    printed = CliRunner().invoke(main, ["cert"]).output
    assert printed.replace(str(cache), "~/.cache/mockserve") == shown.group(1)
