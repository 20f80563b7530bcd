"""JUnit XML, so any CI system can show the run as test results."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

from ..outcome import FAILED, SKIPPED, Result


def write_junit(results: list[Result], path: str | Path, suite_name: str) -> None:
    suite = ET.Element(
        "testsuite",
        name=suite_name,
        tests=str(len(results)),
        failures=str(sum(r.status == FAILED for r in results)),
        skipped=str(sum(r.status == SKIPPED for r in results)),
        time=f"{sum(r.seconds for r in results):.3f}",
    )
    for result in results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"{suite_name}.{result.case.level}",
            name=f"{result.case.id}: {result.case.title}",
            time=f"{result.seconds:.3f}",
        )
        ET.SubElement(case, "properties").extend(
            ET.Element("property", name=k, value=v)
            for k, v in (("level", result.case.level), ("spec", result.case.spec),
                         ("source", f"{result.case.source}:{result.case.line}"))
        )
        if result.status == FAILED:
            failure = ET.SubElement(case, "failure", message=result.message[:500])
            failure.text = result.message + "\n\nRequests:\n" + "\n".join(result.requests)
        elif result.status == SKIPPED:
            ET.SubElement(case, "skipped", message=result.message)
    tree = ET.ElementTree(ET.Element("testsuites"))
    tree.getroot().append(suite)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
