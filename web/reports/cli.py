"""``flask report …``: write the semester and yearly reports as files; keep the indicator roll-ups honest."""

import re
from pathlib import Path

import click
from flask import render_template
from flask.cli import AppGroup

from web.clock import now
from web.exports import xlsx_bytes
from web.transaction import unit_of_work
from workflow.domain.errors import DomainError
from workflow.services import indicators
from workflow.services import reports as report_service
from workflow.services.indicators import Period

report_cli = AppGroup("report", help="Monitoring reports (Perbup 4/2022 Pasal 8 and 9) and the indicator roll-ups.")
FORMATS = ("xlsx", "html")


def write_report(period: Period, folder: Path, formats: tuple[str, ...]) -> list[Path]:
    """Write the report of ``period`` into ``folder`` in each of ``formats``; return the files written."""
    from web.reports.views import report_charts
    from web.reports.xlsx import report_sheets

    report = report_service.monitoring_report(period, now())
    stem = f"laporan-{'tahunan' if period.kind == 'year' else 'semester'}-{period.code}"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    if "xlsx" in formats:
        path = folder / f"{stem}.xlsx"
        path.write_bytes(xlsx_bytes(report_sheets(report)))
        written.append(path)
    if "html" in formats:
        path = folder / f"{stem}.html"
        page = render_template("reports/report.html", report=report, period=period, charts=report_charts(report))
        path.write_text(standalone(page), encoding="utf-8")
        written.append(path)
    return written


def standalone(page: str) -> str:
    """Return a rendered page that opens and prints on its own: its stylesheets inline, no scripts."""
    from flask import current_app

    from web.reports import bp

    folders = {"/static/": Path(current_app.static_folder), "/laporan/static/": Path(bp.static_folder)}

    def inline(match: re.Match) -> str:
        href = match.group(1).split("?", 1)[0]
        for prefix, folder in folders.items():
            if href.startswith(prefix) and (folder / href.removeprefix(prefix)).is_file():
                return "<style>\n" + (folder / href.removeprefix(prefix)).read_text(encoding="utf-8") + "\n</style>"
        return ""

    page = re.sub(r'<link rel="stylesheet" href="([^"]+)">', inline, page)
    return re.sub(r"<script[^>]*></script>", "", page)


def _run(period_text: str, expected: str, folder: str, formats: str) -> None:
    chosen = tuple(f.strip() for f in formats.split(",") if f.strip())
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise click.BadParameter(f"choose from {', '.join(FORMATS)}", param_hint="--format")
    try:
        period = Period.parse(period_text)
        if period.kind != expected:
            raise click.BadParameter(f"'{period_text}' is not a {expected} (e.g. "
                                     f"{'2026-1' if expected == 'semester' else '2026'})", param_hint="PERIOD")
        from flask import current_app

        with current_app.test_request_context("/laporan/"), unit_of_work():
            for path in write_report(period, Path(folder), chosen):
                click.echo(str(path))
    except DomainError as error:
        raise click.ClickException(f"{error.message} {error.details or ''}".strip()) from None


@report_cli.command("semester")
@click.argument("semester")
@click.option("--out", "folder", default="reports", show_default=True, help="Folder to write into.")
@click.option("--format", "formats", default="xlsx,html", show_default=True, help="xlsx, html or both.")
def semester(semester: str, folder: str, formats: str) -> None:
    """Write the semester monitoring report (Pasal 8) of SEMESTER (2026-1, 2026-S2)."""
    _run(semester, "semester", folder, formats)


@report_cli.command("annual")
@click.argument("year")
@click.option("--out", "folder", default="reports", show_default=True, help="Folder to write into.")
@click.option("--format", "formats", default="xlsx,html", show_default=True, help="xlsx, html or both.")
def annual(year: str, folder: str, formats: str) -> None:
    """Write the yearly report to the Governor and the Minister (Pasal 9) of YEAR."""
    _run(year, "year", folder, formats)


@report_cli.command("rebuild")
def rebuild() -> None:
    """Recount every indicator fact and roll-up from the complaints (after a bulk import or a migration)."""
    with unit_of_work():
        count = indicators.rebuild()
    click.echo(f"indicators rebuilt from {count} complaints")


@report_cli.command("check")
@click.option("--deep", is_flag=True, help="Also recount every complaint's fact.")
def check(deep: bool) -> None:
    """Check that the roll-ups equal the sum of the facts; exit 1 and list the differences if not."""
    with unit_of_work():
        problems = indicators.check(deep=deep)
    for problem in problems[:50]:
        click.echo(problem, err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} differences; run `flask report rebuild`")
    click.echo("indicators OK")
