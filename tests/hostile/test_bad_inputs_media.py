"""Bad inputs, surface: media files (images, recordings): unreadable is one line naming the file."""

from __future__ import annotations

import pytest

from tests import twins


# 6. Media -----------------------------------------------------------------------------------------------------------
@pytest.fixture
def media_dir(tmp_path):

    folder = tmp_path / "media"
    folder.mkdir()
    yield folder


IMAGE_CASES = {"truncated-jpeg": "jpeg", "text-as-jpeg": b"hello, not an image", "empty-jpeg": b""}


@pytest.mark.parametrize("case", sorted(IMAGE_CASES))
def test_an_unreadable_image_is_one_line_naming_the_file(media_dir, case):
    from pipeprobe.tasks import media

    path = media_dir / "cat.jpg"
    if IMAGE_CASES[case] == "jpeg":
        twins.write_synthetic_jpeg(path)
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    else:
        path.write_bytes(IMAGE_CASES[case])
    with pytest.raises(media.MediaUnreadable) as caught:
        media.read_image(media.located({"file": "cat.jpg"}, media_dir))
    assert str(caught.value).startswith(f"media file {path} is not a readable image: ")
    assert "\n" not in str(caught.value)


AUDIO_CASES = {"truncated-flac": "flac", "text-as-flac": b"fLaC but not really", "empty-flac": b""}


@pytest.mark.parametrize("case", sorted(AUDIO_CASES))
def test_an_unreadable_recording_is_one_line_naming_the_file(media_dir, case):
    from pipeprobe.tasks import media

    path = media_dir / "talk.flac"
    if AUDIO_CASES[case] == "flac":
        twins.write_synthetic_flac(path)
        path.write_bytes(path.read_bytes()[:64])
    else:
        path.write_bytes(AUDIO_CASES[case])
    with pytest.raises(media.MediaUnreadable) as caught:
        media.read_audio(media.located({"file": "talk.flac"}, media_dir), 16000)
    assert str(caught.value).startswith(f"media file {path} is not a readable recording: ")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("rate", [8000, 22050, 44100])
def test_a_recording_at_any_rate_is_resampled_to_the_models(media_dir, rate):
    from pipeprobe.tasks import media

    twins.write_synthetic_flac(media_dir / "talk.flac", seconds=1.0, rate=rate)
    audio = media.read_audio(media.located({"file": "talk.flac"}, media_dir), 16000)
    assert audio["sampling_rate"] == 16000
    assert abs(len(audio["raw"]) - 16000) <= 2
    assert str(audio["raw"].dtype) == "float32"
