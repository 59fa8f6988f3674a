"""``flask report`` (the report of a period as XLSX, CSV or JSON; ``report close`` and ``report reopen``
a period's stored figures; ``report remind``) and ``flask webhooks flush``."""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from workflows.clock import CLOCK, parse_instant

from .periods import Period, PeriodError, parse_period

FORMATS = ("xlsx", "csv", "json")


def render(period: Period, fmt: str, live: bool = False) -> bytes | str:
    """The report of ``period`` in ``fmt``: a closed period's stored figures unless ``live``."""
    from ..services.reports import report_of
    from . import exports
    stored = report_of(period, live=live)
    report = stored.report
    if fmt == "xlsx":
        return exports.to_xlsx(report, stored.status_line())
    if fmt == "csv":
        return exports.to_csv(report)
    return json.dumps(exports.to_json(report), ensure_ascii=False, indent=2) + "\n"


@click.group("report", invoke_without_command=True,
             help="Báo cáo PAKN: flask report --period 2024-Q2 --format xlsx --out bao-cao.xlsx")
@click.option("--period", help="2024-Q1, 2024 or YYYY-MM-DD..YYYY-MM-DD")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="json", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), help="File to write (default: standard output; "
                                                               "required for xlsx)")
@click.option("--live", is_flag=True, help="Count a closed period again instead of reading its stored figures")
@click.pass_context
def report_cli(ctx: click.Context, period: str | None, fmt: str, out: str | None, live: bool) -> None:
    if ctx.invoked_subcommand:
        return
    if not period:
        raise click.UsageError("--period là bắt buộc (ví dụ 2024-Q2)")
    content = render(_period(period), fmt, live)
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


def _period(text: str) -> Period:
    try:
        return parse_period(text)
    except PeriodError as exc:
        raise click.ClickException(f"Kỳ báo cáo không hợp lệ: {exc}") from None


@report_cli.command("close")
@click.option("--period", required=True, help="2024-Q1, 2024 or YYYY-MM-DD..YYYY-MM-DD")
def report_close(period: str) -> None:
    """Chốt số liệu: store the period's figures as they are now; the report reads them ever after."""
    from ..services.reports import AlreadyClosed, PeriodNotOver, close_report
    p = _period(period)
    try:
        snapshot = close_report(p, None)
    except PeriodNotOver:
        raise click.ClickException(f"Kỳ {p.label} chưa kết thúc (đến hết ngày {p.end:%d/%m/%Y})") from None
    except AlreadyClosed as closed:
        raise click.ClickException(f"Kỳ {p.label} đã được chốt lúc "
                                   f"{closed.snapshot.closed_at:%Y-%m-%d %H:%M} UTC bởi {closed.snapshot.closed_by_label}") from None
    click.echo(f"closed {p.label} at {snapshot.closed_at:%Y-%m-%d %H:%M} UTC")


@report_cli.command("reopen")
@click.option("--period", required=True, help="2024-Q1, 2024 or YYYY-MM-DD..YYYY-MM-DD")
def report_reopen(period: str) -> None:
    """Delete a closed period's stored figures (after a correction): the report is counted again."""
    from ..services.reports import reopen_report
    p = _period(period)
    click.echo(f"reopened {p.label}" if reopen_report(p) else f"{p.label} was not closed")


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
