"""``flask --app wsgi setup …``: what a department's first install needs after ``db upgrade`` (README:
First install), without the demo's data. Each command calls the service the admin pages call."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from .services import accounts, categories, readiness

setup_cli = AppGroup("setup", help="First install: the office unit, processing units, categories; check.")


def _unit(code: str, name: str, email: str | None, office: bool) -> None:
    try:
        unit = accounts.save_unit(None, code=code, name=name, email=email, make_office=office)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created {'office ' if office else ''}unit {unit.code} ({unit.name})")


def _unit_options(command):
    for option in reversed((
            click.option("--code", required=True, help="Short code: letters, digits, underscore (e.g. HCTH)."),
            click.option("--name", required=True, help="Full name, shown on pages, letters and reports."),
            click.option("--email", help="The unit's mailbox (reminders, reports)."))):
        command = option(command)
    return command


@setup_cli.command("office")
@_unit_options
def setup_office(code: str, name: str, email: str | None) -> None:
    """Create the office unit (HCTH), which receives every case; refused when there is one already."""
    _unit(code, name, email, office=True)


@setup_cli.command("unit")
@_unit_options
def setup_unit(code: str, name: str, email: str | None) -> None:
    """Create a processing unit, which cases are forwarded to (or use the page Quản trị > Đơn vị)."""
    _unit(code, name, email, office=False)


@setup_cli.command("category")
@click.option("--code", required=True, help="Short code: letters, digits, underscore (e.g. TTHC).")
@click.option("--name", required=True, help="The field's name (lĩnh vực), as HCTH chooses it.")
@click.option("--classify-days", type=int, help="Internal target for classifying, in working days (default: the law's).")
@click.option("--answer-days", type=int, help="Internal target for answering, in working days (default: the law's).")
def setup_category(code: str, name: str, classify_days: int | None, answer_days: int | None) -> None:
    """Create a category cases are classified into (or use the page Quản trị > Lĩnh vực)."""
    try:
        category, _ = categories.save_category(None, code=code, name=name, classify_target_days=classify_days,
                                               answer_target_days=answer_days)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created category {category.code} ({category.name})")


@setup_cli.command("check")
def setup_check() -> None:
    """Say what a case needs that the database does not hold yet; exit status 1 if anything is missing."""
    items = readiness.check()
    for item in items:
        mark = "ok" if item.ok else ("MISSING" if item.required else "note")
        click.echo(f"{mark:<8} {item.name}: {item.detail}")
    if any(item.required and not item.ok for item in items):
        raise click.exceptions.Exit(1)
