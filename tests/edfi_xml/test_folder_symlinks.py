"""An Ed-Fi XML folder source refuses symbolic links (a file or a subfolder) with a fatal issue
naming the link, and applies nothing, unless its options set `follow_symlinks = true`."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import Engine

from tests.badinput.snapshot import store_snapshot
from tests.edfi_xml.conftest import problems, sync_xml


def _only_fatal_file(report) -> str | None:  # noqa: ANN001
    fatal = [issue for issue in problems(report) if issue.level == "fatal"]
    assert len(fatal) == 1, problems(report)
    return fatal[0].file


def test_an_edfi_xml_folder_with_a_linked_file_or_subfolder_is_refused(
    engine: Engine, xml_copy: Path, tmp_path: Path,
) -> None:
    before = store_snapshot(engine)
    (tmp_path / "outside").mkdir()
    shutil.move(xml_copy / "Student.xml", tmp_path / "outside" / "Student.xml")
    (xml_copy / "Student.xml").symlink_to(tmp_path / "outside" / "Student.xml")
    report = sync_xml(engine, xml_copy)
    assert report.state == "failed"
    assert _only_fatal_file(report) == "Student.xml"
    assert store_snapshot(engine) == before
    assert sync_xml(engine, xml_copy, follow_symlinks=True).state == "applied"

    (xml_copy / "Student.xml").unlink()
    shutil.move(tmp_path / "outside" / "Student.xml", xml_copy / "Student.xml")
    more = tmp_path / "more"
    more.mkdir()
    (xml_copy / "more").symlink_to(more, target_is_directory=True)
    after = store_snapshot(engine)
    report = sync_xml(engine, xml_copy)
    assert report.state == "failed"
    assert _only_fatal_file(report) == "more"
    assert store_snapshot(engine) == after
