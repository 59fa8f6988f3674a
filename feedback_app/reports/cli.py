"""``flask report`` (the report of a period as XLSX, PDF, CSV or JSON; ``report close`` and ``report reopen``
a period's stored figures; ``report remind``), ``flask register export`` (the PAKN register as XLSX)
and ``flask webhooks flush``."""
from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from workflows.clock import CLOCK, LOCAL_TZ

from .periods import Period, PeriodError, RangeError, between, parse_period

FORMATS = ("xlsx", "pdf", "csv", "json")


def render(period: Period, fmt: str, live: bool = False) -> bytes | str:
    """The report of ``period`` in ``fmt``: a closed period's stored figures unless ``live``."""
    from ..services.reports import PeriodNotBegun, report_of
    from . import exports
    try:
        stored = report_of(period, live=live)
    except PeriodNotBegun as error:
        raise click.ClickException(str(error)) from None
    report = stored.report
    if fmt == "xlsx":
        return exports.to_xlsx(report, stored.status_line())
    if fmt == "pdf":
        return exports.to_pdf(report, stored.status_line())
    if fmt == "csv":
        return exports.to_csv(report, stored.closed_at)
    return json.dumps(exports.to_json(report), ensure_ascii=False, indent=2) + "\n"


def _writable(path: Path) -> Path:
    """``path`` when its folder exists; a clear error, not a traceback, when it does not."""
    if not path.parent.is_dir():
        raise click.ClickException(f"Không có thư mục {str(path.parent)!r} để ghi {path.name}")
    return path


@click.group("report", invoke_without_command=True,
             help="Báo cáo PAKN: flask report --period 2024-Q2 --format xlsx --out bao-cao.xlsx")
@click.option("--period", help="2024-Q1, 2024-H1, 2024 or YYYY-MM-DD..YYYY-MM-DD")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="json", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), help="File to write (default: standard output; "
                                                               "required for xlsx and pdf)")
@click.option("--live", is_flag=True, help="Count a closed period again instead of reading its stored figures")
@click.pass_context
def report_cli(ctx: click.Context, period: str | None, fmt: str, out: str | None, live: bool) -> None:
    if ctx.invoked_subcommand:
        return
    if not period:
        raise click.UsageError("--period là bắt buộc (ví dụ 2024-Q2)")
    if out:
        _writable(Path(out))  # before the report is computed
    content = render(_period(period), fmt, live)
    if out:
        path = Path(out)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        click.echo(f"wrote {path}", err=True)
    elif isinstance(content, bytes):
        raise click.UsageError(f"--out is required for --format {fmt}")
    else:
        click.echo(content, nl=False)


def _period(text: str) -> Period:
    try:
        return parse_period(text)
    except RangeError as error:  # typed right: what is wrong with the range
        raise click.ClickException(f"{text!r}: {error.text()}") from None
    except PeriodError:
        raise click.ClickException(f"Kỳ báo cáo không hợp lệ {text!r}: nhập năm (2024), quý (2024-Q2, quý 1 đến 4), "
                                   "6 tháng (2024-H1, 2024-H2) hoặc khoảng ngày (2024-03-15..2024-06-14)") from None


@report_cli.command("close")
@click.option("--period", required=True, help="2024-Q1, 2024-H1, 2024 or YYYY-MM-DD..YYYY-MM-DD")
def report_close(period: str) -> None:
    """Chốt số liệu: store the period's figures as they are now; the report reads them ever after."""
    from ..services.reports import AlreadyClosed, PeriodNotOver, close_report
    p = _period(period)
    try:
        snapshot = close_report(p, None)
    except PeriodNotOver:
        raise click.ClickException(f"Kỳ {p.label} chưa kết thúc (đến hết ngày {p.end:%d/%m/%Y})") from None
    except AlreadyClosed as closed:
        at = closed.snapshot.closed_at.astimezone(LOCAL_TZ)
        raise click.ClickException(f"Kỳ {p.label} đã được chốt lúc {at:%H:%M %d/%m/%Y} bởi "
                                   f"{closed.snapshot.closed_by_label}") from None
    # in the department's time, as the report's own "Số liệu đã chốt lúc …"
    click.echo(f"closed {p.label} at {snapshot.closed_at.astimezone(LOCAL_TZ):%H:%M %d/%m/%Y} (Asia/Ho_Chi_Minh)")


@report_cli.command("reopen")
@click.option("--period", required=True, help="2024-Q1, 2024-H1, 2024 or YYYY-MM-DD..YYYY-MM-DD")
def report_reopen(period: str) -> None:
    """Delete a closed period's stored figures (after a correction): the report is counted again."""
    from ..services.reports import reopen_report
    p = _period(period)
    if not reopen_report(p):  # a script is told it did nothing (exit status 1)
        raise click.ClickException(f"Kỳ {p.label} chưa được chốt số liệu: không có gì để mở lại")
    click.echo(f"reopened {p.label}")


