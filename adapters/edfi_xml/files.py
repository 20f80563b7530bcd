"""The interchange files of a source: a folder of .xml files or a zip of them (read through
`adapters.safe_zip`, never extracted), each recognised by its root element, not its name. A
folder is read through `adapters.safe_folder`: a link in it refuses the set unless allowed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from adapters.safe_folder import open_file, tree_files
from adapters.safe_zip import SafeZip, ZipLimits


@dataclass(frozen=True)
class XmlFile:
    name: str  # as reported: the path inside the folder or zip
    root: str = ""  # root element's local name, once peeked


class FileSet:
    """Opens the same files as often as the adapter's passes need them."""

    def __init__(self, path: Path, limits: ZipLimits, *, follow_symlinks: bool = False) -> None:
        self.path = path
        self.follow_symlinks = follow_symlinks
        self._zip: SafeZip | None = SafeZip(path, limits) if path.is_file() else None

    def names(self) -> list[str]:
        if self._zip is not None:
            return sorted(n for n in self._zip.names() if n.lower().endswith(".xml"))
        return tree_files(self.path, ".xml", follow_symlinks=self.follow_symlinks)

    @contextmanager
    def open(self, name: str) -> Iterator[BinaryIO]:
        stream = self._zip.open(name) if self._zip is not None else open_file(
            self.path, name, follow_symlinks=self.follow_symlinks)
        try:
            yield stream
        finally:
            stream.close()

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
