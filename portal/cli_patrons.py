"""`flask --app portal patrons …` (shared/spec/api.md): add one patron, import a CSV file."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from .cli import fail_on_domain_error

patrons = AppGroup("patrons", help="Patrons (end users) of a library.")


@patrons.command("add")
@click.argument("number")
@click.option("--library", "library_code", required=True, help="the library's code, e.g. FA000001")
@click.option("--name", required=True)
@click.option("--group", default="", help="faculty, graduate, undergraduate, staff, external…")
@click.option("--email")
@click.option("--mobile", help="a mobile number; stored in E.164 (default region JP)")
@click.option("--language", type=click.Choice(["ja", "en"]), default="ja")
@click.option("--sms-consent", "sms_consent", metavar="METHOD",
              help="record an SMS consent given this way (form, counter, phone…)")
@fail_on_domain_error
def patrons_add(number, library_code, name, group, email, mobile, language, sms_consent):
    from .services.admin import get_library
    from .services.patrons import create_patron

    data = {"number": number, "name": name, "group": group, "email": email, "mobile": mobile, "language": language}
    if sms_consent is not None:
        data["sms_consent"] = {"method": sms_consent}
    patron = create_patron(None, data, library=get_library(library_code))
    consent = ", SMS consent recorded" if patron.sms_consent else ""
    click.echo(f"Added patron {patron.number} at {library_code}: {patron.name}"
               f"{' ' + patron.mobile if patron.mobile else ''}{consent}")


@patrons.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--library", "library_code", required=True)
@fail_on_domain_error
def patrons_import(path, library_code):
    """Import FILE.csv: one result line per row; a bad row refuses the whole file."""
    from .services.admin import get_library
    from .services.patron_import import import_patrons

    library = get_library(library_code)
    with open(path, "rb") as file:
        result = import_patrons(library, file.read())
    for row in result.rows:
        detail = "; ".join(f"{k}: {v}" for k, v in row.errors.items())
        outcome = row.outcome if result.applied or row.outcome == "error" else "ok (not imported)"
        click.echo(f"line {row.line} {row.number or '-'}: {outcome}{' - ' + detail if detail else ''}")
    counts = result.counts
    if not result.applied:
        raise click.ClickException(f"Nothing imported: {counts['error']} of {len(result.rows)} rows have errors.")
    click.echo(f"Imported {library_code}: {counts['created']} created, {counts['updated']} updated, "
               f"{counts['unchanged']} unchanged.")
