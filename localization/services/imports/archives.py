"""Uploaded zip archives of a repository: unpacked safely where the workers can read them."""
from __future__ import annotations

import shutil
import zipfile
from collections import Counter
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.utils.translation import gettext

from .common import opensdg

# ---------------------------------------------------------------------------------------------------------------
# web imports: uploaded archives and the task queue


class ArchiveError(ValueError):
    pass


MAX_ARCHIVE_FILES = 5000
MAX_ARCHIVE_BYTES = 300 * 1024 * 1024


def extract_archive(uploaded, target: Path) -> Path:
    """Unpack a zip of an Open SDG repository into ``target``; returns the repository root (the folder holding
    ``data/``). Refuses unsafe names, too many or too large members, and archives without data files."""
    try:
        archive = zipfile.ZipFile(uploaded)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArchiveError(gettext("The file is not a zip archive.")) from exc
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_ARCHIVE_FILES:
            raise ArchiveError(gettext("The archive holds too many files (at most %(n)s).") % {"n": MAX_ARCHIVE_FILES})
        if sum(m.file_size for m in members) > MAX_ARCHIVE_BYTES:
            raise ArchiveError(gettext("The archive is too large when unpacked."))
        roots = Counter()
        for member in members:
            name = PurePosixPath(member.filename.replace("\\", "/"))
            if name.is_absolute() or ".." in name.parts or not name.parts:
                raise ArchiveError(gettext("The archive contains an unsafe file name."))
            if len(name.parts) >= 2 and name.parts[-2] == "data" and name.suffix.lower() in (".csv", ".xml"):
                roots[PurePosixPath(*name.parts[:-2])] += 1
            elif name.name == opensdg.CONFIG_FILE:  # a repository whose config_data.yml names its inputs
                roots[PurePosixPath(*name.parts[:-1])] += 10**6
        if not roots:
            raise ArchiveError(gettext("The archive holds no data/indicator_<id>.csv file."))
        root = roots.most_common(1)[0][0]
        for member in members:
            name = PurePosixPath(member.filename.replace("\\", "/"))
            try:
                rel = name.relative_to(root)
            except ValueError:
                continue
            if rel.parts[0].startswith(".") or rel.parts[0] in ("_site", "_build", "node_modules"):
                continue  # the repository's inputs may live anywhere its config_data.yml says; tooling folders not
            dest = target.joinpath(*rel.parts)
            dest.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as src, open(dest, "wb") as out:
                shutil.copyfileobj(src, out)
    return target


def upload_dir() -> Path:
    """Where uploaded archives are unpacked for the workers: ``MEDIA_ROOT/imports`` (shared with the workers)."""
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path
