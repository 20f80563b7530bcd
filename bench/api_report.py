"""The figures of one API benchmark run on one database, and how they are printed: a table per
database against the ceiling, first page against a deep page, and the disclosure log's cost,
each followed by the issue's target and whether it was met."""

from __future__ import annotations

from dataclasses import dataclass, field

from api_load import Load

# Issue 9's targets, for every collection and single-read endpoint alike.
TARGET_RATIO = 0.50  # at least half the ceiling's throughput
TARGET_P99_MS = 50.0
TARGET_DEEP = 1.5  # a deep page within 1.5x of the first page's latency
TARGET_LOG_COST = 0.10
FLOOR_USERS_PAGE = 1000.0  # req/s on the users page, below which the issue is not resolved


@dataclass(frozen=True)
class Row:
    endpoint: str
    collection: bool
    gateway: Load
    ceiling: Load

    @property
    def ratio(self) -> float:
        return self.gateway.per_second / self.ceiling.per_second if self.ceiling.requests else 0.0

    @property
    def cpu_ratio(self) -> float | None:
        """The ceiling's CPU per request over the gateway's: the share of the ceiling the
        gateway would reach with the cores to itself (on a shared machine, a steadier figure
        than the throughput ratio)."""
        g, c = self.gateway.cpu_ms, self.ceiling.cpu_ms
        return c / g if g and c else None


@dataclass(frozen=True)
class LogCost:
    endpoint: str
    on: Load
    off: Load

    @property
    def cost(self) -> float:
        """The share of throughput the log takes away (negative: within noise)."""
        return 1 - self.on.per_second / self.off.per_second if self.off.requests else 0.0

    @property
    def cpu_cost(self) -> float | None:
        """The log's share of a request's CPU time (the mover thread's appends included)."""
        on, off = self.on.cpu_ms, self.off.cpu_ms
        return 1 - off / on if on and off else None


@dataclass
class DatabaseResult:
    database: str
    students: int
    users: int
    workers: int
    connections: int
    seconds: float
    generator: str
    rows: list[Row] = field(default_factory=list)
    first_page: Load | None = None
    deep_page: Load | None = None
    deep_offset: int = 0
    log_costs: list[LogCost] = field(default_factory=list)
    disclosures_with_log_on: int = 0
    disclosures_with_log_off: int = 0


def _mark(ok: bool) -> str:
    return "met" if ok else "MISSED"


def report(r: DatabaseResult) -> str:
    lines = [
        f"\n== {r.database}: {r.students:,} students ({r.users:,} users), gunicorn {r.workers} "
        f"sync workers, {r.connections} connections, {r.seconds:g} s per run, "
        f"load by {r.generator} ==",
        f"{'endpoint':<30}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
        f"{'ceiling req/s':>15}{'ratio':>8}{'CPU ms':>8}{'ceil CPU':>9}{'CPU ratio':>10}",
    ]
    for row in r.rows:
        g = row.gateway
        cpu = (f"{g.cpu_ms or 0:>8.2f}{row.ceiling.cpu_ms or 0:>9.2f}"
               f"{row.cpu_ratio if row.cpu_ratio is not None else 0:>10.1%}")
        lines.append(f"{row.endpoint:<30}{g.per_second:>9,.0f}{g.p50_ms:>9.1f}{g.p99_ms:>9.1f}"
                     f"{g.errors:>8}{row.ceiling.per_second:>15,.0f}{row.ratio:>8.2%}{cpu}")
    worst_ratio = min((row.ratio for row in r.rows), default=0.0)
    worst_p99 = max((row.gateway.p99_ms for row in r.rows), default=0.0)
    users_page = next((row.gateway.per_second for row in r.rows
                       if row.endpoint.startswith("users")), 0.0)
    lines.append(f"target: every endpoint >= {TARGET_RATIO:.0%} of its ceiling "
                 f"(worst {worst_ratio:.1%}): {_mark(worst_ratio >= TARGET_RATIO)}; "
                 f"p99 < {TARGET_P99_MS:.0f} ms (worst {worst_p99:.1f} ms): "
                 f"{_mark(worst_p99 < TARGET_P99_MS)}; users page >= "
                 f"{FLOOR_USERS_PAGE:,.0f} req/s ({users_page:,.0f}): "
                 f"{_mark(users_page >= FLOOR_USERS_PAGE)}")
    if r.first_page and r.deep_page:
        first, deep = r.first_page, r.deep_page
        slower = deep.p50_ms / first.p50_ms if first.p50_ms else 0.0
        lines += [
            f"\nusers page at offset 0 vs offset {r.deep_offset:,}:",
            f"  offset 0{'':<14}{first.per_second:>9,.0f} req/s  p50 {first.p50_ms:>7.1f} ms  "
            f"p99 {first.p99_ms:>7.1f} ms",
            f"  offset {r.deep_offset:<15,}{deep.per_second:>9,.0f} req/s  p50 {deep.p50_ms:>7.1f}"
            f" ms  p99 {deep.p99_ms:>7.1f} ms",
            f"target: deep page within {TARGET_DEEP:g}x of the first (p50 {slower:.1f}x): "
            f"{_mark(slower <= TARGET_DEEP)}",
        ]
    if r.log_costs:
        lines.append(f"\ndisclosure log on vs off ({r.disclosures_with_log_on:,} disclosures "
                     f"written with it on, {r.disclosures_with_log_off:,} with it off):")
        lines.append(f"  {'endpoint':<28}{'on req/s':>10}{'off req/s':>11}{'cost':>8}"
                     f"{'on CPU ms':>11}{'off CPU ms':>12}{'CPU cost':>10}")
        for c in r.log_costs:
            lines.append(f"  {c.endpoint:<28}{c.on.per_second:>10,.0f}{c.off.per_second:>11,.0f}"
                         f"{c.cost:>8.1%}{c.on.cpu_ms or 0:>11.2f}{c.off.cpu_ms or 0:>12.2f}"
                         f"{c.cpu_cost if c.cpu_cost is not None else 0:>10.1%}")
        worst = max(c.cost for c in r.log_costs)
        if any(not c.off.requests or not c.on.requests for c in r.log_costs):
            lines.append("  (an endpoint answered nothing in one of the runs: not measured)")
        lines.append(f"target: logging costs < {TARGET_LOG_COST:.0%} (worst {worst:.1%}): "
                     f"{_mark(worst < TARGET_LOG_COST)}")
    return "\n".join(lines)
