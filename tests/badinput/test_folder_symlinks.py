"""Folder sources do not follow symbolic links out of the folder (zips already refuse link
members): every adapter that reads a folder refuses a link with a fatal issue naming it, and
the run applies nothing, unless the source's options set `follow_symlinks = true`."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine

from adapters.mapped_csv import MappedCsvAdapter
from adapters.oneroster_csv import OneRosterCsvAdapter
from adapters.oneroster_csv.fixtures import fixture_path
from adapters.safe_folder import FolderRefused, open_file
from gateway.sync.report import RunReport
from gateway.sync.runner import run_sync
from tests.badinput.conftest import VENDOR, District, problems, sync_oneroster

USERS = (fixture_path("v1p2_bulk") / "users.csv").read_text()


def _link_outside(folder: Path, name: str, outside: Path, content: str | None = None) -> Path:
    """Move `folder/name` to `outside/name` (optionally rewritten) and leave a link behind."""
    outside.mkdir(parents=True, exist_ok=True)
    target = outside / name
    shutil.move(folder / name, target)
    if content is not None:
        target.write_text(content, encoding="utf-8")
    (folder / name).symlink_to(target)
    return target


def _only_fatal(report: RunReport) -> tuple[str | None, str]:
    fatal = [issue for issue in problems(report) if issue.level == "fatal"]
    assert len(fatal) == 1, problems(report)
    return fatal[0].file, fatal[0].reason


def test_a_oneroster_folder_whose_users_csv_links_outside_is_refused(district: District,
                                                                      ) -> None:
    package = district.package({})
    renamed = USERS.replace("Amara,Okafor", "Leaked,Outside")
    target = _link_outside(package, "users.csv", district.work / "outside", renamed)
    adapter = OneRosterCsvAdapter(path=str(package))
    assert adapter.check() == [f"users.csv: is a symbolic link (to {target}); a folder source "
                               "reads only files inside its folder unless the source's options "
                               "set follow_symlinks = true"]
    report = sync_oneroster(district.engine, package)
    assert report.state == "failed"
    file, reason = _only_fatal(report)
    assert file == "users.csv" and reason.startswith(f"is a symbolic link (to {target})")
    assert district.unchanged()


def test_the_option_follow_symlinks_lets_a_oneroster_folder_import_a_link(district: District,
                                                                          ) -> None:
    package = district.package({})
    _link_outside(package, "users.csv", district.work / "outside",
                  USERS.replace("Amara,Okafor", "Amara,Okafor-Reyes"))
    report = sync_oneroster(district.engine, package, follow_symlinks=True)
    assert report.state == "applied", problems(report)
    assert report.counts["users"].updated == 1


def test_a_oneroster_export_unpacked_into_a_linked_subfolder_is_refused(district: District,
                                                                       ) -> None:
    elsewhere = district.package({}, name="elsewhere")
    wrapper = district.work / "wrapper"
    wrapper.mkdir()
    (wrapper / "export").symlink_to(elsewhere, target_is_directory=True)
    report = sync_oneroster(district.engine, wrapper)
    assert report.state == "failed"
    assert _only_fatal(report)[0] == "export"
    assert district.unchanged()


def test_a_link_that_is_not_a_binding_file_refuses_the_folder_too(district: District) -> None:
    package = district.package({})
    (package / "notes.txt").symlink_to("/etc/hostname")
    report = sync_oneroster(district.engine, package)
    assert report.state == "failed"
    assert _only_fatal(report)[0] == "notes.txt"
    assert district.unchanged()


def _vendor(folder: Path, **options: object) -> MappedCsvAdapter:
    return MappedCsvAdapter(path=str(folder), mapping="pack:powerschool", **options)


def _sync_vendor(engine: Engine, folder: Path, **options: object) -> RunReport:
    return run_sync(engine, VENDOR, _vendor(folder, **options).read(),
                    adapter_name=VENDOR.adapter)


def test_a_mapped_csv_folder_whose_students_csv_links_outside_is_refused(
    vendor_district: District, vendor_export: Path,
) -> None:
    folder = Path(shutil.copytree(vendor_export, vendor_district.work / "export"))
    _link_outside(folder, "students.csv", vendor_district.work / "outside")
    assert [p for p in _vendor(folder).check() if "students.csv" in p] == [
        f"students.csv: is a symbolic link (to {vendor_district.work / 'outside'}/students.csv);"
        " a folder source reads only files inside its folder unless the source's options set "
        "follow_symlinks = true"]
    report = _sync_vendor(vendor_district.engine, folder)
    assert report.state == "failed"
    assert _only_fatal(report)[0] == "students.csv"
    assert vendor_district.unchanged()

    followed = _sync_vendor(vendor_district.engine, folder, follow_symlinks=True)
    assert followed.state == "unchanged", problems(followed)
    assert followed.counts["users"].unchanged > 0


def test_follow_symlinks_must_be_a_boolean(tmp_path: Path) -> None:
    from adapters.base import OptionError
    from adapters.edfi_xml import EdfiXmlAdapter

    for adapter in (MappedCsvAdapter, EdfiXmlAdapter, OneRosterCsvAdapter):
        options = {"mapping": "pack:powerschool"} if adapter is MappedCsvAdapter else {}
        with pytest.raises(OptionError, match="follow_symlinks"):
            adapter(path=str(tmp_path), follow_symlinks="yes please", **options)


def test_a_file_swapped_for_a_link_after_listing_is_refused_when_opened(tmp_path: Path) -> None:
    (tmp_path / "outside.csv").write_text("secret\n")
    folder = tmp_path / "folder"
    (folder / "sub").mkdir(parents=True)
    (folder / "users.csv").symlink_to(tmp_path / "outside.csv")
    (folder / "linked").symlink_to(folder / "sub", target_is_directory=True)
    (folder / "sub" / "a.xml").write_text("<a/>")
    with pytest.raises(FolderRefused) as refused:
        open_file(folder, "users.csv", follow_symlinks=False)
    assert refused.value.name == "users.csv"
    with pytest.raises(FolderRefused) as refused:
        open_file(folder, "linked/a.xml", follow_symlinks=False)
    assert refused.value.name == "linked"
    with open_file(folder, "users.csv", follow_symlinks=True) as handle:
        assert handle.read() == b"secret\n"


def test_a_fifo_in_a_folder_is_refused_not_waited_on(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "users.csv")
    with pytest.raises(FolderRefused, match="not a regular file"):
        open_file(tmp_path, "users.csv", follow_symlinks=False)

