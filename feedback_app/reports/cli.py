"""``flask report`` (the report of a period as XLSX, CSV or JSON; ``report remind``) and
``flask webhooks flush``."""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from workflows.clock import CLOCK, parse_instant

from .periods import PeriodError, parse_period

FORMATS = ("xlsx", "csv", "json")


def render(period_text: str, fmt: str) -> bytes | str:
    """The report of ``period_text`` in ``fmt``; raises ``PeriodError`` for a bad period."""
    from . import exports
    from .queries import build_report
    report = build_report(parse_period(period_text))
    if fmt == "xlsx":
        return exports.to_xlsx(report)
    if fmt == "csv":
        return exports.to_csv(report)
    return json.dumps(exports.to_json(report), ensure_ascii=False, indent=2) + "\n"


@click.group("report", invoke_without_command=True,
             help="Báo cáo PAKN: flask report --period 2024-Q2 --format xlsx --out bao-cao.xlsx")
@click.option("--period", help="2024-Q1, 2024 or YYYY-MM-DD..YYYY-MM-DD")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="json", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), help="File to write (default: standard output; "
                                                               "required for xlsx)")
@click.pass_context
def report_cli(ctx: click.Context, period: str | None, fmt: str, out: str | None) -> None:
    if ctx.invoked_subcommand:
        return
    if not period:
        raise click.UsageError("--period là bắt buộc (ví dụ 2024-Q2)")
    try:
        content = render(period, fmt)
    except PeriodError as exc:
        raise click.ClickException(f"Kỳ báo cáo không hợp lệ: {exc}") from None
    if out:
        path = Path(out)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        click.echo(f"wrote {path}", err=True)
    elif isinstance(content, bytes):
        raise click.UsageError("--out is required for --format xlsx")
    else:
        click.echo(content, nl=False)


@report_cli.command("remind")
@click.option("--now", help="ISO 8601 instant to act as 'now' (default: the clock)")
def report_remind(now: str | None) -> None:
    """Queue the quarterly reminder to HCTH if today is in its window (idempotent)."""
    from ..services.reports import remind_quarterly_report
    try:
        instant = parse_instant(now) if now else CLOCK.now()
    except ValueError:
        raise click.BadParameter(f"{now!r} is not an ISO 8601 instant") from None
    mail = remind_quarterly_report(instant)
    click.echo(f"queued: {mail.subject}" if mail else "nothing to do")


webhooks_cli = AppGroup("webhooks", help="State-change webhook deliveries.")


@webhooks_cli.command("flush")
def webhooks_flush() -> None:
    """POST the deliveries that are due (retries with exponential backoff)."""
    from ..services.webhooks import deliver_webhooks
    counts = deliver_webhooks()
    click.echo(", ".join(f"{k} {v}" for k, v in counts.items()))


def init_app(app: Flask) -> None:
    app.cli.add_command(report_cli)
    app.cli.add_command(webhooks_cli)
