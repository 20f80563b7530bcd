"""Reading a folder source without leaving the folder.

Zips refuse symbolic-link members (`adapters.safe_zip`); a folder must not be the way round
that: `users.csv -> /etc/...` or `sub -> /home/...` inside an export folder would import, and
then serve or print, whatever the link points at. So, unless a source's options set
`follow_symlinks = true`, every entry of a folder source is looked at without following links,
a link anywhere in it refuses the whole source (before a record is read), and files are opened
with O_NOFOLLOW and checked to be regular files once open, so that a link swapped in after the
listing, or a FIFO that would hang the run, is refused too. The configured folder itself may be
a link: district IT chose that path.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

OPTION_HELP = ("read files that are symbolic links, and folders reached through them (off: a "
               "link in the folder refuses the source, as a link in a zip does)")


class FolderRefused(OSError):
    """The folder source is refused; `name` is the entry (relative to the folder) at fault."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


def _link(name: str, path: Path) -> FolderRefused:
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    return FolderRefused(name, (
        f"is a symbolic link (to {target}); a folder source reads only files inside its folder "
        "unless the source's options set follow_symlinks = true"))


def files(root: Path, *, follow_symlinks: bool) -> list[str]:
    """Names of the regular files directly in `root`, sorted. Without `follow_symlinks` a link
    among its entries (to a file, a folder or nothing) refuses the folder."""
    names = []
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if entry.is_symlink() and not follow_symlinks:
            raise _link(entry.name, Path(entry.path))
        if entry.is_file():
            names.append(entry.name)
    return names


def refuse_links(root: Path) -> None:
    """Raise FolderRefused for the first link directly in `root` (sorted by name)."""
    files(root, follow_symlinks=False)


def tree_files(root: Path, suffix: str, *, follow_symlinks: bool) -> list[str]:
    """Paths (relative, `/`-separated) of the regular files under `root` whose names end with
    `suffix`, sorted. Without `follow_symlinks`, a link anywhere in the tree refuses it."""
    if follow_symlinks:
        return sorted(str(p.relative_to(root)) for p in root.rglob(f"*{suffix}") if p.is_file())
    found = []
    for folder, subfolders, names in os.walk(root, onerror=_raise):
        here = Path(folder)
        for name in sorted([*subfolders, *names]):
            if (here / name).is_symlink():
                raise _link((here / name).relative_to(root).as_posix(), here / name)
        found += [(here / n).relative_to(root).as_posix() for n in names if n.endswith(suffix)
                  and (here / n).is_file()]
    return sorted(found)


def _raise(error: OSError) -> None:
    raise error


def open_file(root: Path, name: str, *, follow_symlinks: bool) -> BinaryIO:
    """`root/name` opened for reading; without `follow_symlinks` no part of `name` may be a
    link. Anything but a regular file (a FIFO, a device) is refused once open."""
    path = root / name
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
        for parent in reversed(Path(name).parents[:-1]):
            if (root / parent).is_symlink():
                raise _link(parent.as_posix(), root / parent)
        if path.is_symlink():  # where O_NOFOLLOW does not exist
            raise _link(name, path)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow_symlinks:
            raise _link(name, path) from None
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise FolderRefused(name, "is not a regular file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
