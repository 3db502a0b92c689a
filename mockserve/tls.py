"""Certificates for HTTPS: the user's own, or one a local authority issues at each start.

The local certificate authority (CA) is created once, in the user's cache folder
(`MOCKSERVE_CACHE_DIR` overrides it), with its key readable by the user only; clients
trust its certificate once (`mockserve cert` says how) and every later start serves a
fresh certificate for this machine's names that they accept without `-k`. No key ships
in the package: each machine makes its own.
"""

from __future__ import annotations

import datetime as _dt
import os
import shutil
import socket
import ssl
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import MockserveError

CACHE_ENV = "MOCKSERVE_CACHE_DIR"
CA_FOLDER = "ca"
CA_CERT = "mockserve-ca.pem"
CA_KEY = "mockserve-ca-key.pem"
LEAF_DAYS = 30  # a certificate issued at start; the next start issues another
DEFAULT_HOSTS = ("localhost", "127.0.0.1", "::1")


class CertificateError(MockserveError):
    """A certificate that cannot be served: unreadable, mismatched or expired (exit 2)."""

    exit_code = 2


@dataclass(frozen=True)
class Certificate:
    """What a TLS listener serves: a certificate chain and its key, in PEM."""

    chain_pem: bytes
    key_pem: bytes
    ca_path: Path | None = None  # the local CA that issued it; None for the user's own

    def context(self) -> ssl.SSLContext:
        """A server-side TLS context holding this certificate."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        # load_cert_chain reads files only: a private folder, gone as soon as it is read.
        try:
            folder = tempfile.mkdtemp(prefix="mockserve-tls-")
        except OSError as exc:  # a read-only file system with no writable TMPDIR
            raise CertificateError(
                f"cannot write the certificate to a temporary folder: {exc.strerror or exc} "
                "(set TMPDIR to a writable folder)"
            ) from None
        try:
            chain, key = Path(folder, "chain.pem"), Path(folder, "key.pem")
            _write_private(chain, self.chain_pem)
            _write_private(key, self.key_pem)
            context.load_cert_chain(chain, key)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return context


def cache_dir() -> Path:
    """Where mockserve keeps what it makes for this user (the local CA)."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("mockserve"))


def ca_path() -> Path:
    """The local CA's certificate (the file clients trust), whether made yet or not."""
    return cache_dir() / CA_FOLDER / CA_CERT


def local_ca():  # -> trustme.CA
    """The local CA: loaded from the cache folder, or created there once."""
    import trustme

    folder = cache_dir() / CA_FOLDER
    if not (folder / CA_CERT).is_file():
        try:
            _create_ca(folder)
        except OSError as exc:  # no home, a read-only file system, a folder of another user
            raise CertificateError(
                f"cannot make the local CA in {folder}: {exc.strerror or exc} "
                f"(set {CACHE_ENV} to a writable folder, or give --cert and --key)"
            ) from None
    try:
        return trustme.CA.from_pem((folder / CA_CERT).read_bytes(), (folder / CA_KEY).read_bytes())
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise CertificateError(
            f"cannot read the local CA in {folder}: {reason} (delete the folder to make a new one)"
        ) from None


def _create_ca(folder: Path) -> None:
    """Make a CA in a private folder beside `folder`, then move it in place in one step.

    Two servers starting at once may both make one; the first rename wins and the other
    server uses that one, so a certificate never meets the wrong key.
    """
    import trustme

    folder.parent.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="mockserve local CA")
    staging = Path(tempfile.mkdtemp(prefix=".ca-", dir=folder.parent))  # mode 0700
    _write_private(staging / CA_KEY, ca.private_key_pem.bytes())
    (staging / CA_CERT).write_bytes(ca.cert_pem.bytes())
    try:
        staging.rename(folder)
    except OSError:  # another process was first
        shutil.rmtree(staging, ignore_errors=True)


def issue(hosts: Iterable[str] = ()) -> Certificate:
    """A certificate for this machine's names and `hosts`, issued by the local CA."""
    ca = local_ca()
    names = list(dict.fromkeys([*DEFAULT_HOSTS, socket.gethostname(), *hosts]))
    now = _dt.datetime.now(_dt.timezone.utc)
    leaf = ca.issue_cert(
        *[name for name in names if name],
        not_before=now - _dt.timedelta(days=1),
        not_after=now + _dt.timedelta(days=LEAF_DAYS),
    )
    chain = b"".join(blob.bytes() for blob in leaf.cert_chain_pems)
    return Certificate(chain, leaf.private_key_pem.bytes(), ca_path())


