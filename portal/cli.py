"""Flask CLI commands (shared/spec/api.md): libraries, users, demo, archive, graph."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from .workflow.errors import DomainError

libraries = AppGroup("libraries", help="Participant libraries.")
users = AppGroup("users", help="Staff users and API tokens.")

GRAPH_PATH = Path(__file__).resolve().parent.parent / "docs" / "state-graph.md"


def fail_on_domain_error(func):
    """Exit non-zero with a one-line error instead of a traceback."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except DomainError as error:
            details = "; ".join(f"{k}: {v}" for k, v in getattr(error, "fields", {}).items())
            raise click.ClickException(f"{error.message} {details}".strip()) from None

    return wrapper


def library_options(func):
    options = [
        click.option("--name"), click.option("--loan-days", type=int), click.option("--address"),
        click.option("--email"), click.option("--phone"), click.option("--currency"),
        click.option("--network", type=click.Choice(["NII", "OCLC"])),
        click.option("--service/--no-service", default=None),
        click.option("--copy-service/--no-copy-service", default=None),
        click.option("--loan-service/--no-loan-service", default=None),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@libraries.command("add")
@click.argument("code")
@library_options
@fail_on_domain_error
def libraries_add(code, **values):
    from .services.admin import add_library

    library = add_library(code, **values)
    click.echo(f"Added library {library.code}: {library.name}")


@libraries.command("set")
@click.argument("code")
@library_options
@fail_on_domain_error
def libraries_set(code, **values):
    from .services.admin import get_library, update_library

    library = update_library(get_library(code), **values)
    click.echo(f"Updated library {library.code}")


@users.command("add")
@click.argument("username")
@click.option("--library", "library_code", required=True)
@click.option("--password", required=True)
@click.option("--role", type=click.Choice(["staff", "manager", "admin"]), default="staff")
@fail_on_domain_error
def users_add(username, library_code, password, role):
    from .services.admin import add_user

    user = add_user(username, library_code, password, role)
    click.echo(f"Added user {user.username} ({user.role}) at {library_code}")


@users.command("token")
@click.argument("username")
@click.option("--label", default="cli")
@fail_on_domain_error
def users_token(username, label):
    from .services.admin import get_user, issue_token

    secret = issue_token(get_user(username), label)
    click.echo(f"API token for {username} (shown once; keep it secret):")
    click.echo(secret)


@click.command("demo", help="Load demonstration libraries, users and records (idempotent).")
@fail_on_domain_error
def demo():
    from .services.demo import load_demo

    rows = load_demo()
    if not rows:
        click.echo("Demo data is already loaded; nothing changed.")
        return
    click.echo("Demo loaded. Log in at http://127.0.0.1:5000/login with:")
    for username, password, library, role in rows:
        click.echo(f"  {username:8} {password}  {library}  {role}")


@click.command("archive", help="Archive final records not updated for N days (default from config).")
@click.option("--days", type=int)
def archive(days):
    from .services.archive import archive_old_records

    count = archive_old_records(days if days is not None else current_app.config["ARCHIVE_AFTER_DAYS"])
    click.echo(f"Archived {count} records.")


@click.command("graph", help="Write the workflow state graph (mermaid) to docs/state-graph.md.")
@click.option("--check", is_flag=True, help="Exit non-zero if the committed graph is out of date.")
def graph(check):
    text = render_graph_document()
    if check:
        if not GRAPH_PATH.exists() or GRAPH_PATH.read_text(encoding="utf-8") != text:
            raise click.ClickException("docs/state-graph.md is out of date: run `flask --app portal graph`.")
        click.echo("docs/state-graph.md is current.")
        return
    GRAPH_PATH.parent.mkdir(exist_ok=True)
    GRAPH_PATH.write_text(text, encoding="utf-8")
    click.echo(f"Wrote {GRAPH_PATH}")


def render_graph_document() -> str:
    from .workflow.machine import mermaid_graph

    return ("# ILL state graph\n\nGenerated from `portal/workflow/machine.py` by "
            "`flask --app portal graph`; a test keeps it current. SAVE and CALLBACK (both sides) are "
            "not drawn: SAVE keeps the status, CALLBACK returns to the status before the caller's "
            "own latest command.\n\n```mermaid\n" + mermaid_graph() + "```\n")


def register_cli(app: Flask) -> None:
    app.cli.add_command(libraries)
    app.cli.add_command(users)
    for command in (demo, archive, graph):
        app.cli.add_command(command)
    from .cli_patrons import patrons; app.cli.add_command(patrons)  # noqa: E702
    from .bench import bench; app.cli.add_command(bench)  # noqa: E702  shipping desk benchmark (portal/bench.py)
    from .cli_daily import daily; app.cli.add_command(daily)  # noqa: E702  the daily job (services.daily)
