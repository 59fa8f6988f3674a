"""``flask --app wsgi users create EMAIL --role ROLE [--unit CODE]``, ``users password EMAIL`` and ``users token EMAIL``.

An office account belongs to the office unit, which must exist first (``flask setup office``)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from .services import accounts, readiness

users_cli = AppGroup("users", help="Staff accounts and API tokens.")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(["office", "unit", "leader", "admin"]))
@click.option("--unit", "unit_code", help="The unit's code (required for --role unit), e.g. QLKH; "
                                          "--role office: the office unit, chosen or not.")
@click.option("--name", "full_name", help="Full name (default: the part of the e-mail before @).")
@click.option("--password", help="Default: a generated password, printed once.")
def users_create(email: str, role: str, unit_code: str | None, full_name: str | None, password: str | None) -> None:
    """Create a staff account."""
    try:
        user, password_used = accounts.create_user(email, role, full_name=full_name, unit_code=unit_code,
                                                   password=password)
    except accounts.AccountError as exc:
        hint = f"\nCreate it first: {readiness.SETUP_OFFICE}" if exc.message == accounts.NO_OFFICE else ""
        raise click.ClickException(str(exc) + hint) from None
    unit = f" [{user.unit.code}]" if user.unit else ""
    click.echo(f"created {user.role} {user.email}{unit}")
    if not password:
        click.echo(f"password: {password_used}")


@users_cli.command("token")
@click.argument("email")
def users_token(email: str) -> None:
    """Print a new API token for EMAIL (only its SHA-256 is stored: copy it now)."""
    user = accounts.find_user(email)
    if user is None or not user.active:
        raise click.ClickException(f"no active user {email}")
    click.echo(accounts.new_token(user))


@users_cli.command("password")
@click.argument("email")
@click.option("--password", help="Default: a generated password, printed once.")
def users_password(email: str, password: str | None) -> None:
    """Set a new password for EMAIL (the admin's lost one, or a locked-out account's): every browser signed in
    with it is signed out, its API tokens revoked and its failed sign-ins forgotten, as on the admin's page."""
    user = accounts.find_user(email)
    if user is None:
        raise click.ClickException(f"no user {email}")
    new = password or accounts.generated_password()
    try:
        accounts.update_user(user, email=user.email, full_name=user.full_name, role=user.role,
                             unit_code=user.unit.code if user.unit else None, title=user.title, active=user.active,
                             password=new)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"new password set for {user.email}; its sessions and API tokens ended")
    if not password:
        click.echo(f"password: {new}")
