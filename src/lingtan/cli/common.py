"""What every command group shares: the console, the acting user, a transaction on the
configured store, and the refusal of bad input (every problem on stderr, exit status 2)."""

from __future__ import annotations

import functools
import getpass
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from sqlalchemy import make_url
from sqlalchemy.orm import Session

from lingtan.errors import InputError
from lingtan.store.db import (
    current_revision,
    database_url,
    head_revision,
    make_engine,
    session_scope,
)
from lingtan.store.evidence import EvidenceStore, evidence_root

__all__ = ["actor", "console", "format_option", "open_store", "refusing_bad_input"]


def console(*, stderr: bool = False) -> Console:
    """A console; writing to a pipe or file it is wide enough that tables do not wrap."""
    out = Console(highlight=False, stderr=stderr)
    if not out.is_terminal:
        out.width = 120
    return out


def format_option(*formats: str) -> Callable:
    """``--format`` (parameter ``output``) among ``formats``, the first the default."""
    return click.option(
        "--format",
        "output",
        type=click.Choice(list(formats)),
        default=formats[0],
        show_default=True,
    )


def actor() -> str:
    return os.environ.get("LINGTAN_USER") or getpass.getuser()


@contextmanager
def open_store(
    ctx: click.Context, *, read_only: bool = False
) -> Iterator[tuple[Session, EvidenceStore]]:
    """A transaction on the configured database: an error rolls everything back. A read-only
    one does not wait for a writer on SQLite."""
    url = database_url(ctx.obj.get("db") if ctx.obj else None)
    location = make_url(url)
    if location.get_backend_name() == "sqlite" and not Path(location.database or "").is_file():
        raise click.ClickException(f"no lingtan database at {url}: run `lingtan init` first")
    engine = make_engine(url)
    try:
        revision = current_revision(engine)
        if revision is None:
            raise click.ClickException(f"no lingtan database at {url}: run `lingtan init` first")
        if revision != head_revision():
            raise click.ClickException(
                f"the database at {url} has schema {revision}; this lingtan needs "
                f"{head_revision()}: run `lingtan init` to upgrade it (data are kept)"
            )
        with session_scope(engine, read_only=read_only) as session:
            yield session, EvidenceStore(evidence_root(url))
    finally:
        engine.dispose()


def refusing_bad_input(command: Callable) -> Callable:
    """Refused input: every problem on stderr, exit status 2 (nothing was written)."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except InputError as error:
            click.echo(str(error), err=True)
            sys.exit(2)

    return run
