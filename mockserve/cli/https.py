"""HTTPS from the command line: the listeners of `run --https` and `mockserve cert`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from ..spec import Spec

if TYPE_CHECKING:
    import ssl


def https_listeners(
    spec: Spec,
    mock: Any,
    host: str,
    https: bool,
    https_port: int | None,
    cert: str | None,
    key: str | None,
    cert_hosts: tuple[str, ...],
    backend_for: Callable[[ssl.SSLContext], Any],
) -> dict[str, Any]:
    """The Runner's backends for --https / --https-port; exit 2 on a certificate it cannot serve.

    `backend_for(context)`: the backend factory that serves TLS with `context`.
    """
    if not https and https_port is None:
        if cert or key or cert_hosts:
            raise click.UsageError("--cert, --key and --cert-host need --https or --https-port")
        return {}
    from ..serve import Listen
    from ..tls import CertificateError, spec_certificate

    hosts = (*(() if host in ("0.0.0.0", "::") else (host,)), *cert_hosts)
    try:
        certificate = spec_certificate(spec.settings, cert, key, hosts)
        tls = backend_for(certificate.context())
    except CertificateError as exc:
        click.echo(f"mockserve: {exc}", err=True)
        sys.exit(2)
    mock.ca_path = certificate.ca_path
    if https_port is None:
        return {"backend": tls}
    return {"also": [Listen(https_port, tls)]}


@click.command()
def cert() -> None:
    """Print where mockserve's local CA is and how to trust it (made on first use)."""
    from ..tls import CertificateError, local_ca, trust_text
    from ..tls import ca_path as path_of_ca

    try:
        local_ca()
    except CertificateError as exc:
        click.echo(f"mockserve: {exc}", err=True)
        sys.exit(2)
    click.echo(trust_text(str(path_of_ca())), nl=False)
