"""Command-line commands: ``flask --app wsgi seed-demo``, ``workflow diagram``, ``calendar …``,
``backup``, ``files …``.

Other capabilities register their own groups here (users, setup, deadlines, outbox, report, scheduler).
"""
from __future__ import annotations

import functools
import shutil
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import click
import holidays
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError, ProgrammingError

from workflows import lifecycle
from workflows.clock import CLOCK

from . import database_errors
from .extensions import db
from .models import Feedback, Unit, User

workflow_cli = AppGroup("workflow", help="The case lifecycle.")
calendar_cli = AppGroup("calendar", help="The working-day calendar (days off, make-up working days).")
files_cli = AppGroup("files", help="The uploaded files in UPLOAD_DIR: those missing, those lost for good.")


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(backup_command)
    app.cli.add_command(workflow_cli)
    app.cli.add_command(calendar_cli)
    app.cli.add_command(files_cli)
    from .reports import cli as reports_cli
    from .setup_cli import setup_cli
    from .users_cli import users_cli
    reports_cli.init_app(app)
    app.cli.add_command(users_cli)
    app.cli.add_command(setup_cli)
    from . import jobs
    app.cli.add_command(jobs.deadlines_cli)
    app.cli.add_command(jobs.outbox_cli)
    app.cli.add_command(jobs.scheduler_command)
    for name, command in app.cli.commands.items():  # Flask-Migrate's ``db`` group included
        _say_when_the_database_fails(command, schema_hint=name != "db")


def _say_when_the_database_fails(command: click.Command, schema_hint: bool) -> None:
    """A command that cannot reach its database (down, a wrong DATABASE_URL, a password refused, an SQLite
    file that cannot be opened) ends with one line naming the database, not a traceback of sixty lines;
    so does one that meets a database without its tables (never migrated, or a wrong DATABASE_URL), with
    the command that makes them (not for ``db`` itself, whose migrations make them). Any other failure of
    a statement keeps its traceback: that is a bug, and the traceback says where."""
    for sub in getattr(command, "commands", {}).values():
        _say_when_the_database_fails(sub, schema_hint)
    inner = command.callback
    if inner is None or getattr(inner, "says_when_the_database_fails", False):
        return  # a group without a callback, or wrapped by an earlier app (the commands are module-level)

    @functools.wraps(inner)
    def guarded(*args, **kwargs):
        try:
            return inner(*args, **kwargs)
        except (OperationalError, ProgrammingError) as failed:
            said = database_errors.in_one_line(failed, schema_hint)
            if said is None:
                raise  # connected, and a statement failed: a bug, its traceback says where
            raise click.ClickException(said) from None

    guarded.says_when_the_database_fails = True
    command.callback = guarded


# --- workflow ----------------------------------------------------------------------------------

@workflow_cli.command("diagram")
@click.option("--out", "out", default="docs/lifecycle.svg", show_default=True,
              help="Where to write the picture: .svg or .png (needs Graphviz's dot), or .mmd (Mermaid text).")
def workflow_diagram(out: str) -> None:
    """Draw the lifecycle from the machine's own definition."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".mmd":
        path.write_text(lifecycle.mermaid(), encoding="utf-8")
    else:
        if not shutil.which("dot"):
            raise click.ClickException("Graphviz 'dot' is not installed (apt-get install graphviz); "
                                       "or write Mermaid text with --out docs/lifecycle.mmd")
        result = subprocess.run(["dot", f"-T{path.suffix.lstrip('.') or 'svg'}", "-o", str(path)],
                                input=lifecycle.graphviz_dot().encode(), capture_output=True, check=False)
        if result.returncode:
            raise click.ClickException(result.stderr.decode(errors="replace"))
    click.echo(f"wrote {path}")


# --- calendar ----------------------------------------------------------------------------------

def _parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


@calendar_cli.command("list")
@click.argument("year", type=click.IntRange(holidays.VN.start_year, holidays.VN.end_year))  # the years it knows
def calendar_list(year: int) -> None:
    """Days off (weekdays) and make-up working days of YEAR, with local overrides."""
    from .services.calendar import year_days
    for day in year_days(year):
        click.echo(f"{day.day.isoformat()}  {'nghỉ    ' if day.kind == 'off' else 'làm việc'}   {day.name}")


@calendar_cli.command("set")
@click.argument("day")
@click.argument("kind", type=click.Choice(["off", "work"]))
@click.argument("name")
def calendar_set(day: str, kind: str, name: str) -> None:
    """Add a day off or a make-up working day; open cases' due dates are recomputed."""
    from .services.calendar import CalendarError, set_day
    from .services.cases import SYSTEM
    try:
        changed = set_day(_parse_day(day), kind, name, SYSTEM)
    except CalendarError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{day}: {kind} ({name}); {changed} case(s) got a new due date")


