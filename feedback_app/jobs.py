"""Scheduled jobs (APScheduler): thin and idempotent, each calls one service.

* in development the scheduler runs inside the web process (``SCHEDULER_IN_APP``), started at the
  first request or at once in the reloader's child, never in the reloader's parent, in commands
  or in tests;
* in production it runs as its own process, ``flask --app wsgi scheduler`` (blocking), so that
  web workers can be many. Two such processes against PostgreSQL do nothing twice: the services
  claim their rows with ``FOR UPDATE SKIP LOCKED`` and what they produce has unique keys.

Every job also runs once at start: a sweep missed while the process was down is caught up at once.
Other capabilities append their own ``Job`` to ``JOBS``.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from workflows.clock import parse_instant

from . import database_errors


@dataclass(frozen=True)
class Job:
    id: str
    func: Callable[[], object]   # runs inside an app context
    seconds_setting: str         # the config key holding the interval in seconds
    default_seconds: int


def sweep_job() -> object:
    from .services.sweep import sweep
    return sweep()


def outbox_job() -> object:
    from .services.outbox import flush
    return flush()


def webhooks_job() -> object:
    from .services.webhooks import deliver_webhooks
    return deliver_webhooks()


def report_reminder_job() -> object:
    # the plan's internal deadline: units report to HCTH by the 15th of each quarter's last month
    from .services.reports import remind_quarterly_report
    return remind_quarterly_report()


def held_uploads_job() -> object:
    from .services.held_uploads import sweep_held
    return sweep_held()


JOBS: list[Job] = [
    Job("deadlines-sweep", sweep_job, "SWEEP_INTERVAL_SECONDS", 300),
    Job("outbox-flush", outbox_job, "OUTBOX_FLUSH_SECONDS", 30),
    Job("webhooks-flush", webhooks_job, "WEBHOOK_FLUSH_SECONDS", 60),
    Job("report-reminder", report_reminder_job, "REPORT_REMINDER_CHECK_SECONDS", 3600),
    Job("held-uploads-sweep", held_uploads_job, "HELD_UPLOADS_SWEEP_SECONDS", 3600),
]


def _wrapped(app: Flask, job: Job) -> Callable[[], None]:
    def run() -> None:
        with app.app_context():
            try:
                job.func()
            except Exception as failed:  # a failing run must not kill the scheduler; the next run retries
                said = database_errors.in_one_line(failed)
                if said is None:
                    app.logger.exception("job %s failed", job.id)
                else:  # the database down or not migrated: one line each run, not a traceback
                    app.logger.error("job %s failed: %s", job.id, said)
            finally:
                from .extensions import db
                db.session.remove()
    return run


def build_scheduler(app: Flask, scheduler):
    now = datetime.now(timezone.utc)
    for job in JOBS:
        seconds = int(app.config.get(job.seconds_setting) or job.default_seconds)
        # next_run_time=now: catch up at once; coalesce + max_instances=1: a late run is one run
        scheduler.add_job(_wrapped(app, job), "interval", seconds=seconds, id=job.id, next_run_time=now,
                          coalesce=True, max_instances=1, misfire_grace_time=seconds, replace_existing=True)
    return scheduler


_started: dict[str, object] = {}
_lock = threading.Lock()


def start_in_app(app: Flask) -> bool:
    """Start the background scheduler once per process."""
    with _lock:
        if "scheduler" in _started:
            return False
        from apscheduler.schedulers.background import BackgroundScheduler
        scheduler = build_scheduler(app, BackgroundScheduler(timezone="UTC", daemon=True))
        scheduler.start()
        _started["scheduler"] = scheduler
        app.logger.info("scheduler started inside the app: %s", ", ".join(j.id for j in JOBS))
        return True


def init_app(app: Flask) -> None:
    """Called at the end of ``create_app``: the in-app scheduler of development."""
    if not app.config.get("SCHEDULER_IN_APP") or app.config.get("TESTING"):
        return
    if os.environ.get("WERKZEUG_RUN_MAIN") == "true":  # the reloader's child serves: start now
        start_in_app(app)
        return
    # Otherwise wait for the first request: commands (db upgrade, seed-demo …) and the reloader's
    # parent never serve one, so they never start a second scheduler.
    @app.before_request
    def _start_scheduler_once() -> None:
        if "scheduler" not in _started:
            start_in_app(app)


# --- commands --------------------------------------------------------------------------------

deadlines_cli = AppGroup("deadlines", help="Due dates, reminders, overdue cases and apology letters.")
outbox_cli = AppGroup("outbox", help="The stored mail outbox.")


def cli_instant(value: str | None):
    """A command's ``--now``: None for the real time. Refused in production, as ``PAKN_NOW`` is: a sweep
    as of a later day would issue that day's letters now and spend each case's one new date."""
    if not value:
        return None
    from flask import current_app
    if current_app.config.get("ENV_NAME") == "production":
        raise click.UsageError("--now is for trials and tests: in production the clock is the real time "
                               "(as PAKN_NOW). Run the command without it.")
    try:
        return parse_instant(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 instant, e.g. 2025-01-24T17:01:00+07:00") from None


@deadlines_cli.command("sweep")
@click.option("--now", "now", default=None, help="Sweep as of this instant (ISO 8601; local time if no offset).")
@click.option("--batch", "batch", default=None, type=click.IntRange(1), help="Cases per committed batch (500).")
def sweep_command(now: str | None, batch: int | None) -> None:
    """One sweep: overdue marks, apology letters, escalations, reminders, the leader's digest."""
    from workflows.clock import CLOCK
    from .services.sweep import sweep
    instant = cli_instant(now)
    if instant is not None:
        CLOCK.set(instant)  # letters, audit rows and mails carry the sweep's instant
    result = sweep(instant, **({"batch": batch} if batch else {}))
    click.echo(result.summary())


@outbox_cli.command("flush")
@click.option("--now", "now", default=None, help="Deliver as of this instant (ISO 8601).")
def flush_command(now: str | None) -> None:
    """Deliver every mail that is due now."""
    from .services.outbox import flush
    result = flush(cli_instant(now))
    click.echo(result.summary())
    for error in result.errors[:20]:
        click.echo(f"  {error}", err=True)
    # given up for good this run, or the mail server unreachable: a cron job or a unit's status should say so
    if result.failed or result.unreachable:
        raise click.exceptions.Exit(1)


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the scheduled jobs in this process (production: one or more such processes)."""
    from apscheduler.schedulers.blocking import BlockingScheduler
    from flask import current_app
    app = current_app._get_current_object()
    scheduler = build_scheduler(app, BlockingScheduler(timezone="UTC"))
    click.echo("scheduler: " + ", ".join(f"{j.id} every {app.config.get(j.seconds_setting) or j.default_seconds} s"
                                         for j in JOBS))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