def load_pair(cert: str | os.PathLike[str], key: str | os.PathLike[str]) -> Certificate:
    """The user's certificate and key, checked: readable PEM, one pair, valid now."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    chain_pem, key_pem = _read(cert, "certificate"), _read(key, "key")
    try:
        certificate = x509.load_pem_x509_certificate(chain_pem)
    except ValueError:
        raise CertificateError(f"{cert}: not a PEM certificate") from None
    try:
        private_key = serialization.load_pem_private_key(key_pem, password=None)
    except TypeError:
        raise CertificateError(f"{key}: the key is encrypted; give it without a password") from None
    except (ValueError, Exception) as exc:  # cryptography raises several kinds
        raise CertificateError(f"{key}: not a PEM private key ({exc})") from None

    def public(key: Any) -> bytes:
        return key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    if public(certificate.public_key()) != public(private_key.public_key()):
        raise CertificateError(f"{key} is not the key of the certificate {cert}")
    now = _dt.datetime.now(_dt.timezone.utc)
    if certificate.not_valid_after_utc < now:
        raise CertificateError(f"{cert}: expired on {certificate.not_valid_after_utc:%Y-%m-%d}")
    if certificate.not_valid_before_utc > now:
        raise CertificateError(
            f"{cert}: not valid before {certificate.not_valid_before_utc:%Y-%m-%d}"
        )
    found = Certificate(chain_pem, key_pem)
    try:
        found.context()
    except ssl.SSLError as exc:
        raise CertificateError(f"{cert}: cannot be served: {exc.reason or exc}") from None
    return found


def server_certificate(
    cert: str | os.PathLike[str] | None = None,
    key: str | os.PathLike[str] | None = None,
    hosts: Iterable[str] = (),
) -> Certificate:
    """The certificate to serve: the given pair, else one issued by the local CA."""
    if (cert is None) != (key is None):
        raise CertificateError("give both a certificate and its key (--cert FILE --key FILE)")
    if cert is not None and key is not None:
        return load_pair(cert, key)
    return issue(hosts)


def spec_certificate(
    settings: Any,
    cert: str | os.PathLike[str] | None = None,
    key: str | os.PathLike[str] | None = None,
    hosts: Iterable[str] = (),
) -> Certificate:
    """What a spec serves over HTTPS: --cert/--key, else `settings.tls`, else the local CA's."""
    if cert is None and key is None and settings.tls is not None:
        cert, key = settings.tls.cert, settings.tls.key
    return server_certificate(cert, key, hosts)


def _read(path: str | os.PathLike[str], what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise CertificateError(f"cannot read the {what} {path}: {exc.strerror or exc}") from None


def _write_private(path: Path, data: bytes) -> None:
    """Write a file only its owner can read (mode 0600 from the start)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def trust_text(ca: str) -> str:
    """How to trust the local CA, on each system and in each client."""
    return f"""\
{ca}

mockserve's local certificate authority: `run --https` serves certificates it issues.
Its key stays in the same folder, readable by you only. Trust it once:

  Linux (Debian, Ubuntu):  sudo cp {ca} /usr/local/share/ca-certificates/mockserve-ca.crt
                           sudo update-ca-certificates
  Linux (Fedora, RHEL):    sudo cp {ca} /etc/pki/ca-trust/source/anchors/mockserve-ca.pem
                           sudo update-ca-trust
  macOS:                   sudo security add-trusted-cert -d -r trustRoot \\
                             -k /Library/Keychains/System.keychain {ca}
  Windows:                 certutil -user -addstore Root {ca}

Or per client, without touching the system:

  Python (requests):       REQUESTS_CA_BUNDLE={ca}
  Python (ssl, httpx):     SSL_CERT_FILE={ca}
  Node.js:                 NODE_EXTRA_CA_CERTS={ca}
  curl:                    curl --cacert {ca} https://localhost:8443/
"""


# Where a user names the CAs to trust for HTTPS, in the order clients read them.
CA_BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE")


def upstream_trust(ca: str | None = None) -> str | bool:
    """What to verify an HTTPS upstream against (requests' `verify=`).

    `ca` (`--upstream-ca`, `settings.proxy.ca`) first, then the bundle the environment
    names, as curl and requests read it; else the bundled public CAs (True). The
    environment is read here on purpose: sessions otherwise ignore it (`trust_env`
    off keeps HTTP_PROXY and .netrc out).
    """
    if ca:
        return ca
    for variable in CA_BUNDLE_VARIABLES:
        if os.environ.get(variable):
            return os.environ[variable]
    return True
