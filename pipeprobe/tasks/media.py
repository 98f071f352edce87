"""Media files (images, audio) that probes read: local copies of what the notes took from URLs.

A probe's input names a file in the media folder (``fixtures/media/`` beside the probe files)
and, where the notes had one, the URL it came from. Probes never fetch at test time: a file
that is not there is a ``MediaUnavailable``, which the plugin turns into a skip naming the
file and where to get it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

_MEDIA_DIR = Path("fixtures/media")


class MediaUnavailable(RuntimeError):
    """A media file a probe needs is not in the media folder; the message names it and its source."""


def set_media_dir(folder: Path) -> None:
    """Where media files are looked for (the plugin sets ``<rootdir>/<fixtures>/media``)."""
    global _MEDIA_DIR
    _MEDIA_DIR = Path(folder)


def media_path(spec: dict[str, Any]) -> Path:
    """The local file for ``{file, url?, description?}``, or MediaUnavailable saying how to supply it."""
    path = _MEDIA_DIR / spec["file"]
    if path.is_file():
        return path
    if spec.get("url"):
        source = f"download {spec['url']} to {path}"
    else:
        what = spec.get("description") or "a local file"
        source = f"the notes did not include it ({what}); put such a file at {path}"
    raise MediaUnavailable(f"media file {spec['file']} is not in {_MEDIA_DIR}: {source} (probes never fetch it)")
