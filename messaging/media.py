"""The one pipeline for recorded messages (voice and video mail): `recording_store`.

An upload is untrusted bytes: its name and Content-Type say nothing. We open it with PyAV
(FFmpeg) and accept only the containers and codecs browsers record (WebM or Ogg with Opus,
VP8/VP9; MP4 with AAC/Opus and H.264, as Safari records), read every packet to measure
the duration ourselves and to find a truncated or damaged file, refuse one longer than
the company's limit, and write what we keep ourselves:
- WebM (Chromium's MediaRecorder writes no duration and no cues, so the file plays as
  "Infinity" and cannot be seeked) is remuxed, without re-encoding, into a fresh WebM
  with its duration and cues;
- a video's first frame becomes its poster through the image pipeline (uc_web.lib.media).
Files go to the default storage (`STORAGES`) under random names; the caller keeps the
names and deletes them if the message is not sent.
"""

import logging
import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from uc_web.lib import media as images
from uc_web.lib.exceptions import ApplicationError

logger = logging.getLogger(__name__)

FOLDER = "messages"
POSTER_SIZES = {"poster": 640}  # fits a 640 px box, like the player

# PyAV's name of the demuxer -> (our family, audio codecs, video codecs)
_CONTAINERS: dict[str, tuple[str, frozenset[str], frozenset[str]]] = {
    "matroska,webm": ("webm", frozenset({"opus"}), frozenset({"vp8", "vp9"})),
    "ogg": ("ogg", frozenset({"opus"}), frozenset({"vp8"})),
    "mov,mp4,m4a,3gp,3g2,mj2": ("mp4", frozenset({"aac", "opus"}), frozenset({"h264"})),
}
_EXTENSION = {"webm": "webm", "ogg": "ogg", "mp4": "mp4"}


class RecordingRejected(ApplicationError):
    """The upload is not a recording we accept; the message says why."""

    def __init__(self, message: str, code: str = "recording_rejected"):
        super().__init__(message, code=code)


@dataclass(frozen=True)
class Probe:
    family: str  # webm, ogg, mp4
    audio_codec: str
    video_codec: str
    duration_ms: int
    width: int
    height: int


@dataclass(frozen=True)
class Recording:
    """A stored recording (what messaging.services.message_send takes)."""

    name: str
    content_type: str
    size: int
    duration_ms: int
    poster: str = ""

    @property
    def names(self) -> list[str]:
        return [n for n in (self.name, self.poster) if n]


def max_upload_bytes() -> int:
    return settings.MESSAGE_UPLOAD_MAX_BYTES


def too_large_message() -> str:
    return _("The recording is too large: the limit is %(mb)d MB.") % {
        "mb": max_upload_bytes() // (1024 * 1024)
    }


def _not_media() -> RecordingRejected:
    return RecordingRejected(
        _(
            "This is not a recording we can play: record again, or upload WebM or Ogg (Opus, "
            "VP8/VP9) or MP4 (AAC, H.264)."
        )
    )


def _damaged() -> RecordingRejected:
    return RecordingRejected(
        _("The recording is damaged or incomplete; please record it again."), code="damaged"
    )


def _seconds(value: int | None, base: Fraction | None) -> float:
    if value is None or base is None:
        return 0.0
    return float(value * base)


@contextmanager
def _ffmpeg_errors() -> Iterator[list[Any]]:
    """FFmpeg's error messages while the block runs (PyAV stays silent by default)."""
    import av.logging

    before = av.logging.get_level()
    av.logging.set_level(av.logging.ERROR)
    try:
        with av.logging.Capture(local=True) as logs:
            yield logs
    finally:
        av.logging.set_level(before)


def _read_all(container: Any, streams: list[Any]) -> tuple[int, float, float]:
    """Demux and decode every packet: (frames decoded, first and last timestamp in s)."""
    decoders = {s.index: s.codec_context for s in streams}
    frames = 0
    start: float | None = None
    end = 0.0
    for packet in container.demux(*streams):
        if packet.size == 0:
            continue  # the flush packet at the end
        if packet.is_corrupt:
            raise _damaged()
        base = packet.time_base
        at = _seconds(packet.pts if packet.pts is not None else packet.dts, base)
        start = at if start is None else min(start, at)
        end = max(end, at + _seconds(packet.duration, base))
        # Decoding proves the payload is what the header claims (and finds a cut in the
        # middle of a frame); audio costs little, video is checked frame by frame.
        frames += len(decoders[packet.stream.index].decode(packet))
    return frames, start or 0.0, end


def _vint(data: bytes, at: int) -> tuple[int, int, bool]:
    """An EBML variable-size integer at `at`: (value, next offset, all bits set)."""
    first = data[at]
    length = 8 - first.bit_length() + 1 if first else 9
    if length > 8 or at + length > len(data):
        raise ValueError("bad vint")
    value = first & (0xFF >> length)
    for byte in data[at + 1 : at + length]:
        value = (value << 8) | byte
    return value, at + length, value == (1 << (7 * length)) - 1


def _webm_cut_short(path: str) -> bool:
    """Whether a WebM's Segment declares more bytes than the file holds (a cut upload).
    A recorder streaming live writes an unknown size; then FFmpeg's own errors tell."""
    with open(path, "rb") as handle:
        head = handle.read(64)
        handle.seek(0, os.SEEK_END)
        total = handle.tell()
    try:
        _id, at, _ = _vint(head, 0)  # the EBML header's id (0x1A45DFA3)
        size, at, _ = _vint(head, at)
        at += size
        _id, at, _ = _vint(head, at)  # the Segment's id (0x18538067)
        size, at, unknown = _vint(head, at)
    except (ValueError, IndexError):
        return False  # FFmpeg read it; nothing more to learn here
    return not unknown and at + size > total


