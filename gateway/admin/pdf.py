"""PDF reports a school can print or hand over: a parent's record of disclosures, with a
timeline per app, and a breach report. Drawn with fpdf2 (pure Python, no system libraries:
text, tables and the timeline's lines need nothing more). DejaVu Sans is used where the
system has it, so any name prints; otherwise the PDF core font, with letters it cannot show
replaced."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from fpdf import FPDF

from gateway.auth.registry import AppDetail
from gateway.policy.reports import BreachRow, ParentReport

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


class _Document(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.set_title(title)
        self.set_creator("School Data Gateway")
        self.unicode = (DEJAVU / "DejaVuSans.ttf").is_file() and \
            (DEJAVU / "DejaVuSans-Bold.ttf").is_file()
        if self.unicode:
            self.add_font("body", "", str(DEJAVU / "DejaVuSans.ttf"))
            self.add_font("body", "B", str(DEJAVU / "DejaVuSans-Bold.ttf"))
        self.set_auto_page_break(True, margin=15)
        self.add_page()

    def font(self, size: float, bold: bool = False) -> None:
        self.set_font("body" if self.unicode else "helvetica", "B" if bold else "", size)

    def text_of(self, value: object) -> str:
        text = str(value)
        return text if self.unicode else text.encode("latin-1", "replace").decode("latin-1")

    def line_of(self, text: str, size: float = 10, bold: bool = False, h: float = 6) -> None:
        self.font(size, bold)
        self.multi_cell(0, h, self.text_of(text), new_x="LMARGIN", new_y="NEXT")

    def table(self, header: Sequence[str], rows: Sequence[Sequence[object]],
              widths: Sequence[float]) -> None:
        self.font(8)
        with super().table(col_widths=tuple(widths), text_align="LEFT", line_height=4.5,
                           first_row_as_headings=True) as table:
            table.row([self.text_of(h) for h in header])
            for row in rows:
                table.row([self.text_of(v) for v in row])


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def parent_pdf(report: ParentReport) -> bytes:
    pdf = _Document(f"Record of disclosures: {report.student_name}")
    pdf.line_of("Record of disclosures of a student's education records", 15, True, 8)
    pdf.line_of(f"Student: {report.student_name} ({report.student_id})", 11)
    pdf.line_of(f"Produced {_day(report.produced)}. {report.total} disclosure(s) to "
                f"{len(report.apps)} app(s).", 10)
    pdf.line_of("Every app below received this student's data from the district under a "
                "data-sharing agreement for the purpose named (34 CFR 99.32).", 9)
    pdf.ln(3)
    if not report.apps:
        pdf.line_of("No app has received this student's data.", 11, True)
        return bytes(pdf.output())
    pdf.table(("App", "Agreement", "Purpose", "First", "Last", "Times", "Fields"),
              [(a.name, a.agreement, a.purpose, _day(a.first), _day(a.last), len(a.events),
                ", ".join(a.fields)) for a in report.apps],
              (26, 24, 20, 24, 24, 12, 60))
    pdf.ln(5)
    _timeline(pdf, report)
    return bytes(pdf.output())


def _timeline(pdf: _Document, report: ParentReport) -> None:
    """One row per app; a tick for each disclosure on a shared time axis."""
    pdf.line_of("Timeline", 12, True, 7)
    start = min(a.first for a in report.apps)
    end = max(a.last for a in report.apps)
    span = max((end - start).total_seconds(), 1.0)
    left, width = pdf.l_margin + 45, pdf.epw - 45
    pdf.font(8)
    for app in report.apps:
        if pdf.get_y() > pdf.h - 30:
            pdf.add_page()
        y = pdf.get_y() + 4
        pdf.set_xy(pdf.l_margin, y - 2.5)
        pdf.cell(44, 5, pdf.text_of(app.name[:28]))
        pdf.set_draw_color(180, 180, 180)
        pdf.line(left, y, left + width, y)
        pdf.set_draw_color(30, 80, 160)
        for at, _endpoint, _fields in app.events:
            x = left + width * (at - start).total_seconds() / span
            pdf.line(x, y - 2.5, x, y + 2.5)
        pdf.set_y(y + 4)
    pdf.set_draw_color(0, 0, 0)
    pdf.font(7)
    pdf.set_x(left)
    pdf.cell(width / 2, 4, pdf.text_of(_day(start)))
    pdf.cell(width / 2, 4, pdf.text_of(_day(end)), align="R", new_x="LMARGIN", new_y="NEXT")


def breach_pdf(app: AppDetail, since: datetime, until: datetime,
               rows: Sequence[BreachRow]) -> bytes:
    pdf = _Document(f"Disclosures to {app.name}")
    pdf.line_of("Students disclosed to one app in a time window", 15, True, 8)
    pdf.line_of(f"App: {app.name} ({app.client_id}); agreement {app.agreement.name!r}, "
                f"purpose {app.agreement.purpose}", 10)
    pdf.line_of(f"Window: {_day(since)} to {_day(until)}. {len(rows)} student(s).", 10)
    pdf.ln(3)
    pdf.table(("Student", "Name", "First", "Last", "Times", "Fields"),
              [(r.student_id, r.student_name, _day(r.first), _day(r.last), r.responses,
                ", ".join(r.fields)) for r in rows],
              (28, 30, 25, 25, 12, 70))
    return bytes(pdf.output())
