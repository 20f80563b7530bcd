"""The entry point the `gateway demo-data` command calls."""

from __future__ import annotations

from pathlib import Path

from gateway.demo.district import outline_district, plan_zones
from gateway.demo.families import People
from gateway.demo.formats import writer_for
from gateway.demo.summary import DemoSummary


def write_demo(
    out_dir: Path, *, students: int, seed: int, format: str, oneroster_version: str = "1.2"
) -> DemoSummary:
    """Invent a district of `students` students and write it to `out_dir` in `format`.

    The same (students, seed) always yields byte-identical files. Students are generated and
    written one family at a time, and the district one feeder zone at a time, so memory stays
    flat however many students are asked for.
    """
    factory = writer_for(format)
    if isinstance(students, bool) or not isinstance(students, int) or students < 1:
        raise ValueError(f"students must be a positive whole number, got {students!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be a whole number, got {seed!r}")
    outline = outline_district(students, seed)
    summary = DemoSummary(format=format, categories=len(outline.categories))
    people = People(seed)
    with factory(Path(out_dir), oneroster_version=oneroster_version) as writer:
        writer.begin(outline.district, outline.categories)
        for zone in plan_zones(outline, seed):
            writer.add_zone(zone)
            summary.count_zone(zone)
            for family in people.families(zone):
                writer.add_family(family)
                summary.count_family(family)
        summary.files = writer.close()
    return summary
