"""The `mockserve` command: parse arguments, call the library, report errors clearly.

Each command lives in a module of its own; this one makes the group and adds them.
"""

from __future__ import annotations

import click

from .. import __version__
from .documents import routes, schema, validate
from .health import health, wait
from .https import cert
from .imports import import_
from .mcp import mcp
from .record import record
from .run import run
from .verify import verify


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mockserve")
def main() -> None:
    """A declarative HTTP mock server: one YAML file fakes a whole backend."""


main.add_command(run)
main.add_command(cert)
main.add_command(record)
main.add_command(verify)
main.add_command(validate)
main.add_command(routes)
main.add_command(schema)
main.add_command(import_)
main.add_command(health)
main.add_command(wait)
main.add_command(mcp)