def probe(path: str, *, kind: str) -> Probe:
    """Open a file with PyAV and check it is a voice (`kind` "voice": audio only) or video
    ("video": video, with or without audio) recording we accept; read every packet."""
    import av

    try:
        container = av.open(path, mode="r")
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as error:
        raise _not_media() from error
    with container:
        accepted = _CONTAINERS.get(container.format.name)
        if accepted is None:
            raise _not_media()
        family, audio_codecs, video_codecs = accepted
        audio = container.streams.audio[0] if container.streams.audio else None
        video = container.streams.video[0] if container.streams.video else None
        if audio is not None and audio.codec_context.name not in audio_codecs:
            raise _not_media()
        if video is not None and video.codec_context.name not in video_codecs:
            raise _not_media()
        if kind == "voice" and (audio is None or video is not None):
            raise RecordingRejected(_("A voice mail has sound and no picture."), code="wrong_kind")
        if kind == "video" and video is None:
            raise RecordingRejected(_("A video mail needs a picture."), code="wrong_kind")
        streams = [s for s in (audio, video) if s is not None]
        try:
            with _ffmpeg_errors() as errors:
                frames, start, end = _read_all(container, streams)
        except av.FFmpegError as error:
            raise _damaged() from error
        if errors or frames == 0 or (family == "webm" and _webm_cut_short(path)):
            # FFmpeg reports a file cut short ("File ended prematurely") or a broken
            # frame as an error without raising: a cut upload, a damaged recording.
            raise _damaged()
        duration = end - start
        return Probe(
            family=family,
            audio_codec=audio.codec_context.name if audio is not None else "",
            video_codec=video.codec_context.name if video is not None else "",
            duration_ms=int(round(duration * 1000)),
            width=video.codec_context.width if video is not None else 0,
            height=video.codec_context.height if video is not None else 0,
        )


def _remux_webm(src: str, dst: str) -> None:
    """Copy the packets into a fresh WebM: the muxer writes the duration and cues."""
    import av

    with av.open(src, mode="r") as inp, av.open(dst, mode="w", format="webm") as out:
        streams = [s for s in inp.streams if s.type in ("audio", "video")]
        mapping = {s.index: out.add_stream_from_template(s) for s in streams}
        for packet in inp.demux(*streams):
            if packet.dts is None:
                continue
            packet.stream = mapping[packet.stream.index]
            out.mux(packet)


def _poster(path: str) -> str:
    """The first video frame through the image pipeline, stored; its name."""
    import io

    import av

    with av.open(path, mode="r") as container:
        for frame in container.decode(video=0):
            image = frame.to_image()
            break
        else:
            return ""
    png = io.BytesIO()
    image.save(png, "PNG")
    png.seek(0)
    encoded = images.image_prepare(png, fit="contain", sizes=POSTER_SIZES)
    name = f"{FOLDER}/posters/{secrets.token_urlsafe(18)}.{images.OUTPUT_EXTENSION}"
    return default_storage.save(name, ContentFile(encoded["poster"]))


def _spool(upload: IO[bytes], directory: str) -> str:
    """The upload as a file on disk (PyAV reads files; the upload may be in memory)."""
    temporary = getattr(upload, "temporary_file_path", None)
    if temporary is not None:
        return temporary()
    path = os.path.join(directory, "upload")
    if hasattr(upload, "seek"):
        upload.seek(0)
    with open(path, "wb") as out:
        while chunk := upload.read(1024 * 1024):
            out.write(chunk)
    return path


def recording_store(upload: IO[bytes] | Any, *, kind: str, max_seconds: int) -> Recording:
    """Check an uploaded recording, normalise it and store it (see the module's doc)."""
    size = getattr(upload, "size", None)
    if size is not None and size > max_upload_bytes():
        raise RecordingRejected(too_large_message(), code="too_large")
    if size == 0:
        raise RecordingRejected(_("The recording is empty."), code="empty")
    with tempfile.TemporaryDirectory(prefix="uc-recording-") as directory:
        source = _spool(upload, directory)
        found = probe(source, kind=kind)
        if found.duration_ms > max_seconds * 1000 + 500:  # a recorder stops a little late
            raise RecordingRejected(
                _("The recording is too long: the limit is %(limit)s.")
                % {"limit": _minutes(max_seconds)},
                code="too_long",
            )
        if found.duration_ms < 300:
            raise RecordingRejected(_("The recording is too short."), code="too_short")
        keep = source
        if found.family == "webm":
            keep = os.path.join(directory, "remuxed.webm")
            try:
                _remux_webm(source, keep)
            except Exception as error:  # FFmpeg refusing to write is a damaged upload
                logger.warning("recording remux failed: %s", error)
                raise _damaged() from error
        stem = secrets.token_urlsafe(18)
        extension = _EXTENSION[found.family]
        media_kind = "video" if kind == "video" else "audio"
        content_type = f"{media_kind}/{extension}"
        poster = _poster(keep) if kind == "video" else ""
        with open(keep, "rb") as handle:
            name = default_storage.save(f"{FOLDER}/{stem}.{extension}", File(handle))
        stored_size = os.path.getsize(keep)
    return Recording(
        name=name,
        content_type=content_type,
        size=stored_size,
        duration_ms=found.duration_ms,
        poster=poster,
    )


def _minutes(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    if rest:
        return _("%(m)d min %(s)d s") % {"m": minutes, "s": rest}
    return _("%(m)d min") % {"m": minutes}


def recording_delete(names: list[str]) -> None:
    """Delete stored files of a recording that was not sent, or of a purged message."""
    for name in names:
        if name:
            default_storage.delete(name)