@report_cli.command("remind")
@click.option("--now", help="ISO 8601 instant to act as 'now' (default: the clock)")
def report_remind(now: str | None) -> None:
    """Queue the quarterly reminder to HCTH if today is in its window (idempotent)."""
    from ..services.reports import remind_quarterly_report
    from ..jobs import cli_instant
    mail = remind_quarterly_report(cli_instant(now) or CLOCK.now())
    click.echo(f"queued: {mail.subject}" if mail else "nothing to do")


register_cli = AppGroup("register", help="Sổ theo dõi tiếp nhận và xử lý PAKN (NĐ 20/2008/NĐ-CP, Điều 9.1c).")


def _day(text: str, option: str) -> date:
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
            return date.fromisoformat(text.strip())
    except ValueError:
        pass
    raise click.ClickException(f"{option}: ngày không hợp lệ {text!r} (nhập YYYY-MM-DD, ví dụ 2024-03-15)")


def _register_period(date_from: str | None, date_to: str | None, period: str | None) -> Period:
    if period and (date_from or date_to):
        raise click.UsageError("dùng --period hoặc --from và --to, không dùng cả hai")
    if period:
        return _period(period)
    if not (date_from and date_to):
        raise click.UsageError("cần --from và --to (YYYY-MM-DD), hoặc --period (ví dụ 2024-Q2)")
    start, end = _day(date_from, "--from"), _day(date_to, "--to")
    if start > end:
        raise click.ClickException(f"--from {start:%d/%m/%Y} sau --to {end:%d/%m/%Y}")
    from ..services import register
    try:
        register.check_days(start, end)  # before the period: year 1 or 9999-12-31 has no bounds in UTC
    except register.RegisterError as error:
        raise click.ClickException(str(error)) from None
    return between(start, end)


@register_cli.command("export")
@click.option("--from", "date_from", metavar="YYYY-MM-DD", help="First day of receipt (local time)")
@click.option("--to", "date_to", metavar="YYYY-MM-DD", help="Last day of receipt, included")
@click.option("--period", help="Instead of --from/--to: 2024-Q2 (15/03–14/06), 2024 (15/12/2023–14/12/2024)")
@click.option("--channel", help="Only this channel (web, api, email, post, phone, in_person, national)")
@click.option("--unit", help="Only this unit's cases (its code; HCTH also takes those never forwarded)")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The .xlsx file to write")
@click.option("--every", default=5000, show_default=True, type=click.IntRange(min=1),
              help="A progress line on stderr every this many rows")
def register_export(date_from: str | None, date_to: str | None, period: str | None, channel: str | None,
                    unit: str | None, out: str, every: int) -> None:
    """Write the register of the cases received in a range of days as XLSX (A4 landscape)."""
    from ..services import register
    from . import register_xlsx
    if not out.lower().endswith(".xlsx"):  # an XLSX named .csv opens as garbage in a spreadsheet
        raise click.ClickException(f"--out {out}: sổ được ghi dạng XLSX; vui lòng đặt tên tệp có đuôi .xlsx")
    # a unit's code as the API takes it, in any case
    filters = register.Filters(_register_period(date_from, date_to, period), channel or None,
                               unit.strip().upper() if unit else None)
    try:
        register.check(filters)
    except register.RegisterError as error:
        raise click.ClickException(str(error)) from None
    total = register.count(filters)
    click.echo(f"{filters.period.start:%d/%m/%Y} – {filters.period.end:%d/%m/%Y}: {total} dòng", err=True)
    path = _writable(Path(out))
    part = path.with_name(path.name + ".part")  # the file appears whole or not at all
    try:
        written = register_xlsx.write(filters, str(part), every=every,
                                      progress=lambda n: click.echo(f"{n}/{total} dòng", err=True))
        part.replace(path)
    finally:
        part.unlink(missing_ok=True)
    click.echo(f"Đã ghi {written} dòng vào {path}", err=True)


webhooks_cli = AppGroup("webhooks", help="State-change webhook deliveries.")


@webhooks_cli.command("flush")
def webhooks_flush() -> None:
    """POST the deliveries that are due (retries with exponential backoff)."""
    from ..services.webhooks import deliver_webhooks
    counts = deliver_webhooks()
    click.echo(", ".join(f"{k} {v}" for k, v in counts.items()))
    if counts["failed"]:  # given up for good this run
        raise click.exceptions.Exit(1)


def init_app(app: Flask) -> None:
    app.cli.add_command(report_cli)
    app.cli.add_command(register_cli)
    app.cli.add_command(webhooks_cli)
