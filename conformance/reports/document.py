"""HTML and Markdown reports a vendor can attach to a ticket: verdict, counts, every case."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from pathlib import Path

from ..outcome import Result
from .summary import LEVELS, STATUSES, tally, verdict

DISCLAIMER = (
    "This report comes from the open School Data Gateway conformance suite. It is not 1EdTech "
    "or Ed-Fi certification."
)


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def write_markdown(results: list[Result], path: str | Path, target: str) -> None:
    counts = tally(results)
    lines = [
        f"# Conformance report: {target}",
        "",
        f"{_stamp()}. **{verdict(results)}**",
        "",
        DISCLAIMER,
        "",
        "| level | " + " | ".join(STATUSES) + " |",
        "|---|" + "---|" * len(STATUSES),
        *(f"| {lv} | " + " | ".join(str(counts[lv][s]) for s in STATUSES) + " |" for lv in LEVELS),
        "",
        "| result | level | case | spec | detail |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        detail = r.message.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {r.status} | {r.case.level} | `{r.case.id}` {r.case.title} | "
                     f"{r.case.spec} | {detail} |")
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_html(results: list[Result], path: str | Path, target: str) -> None:
    counts = tally(results)
    rows = "\n".join(
        f'<tr class="{r.status}"><td>{r.status}</td><td>{r.case.level}</td>'
        f"<td><code>{escape(r.case.id)}</code><br>{escape(r.case.title)}</td>"
        f"<td>{escape(r.case.spec)}</td><td>{escape(r.message)}"
        + (f"<details><summary>{len(r.requests)} requests</summary><pre>"
           f"{escape(chr(10).join(r.requests))}</pre></details>" if r.requests else "")
        + "</td></tr>"
        for r in results
    )
    tallies = "\n".join(
        f"<tr><td>{lv}</td>" + "".join(f"<td>{counts[lv][s]}</td>" for s in STATUSES) + "</tr>"
        for lv in LEVELS
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Conformance report: {escape(target)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }} table {{ border-collapse: collapse; }}
td, th {{ border: 1px solid #ccc; padding: .3em .6em; vertical-align: top; text-align: left; }}
tr.failed td:first-child {{ background: #f8d7da; }}
tr.passed td:first-child {{ background: #d4edda; }}
tr.skipped td:first-child {{ background: #eee; }} pre {{ white-space: pre-wrap; }}
</style></head><body>
<h1>Conformance report: {escape(target)}</h1>
<p>{_stamp()}. <strong>{escape(verdict(results))}</strong></p>
<p>{escape(DISCLAIMER)}</p>
<table><tr><th>level</th>{"".join(f"<th>{s}</th>" for s in STATUSES)}</tr>
{tallies}</table>
<h2>Cases</h2>
<table><tr><th>result</th><th>level</th><th>case</th><th>spec</th><th>detail</th></tr>
{rows}
</table></body></html>
"""
    Path(path).write_text(page, encoding="utf-8")