@calendar_cli.command("remove")
@click.argument("day")
def calendar_remove(day: str) -> None:
    """Remove a local override; open cases' due dates are recomputed."""
    from .services.calendar import CalendarError, remove_day
    from .services.cases import SYSTEM
    try:
        changed = remove_day(_parse_day(day), SYSTEM)
    except CalendarError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{day}: override removed; {changed} case(s) got a new due date")


# --- backup ------------------------------------------------------------------------------------

@click.command("backup")
@click.option("--to", "target", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of the backups [BACKUP_DIR].")
@click.option("--keep", type=click.IntRange(min=1), default=None, help="How many backups to keep [BACKUP_KEEP].")
# An option of one run, never a setting, naming the files: a count would let any other file (or a small
# unmounted share) go missing unseen.
@click.option("--allow-missing", "allow_missing", multiple=True, metavar="NAME",
              help="Go on, this run only, although this file the database names is missing from UPLOAD_DIR (its "
                   "stored name, as the refusal gives it; repeat for several). Listed in the tar's MISSING.txt; "
                   "no older backup is pruned. A file lost for good: `flask files mark-lost` instead.")
def backup_command(target: Path | None, keep: int | None, allow_missing: tuple[str, ...]) -> None:
    """Copy the database and the uploaded files into BACKUP_DIR; keep the newest BACKUP_KEEP copies."""

    from .backup import make_backup
    config = current_app.config
    # systemd stops a service (a timeout, `systemctl stop`) with SIGTERM, which by default ends Python
    # without unwinding: as SystemExit, the run removes what it half wrote (make_backup: both or neither)
    stopped = signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    try:
        result = make_backup(target or Path(config["BACKUP_DIR"]), keep or config["BACKUP_KEEP"], progress=click.echo,
                             allow_missing=allow_missing)
    except (OSError, RuntimeError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        signal.signal(signal.SIGTERM, stopped)
    for path in result.removed:
        click.echo(f"removed {path}")
    click.echo("done")


# --- files lost for good -------------------------------------------------------------------------

FILES_LISTED = 200


@files_cli.command("missing")
def files_missing() -> None:
    """List the files the database names that UPLOAD_DIR lacks, with their case; exit status 1 while any
    is not marked lost (the nightly backup refuses to run until then)."""

    from .models import Attachment
    from .services.files import missing_from
    folder = Path(current_app.config["UPLOAD_DIR"])
    named, missing = missing_from(folder)
    shown = missing[:FILES_LISTED]  # an unmounted share misses them all: the first ones say enough
    rows = {a.stored_name: a for a in db.session.execute(select(Attachment).where(
        Attachment.stored_name.in_([f.stored_name for f in shown]))).scalars()}
    for f in shown:
        a = rows[f.stored_name]
        lost = f"  marked lost on {a.lost_at:%Y-%m-%d}: {a.lost_note}" if a.lost_at else ""
        click.echo(f"{a.stored_name}  {a.feedback.code}  {a.kind}  {a.original_name!r}  {a.size:,} bytes  "
                   f"uploaded {a.created_at:%Y-%m-%d}{lost}")
    if len(missing) > len(shown):
        click.echo(f"… and {len(missing) - len(shown):,} more")
    unmarked = sum(1 for f in missing if f.lost_at is None)
    click.echo(f"{len(missing):,} of the {named:,} files the database names are missing from UPLOAD_DIR {folder}; "
               f"{len(missing) - unmarked:,} marked lost")
    if unmarked:
        raise click.ClickException(
            f"{unmarked:,} missing and not marked lost: is the share mounted? If a file is lost for good, look "
            "for it in the older backups first (tar -tf), then `flask files mark-lost NAME --note …`")


@files_cli.command("mark-lost")
@click.argument("names", nargs=-1, required=True, metavar="NAME...")
@click.option("--note", required=True, help="What was looked at, e.g. which backups lack the file (kept with it).")
@click.option("--none-left", is_flag=True,
              help="UPLOAD_DIR is the right place and holds none of the files the database names: without it, "
                   "that is refused as a share not mounted.")
def files_mark_lost(names: tuple[str, ...], note: str, none_left: bool) -> None:
    """Mark files missing from UPLOAD_DIR as lost for good (their stored names): the nightly backup goes on
    without them and lists them in its MISSING.txt, and pages name them as lost. Look in the older
    backups first: a marked file no longer holds back their pruning."""
    from .services.files import FilesRefused, mark_lost
    try:
        marked = mark_lost(list(names), note, none_left)
    except FilesRefused as exc:
        raise click.ClickException(str(exc)) from exc
    for a in marked:
        click.echo(f"marked lost: {a.stored_name} ({a.original_name!r} of {a.feedback.code})")
    if len(marked) < len(set(names)):
        click.echo(f"{len(set(names)) - len(marked):,} marked before: their date and note kept")


@files_cli.command("found")
@click.argument("names", nargs=-1, required=True, metavar="NAME...")
def files_found(names: tuple[str, ...]) -> None:
    """Take the lost mark off files that are back in UPLOAD_DIR (restored from a copy found later)."""
    from .services.files import FilesRefused, mark_found
    try:
        found = mark_found(list(names))
    except FilesRefused as exc:
        raise click.ClickException(str(exc)) from exc
    for a in found:
        click.echo(f"found again: {a.stored_name} ({a.original_name!r} of {a.feedback.code})")


# --- demo data ---------------------------------------------------------------------------------

@click.command("seed-demo")
@click.option("--cases", "n_cases", default=39, show_default=True,
              help="How many demo cases to create over the last weeks; with at least one, the quarter "
                   "before comes too, closed, with eleven of its own.")
@click.option("--password", default="pakn-demo", show_default=True, help="Password of every demo user.")
def seed_demo(n_cases: int, password: str) -> None:
    """Create the department's units, one user per role, a few dozen cases in every state and the
    quarter before the present one, closed (``/ket-qua-xu-ly`` shows it).
    Refused in production (a first install: README, "First install", and ``flask setup``)."""

    from .demo import seed
    if current_app.config["ENV_NAME"] == "production":
        # eight accounts with a password printed in the README, one an admin, and demo mails
        # queued for the real relay: nothing a real register may hold
        raise click.ClickException("seed-demo is refused with PAKN_ENV=production: "
                                   "see README, First install (flask --app wsgi setup check)")
    if db.session.execute(select(func.count()).select_from(Unit)).scalar():
        click.echo("Demo data already present: nothing to do.")
    else:
        seed(n_cases, password, progress=click.echo)
    click.echo("\nDemo logins (password: %s):" % password)
    for user in db.session.execute(select(User).order_by(User.role, User.email)).scalars():
        unit = f" [{user.unit.code}]" if user.unit else ""
        click.echo(f"  {user.role:<7} {user.email}{unit}")
    counts = db.session.execute(select(Feedback.state, func.count()).group_by(Feedback.state)).all()
    click.echo("Cases: " + ", ".join(f"{state} {n}" for state, n in sorted(counts)))
    click.echo(f"Clock: {CLOCK.now().isoformat()}")

