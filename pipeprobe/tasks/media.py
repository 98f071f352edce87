"""Media files (images, audio) that probes read: local copies of what the notes took from URLs.

A probe's input names a file in the media folder (``fixtures/media/`` beside the probe files)
and, where the notes had one, the URL it came from. Probes never fetch at test time: a file
that is not there is a ``MediaUnavailable``, which the plugin turns into a skip naming the
file and where to get it. A file that is there but can't be decoded is a ``MediaUnreadable``
(one line naming it), and audio is resampled to the model's sampling rate with librosa.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeprobe.tasks.common import ProbeInputError

FOLDER_KEY = "media_folder"  # the folder a media input's file must be in: the runner adds it (``located``)
DEFAULT_FOLDER = Path("fixtures/media")


class MediaUnavailable(RuntimeError):
    """A media file a probe needs is not in the media folder; the message names it and its source."""


class MediaUnreadable(ProbeInputError):
    """A media file that is there but is not a readable image or recording; the message names it."""


def located(spec: Any, folder: Path) -> Any:
    """A media input with the folder its file must be in (the probe file's ``media/``); the runner adds it
    before the adapter runs, over anything the probe file said."""
    return {**spec, FOLDER_KEY: str(folder)} if isinstance(spec, dict) else spec


def media_path(spec: dict[str, Any]) -> Path:
    """The local file for ``{file, url?, description?}``, or MediaUnavailable saying how to supply it.

    MediaUnreadable (one line) when ``file`` is not a name inside the media folder: absolute, ``..``,
    or a link out of it (the project's data stays in the project)."""
    media = Path(spec.get(FOLDER_KEY) or DEFAULT_FOLDER) if isinstance(spec, dict) else DEFAULT_FOLDER
    name = spec.get("file") if isinstance(spec, dict) else None
    if not isinstance(name, str) or not name:
        raise MediaUnreadable(f"media input {str(spec)[:80]}: needs {{file: <name in {media}>}}")
    path = media / name
    folder = media.resolve()
    if Path(name).is_absolute() or ".." in Path(name).parts or not path.resolve().is_relative_to(folder):
        raise MediaUnreadable(f"media file {name!r}: must be a file inside the media folder {media}; refused")
    if path.is_file():
        return path
    if spec.get("url"):
        source = f"download {spec['url']} to {path}"
    else:
        what = spec.get("description") or "a local file"
        source = f"the notes did not include it ({what}); put such a file at {path}"
    raise MediaUnavailable(f"media file {spec['file']} is not in {media}: {source} (probes never fetch it)")


def read_image(spec: dict[str, Any]) -> Any:
    """The image as an RGB PIL image, EXIF-rotated (as the pipeline reads a path or URL), or MediaUnreadable."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = media_path(spec)
    try:
        with Image.open(path) as image:
            image = ImageOps.exif_transpose(image)
            image.load()
            return image.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        raise MediaUnreadable(f"media file {path} is not a readable image: {_brief(error)}") from None


def read_audio(spec: dict[str, Any], sampling_rate: int | None) -> dict[str, Any]:
    """The recording as ``{"raw": float32 mono samples, "sampling_rate"}``, resampled to ``sampling_rate``
    (the model's; None keeps the file's) with librosa, or MediaUnreadable naming the file."""
    import librosa
    import soundfile

    path = media_path(spec)
    try:
        samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, OSError, ValueError) as error:
        raise MediaUnreadable(f"media file {path} is not a readable recording: {_brief(error)}") from None
    if samples.size == 0:
        raise MediaUnreadable(f"media file {path} is not a readable recording: it holds no samples")
    mono = samples.mean(axis=1)
    if sampling_rate and int(rate) != int(sampling_rate):
        mono = librosa.resample(mono, orig_sr=int(rate), target_sr=int(sampling_rate)).astype("float32")
        rate = sampling_rate
    return {"raw": mono, "sampling_rate": int(rate)}


def _brief(error: BaseException, limit: int = 160) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"
