"""The relay's voicemail session: answers the caller of an unanswered call, plays the
callee's greeting (or a tone), then records what the caller sends into a WebM.

A `Session` of calls.relay_worker like the bridge and the echo, with one browser leg (the
caller). What the caller hears is a programme: the greeting's sound (and picture, for a
video call with a video greeting), then a short beep, then silence (a dark picture). From
the end of the beep the caller's audio (and video) is recorded, for at most the
company's longest recording; the caller is told the seconds left (`voicemail.recording`).

The recording is written as it comes, in clusters of at most a second and flushed after
every packet, so that a worker killed mid-message leaves a file whose complete part
calls.voicemail.voicemail_salvage can still deliver. Stopped by the caller (relay.finish),
by the limit, by the caller's connection failing, or by the worker shutting down, the
session closes the file and hands it to calls.voicemail.voicemail_deliver.
"""

import array
import asyncio
import contextlib
import fractions
import logging
import math
import os
import queue
import tempfile
import threading
import time
from typing import Any

import av
from aiortc import MediaStreamTrack
from aiortc.contrib.media import MediaPlayer
from aiortc.mediastreams import MediaStreamError
from channels.db import database_sync_to_async

from calls.relay_worker import Session
from uc_web.lib import publicid, realtime

logger = logging.getLogger(__name__)

RATE = 48000
FRAME = 960  # 20 ms
BEEP_HZ = 880.0
BEEP_SECONDS = 0.4
VIDEO_FPS = 15
UNANSWERED_SECONDS = 30


def _stereo(samples: list[int]) -> av.AudioFrame:
    interleaved = array.array("h", (s for s in samples for _ in (0, 1)))
    frame = av.AudioFrame(format="s16", layout="stereo", samples=len(samples))
    frame.planes[0].update(interleaved.tobytes())
    frame.sample_rate = RATE
    return frame


def decode_greeting_audio(path: str) -> list[av.AudioFrame]:
    """The greeting's sound as 20 ms stereo frames (small: a greeting is at most a minute)."""
    frames: list[av.AudioFrame] = []
    resampler = av.AudioResampler(format="s16", layout="stereo", rate=RATE, frame_size=FRAME)
    with av.open(path) as container:
        if not container.streams.audio:
            return frames
        for frame in container.decode(audio=0):
            frame.pts = None
            frames.extend(resampler.resample(frame))
    frames.extend(resampler.resample(None))
    return frames


class ProgrammeAudio(MediaStreamTrack):
    """Greeting, beep, silence, in real time; calls `on_beeped` once the beep is over."""

    kind = "audio"

    def __init__(self, session: "VoicemailSession") -> None:
        super().__init__()
        self.session = session
        self._sent = 0
        self._start: float | None = None
        self._greeting: list[av.AudioFrame] | None = None
        self._beep_left = int(BEEP_SECONDS * RATE)
        self._silence_before = int(0.2 * RATE)

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._greeting = list(await self.session.greeting_audio())
            self._start = time.monotonic()
            self.session.programme_started()
        wait = self._start + self._sent / RATE - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        if self._greeting:
            frame = self._greeting.pop(0)
        elif self._silence_before > 0:
            self._silence_before -= FRAME
            frame = _stereo([0] * FRAME)
        elif self._beep_left > 0:
            frame = _stereo(
                [
                    int(9000 * math.sin(2 * math.pi * BEEP_HZ * (self._sent + i) / RATE))
                    for i in range(FRAME)
                ]
            )
            self._beep_left -= FRAME
            if self._beep_left <= 0:
                self.session.beeped()
        else:
            frame = _stereo([0] * FRAME)
        frame.pts = self._sent
        frame.time_base = fractions.Fraction(1, RATE)
        self._sent += frame.samples
        return frame


class ProgrammeVideo(MediaStreamTrack):
    """The video greeting's picture (a video call with one), then a dark picture."""

    kind = "video"

    def __init__(self, session: "VoicemailSession") -> None:
        super().__init__()
        self.session = session
        self._start: float | None = None
        self._count = 0

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        source = self.session.greeting_video_track()
        frame: Any = None
        if source is not None:
            try:
                frame = await source.recv()
            except MediaStreamError:
                self.session.greeting_video_done()
        if frame is None:
            wait = self._start + self._count / VIDEO_FPS - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            frame = av.VideoFrame(width=320, height=240, format="yuv420p")
            for plane, value in zip(frame.planes, (16, 128, 128), strict=True):
                plane.update(bytes([value]) * plane.buffer_size)
        self._count += 1
        frame.pts = int((time.monotonic() - self._start) * 90000)
        frame.time_base = fractions.Fraction(1, 90000)
        return frame


class Gate:
    """Drains a received track; from `open()` on, what it receives is recorded."""

    def __init__(self, track: MediaStreamTrack, recorder: "Recorder | None", session: Any) -> None:
        self.track = track
        self.session = session
        self.recorder = recorder
        self.open = False
        self.task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        with contextlib.suppress(MediaStreamError, asyncio.CancelledError):
            while True:
                frame = await self.track.recv()
                if isinstance(frame, av.VideoFrame):
                    self.session.video_size = (frame.width, frame.height)
                if self.open and self.recorder is not None:
                    self.recorder.write(frame)

    def stop(self) -> None:
        self.task.cancel()


class Recorder:
    """A WebM (Opus, and VP8 for video) written as frames arrive, timestamped by their
    own media time from when recording began (see `write`). Encoding runs in a
    thread of its own: a VP8 encode per picture on the event loop would starve aiortc's
    receivers (lost packets, lost sound)."""

    def __init__(self, path: str, video: bool, size: tuple[int, int] = (640, 480)) -> None:
        self.path = path
        self.container = av.open(
            path,
            mode="w",
            format="webm",
            options={"cluster_time_limit": "1000", "flush_packets": "1"},
        )
        self.audio = self.container.add_stream("libopus", rate=RATE)
        self.video: Any = None
        if video:
            # Streams are fixed before the first packet is written: the size is what the
            # caller sent last before recording (later pictures are scaled to it).
            self.video = self.container.add_stream("libvpx", rate=30)
            self.video.width, self.video.height = size[0] - size[0] % 2, size[1] - size[1] % 2
            self.video.pix_fmt = "yuv420p"
            self.video.bit_rate = 800_000
            self.video.time_base = fractions.Fraction(1, 1000)
            self.video.codec_context.time_base = fractions.Fraction(1, 1000)
            self.video.codec_context.options = {"deadline": "realtime", "cpu-used": "8"}
        self.started = time.monotonic()
        self.samples = 0
        self.audio_origin: int | None = None
        self.video_origin: int | None = None
        self.last_video_pts = -1
        self.closed = False
        self.queue: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._encode, name="voicemail-recorder", daemon=True)
        self.thread.start()

    def write(self, frame: Any) -> None:
        """On the event loop: stamp the frame and hand it to the encoding thread.

        Timestamps come from the frames' own (RTP) timestamps, counted from the first one
        recorded: neither a late burst (a busy loop) nor lost packets stretch or squeeze
        the message. Frames without one are stamped by arrival."""
        if self.closed:
            return
        now = time.monotonic() - self.started
        if isinstance(frame, av.AudioFrame):
            rate = frame.sample_rate
            if frame.pts is not None and frame.time_base is not None:
                media = int(frame.pts * frame.time_base * rate)
                if self.audio_origin is None:
                    self.audio_origin = media
                pts = media - self.audio_origin
            else:
                pts = max(self.samples, int(now * rate) - frame.samples)
            if pts < self.samples:
                return  # a repeat of what was recorded already
            frame.pts = pts
            frame.time_base = fractions.Fraction(1, rate)
            self.samples = pts + frame.samples
        elif self.video is not None:
            if frame.pts is not None and frame.time_base is not None:
                media = int(frame.pts * frame.time_base * 1000)
                if self.video_origin is None:
                    self.video_origin = media
                ms = media - self.video_origin
            else:
                ms = int(now * 1000)
            pts = max(ms, self.last_video_pts + 1)
            self.last_video_pts = pts
            frame.pts = pts
            frame.time_base = fractions.Fraction(1, 1000)
        else:
            return
        self.queue.put(frame)

    def _encode(self) -> None:
        while True:
            frame = self.queue.get()
            if frame is None:
                return
            try:
                if isinstance(frame, av.AudioFrame):
                    packets = self.audio.encode(frame)
                else:
                    pts = frame.pts
                    frame = frame.reformat(
                        width=self.video.width, height=self.video.height, format="yuv420p"
                    )
                    frame.pts, frame.time_base = pts, fractions.Fraction(1, 1000)
                    packets = self.video.encode(frame)
                for packet in packets:
                    self.container.mux(packet)
            except av.FFmpegError:
                logger.exception("voicemail: a frame could not be recorded")

    def close(self) -> None:
        """Finish the file (blocking: call it in a thread)."""
        if self.closed:
            return
        self.closed = True
        self.queue.put(None)
        self.thread.join()
        for stream in (self.audio, self.video):
            if stream is None:
                continue
            with contextlib.suppress(av.FFmpegError):
                for packet in stream.encode(None):
                    self.container.mux(packet)
        with contextlib.suppress(av.FFmpegError):
            self.container.close()


class VoicemailSession(Session):
    """One caller leaving a message (see the module's doc)."""

    def __init__(self, worker: Any, message: dict[str, Any]) -> None:
        super().__init__(worker, message)
        options = message.get("voicemail") or {}
        self.path = options.get("file", "")
        self.max_seconds = int(options.get("max_seconds") or 180)
        self.greeting = options.get("greeting", "")
        self.greeting_is_video = bool(options.get("greeting_video"))
        self.media = message.get("media", "audio")
        self.recorder: Recorder | None = None
        self.gates: dict[str, Gate] = {}
        self.video_size = (640, 480)
        self.inbound_tracks: dict[str, MediaStreamTrack] = {}
        self.finishing = False
        self.done = asyncio.Event()
        self.player: MediaPlayer | None = None
        self._player_done = False
        self._greeting_file: str | None = None
        self._greeting_audio = asyncio.ensure_future(self._load_greeting())
        self._limit: asyncio.TimerHandle | None = None
        self._started = False
        # A caller whose tab never connects (closed before offering) must not hold the
        # session: nothing is recorded, the caller is told so.
        asyncio.get_running_loop().call_later(
            UNANSWERED_SECONDS,
            lambda: None if self._started else asyncio.ensure_future(self.finish()),
        )

    # --- what the caller hears and sees ---------------------------------------------
    async def _local_greeting(self) -> str | None:
        """A local path of the greeting (storage may be remote: then a temporary copy)."""
        if not self.greeting:
            return None
        from django.core.files.storage import default_storage

        try:
            return default_storage.path(self.greeting)
        except NotImplementedError:
            pass

        def copy() -> str:
            handle, path = tempfile.mkstemp(prefix="uc-greeting-", suffix=".webm")
            with os.fdopen(handle, "wb") as out, default_storage.open(self.greeting) as src:
                for chunk in src.chunks():
                    out.write(chunk)
            return path

        self._greeting_file = await asyncio.to_thread(copy)
        return self._greeting_file

    async def _load_greeting(self) -> list[av.AudioFrame]:
        try:
            path = await self._local_greeting()
            if path is None:
                return []
            if self.media == "video" and self.greeting_is_video:
                self.player = MediaPlayer(path)
            return await asyncio.to_thread(decode_greeting_audio, path)
        except Exception:
            logger.exception("voicemail %s: the greeting could not be played", self.id)
            return []

    async def greeting_audio(self) -> list[av.AudioFrame]:
        return await self._greeting_audio

    def greeting_video_track(self) -> MediaStreamTrack | None:
        if self.player is None or self._player_done:
            return None
        return self.player.video

    def greeting_video_done(self) -> None:
        self._player_done = True

    def programme_started(self) -> None:
        self._started = True
        logger.info("voicemail %s: greeting started", self.id)

    def _out(self, leg: str, kind: str) -> Any:
        tracks = self.outbound.setdefault(leg, {})
        if kind not in tracks:
            programme: Any = ProgrammeAudio(self) if kind == "audio" else ProgrammeVideo(self)
            tracks[kind] = programme
        return tracks[kind]

    # --- what the caller sends -----------------------------------------------------
    def _on_track(self, leg: str, track: MediaStreamTrack) -> None:
        if leg != "caller":
            return
        self.inbound_tracks[track.kind] = track
        if self.recorder is not None:
            self._gate(track, open_now=True)
        else:
            self._gate(track, open_now=False)

    def _gate(self, track: MediaStreamTrack, *, open_now: bool) -> None:
        old = self.gates.pop(track.kind, None)
        if old is not None:
            old.stop()
        gate = Gate(track, self.recorder, self)
        gate.open = open_now
        self.gates[track.kind] = gate

    async def _offer(self, leg: str, message: dict[str, Any]) -> None:
        await super()._offer(leg, message)
        pc = self.pcs.get(leg)
        if pc is not None:

            @pc.on("connectionstatechange")
            async def gone() -> None:
                if pc.connectionState in ("failed", "closed") and self.pcs.get(leg) is pc:
                    # The caller vanished: what was recorded is delivered.
                    await self.finish()

    def beeped(self) -> None:
        """The beep is over: record from now, for at most max_seconds."""
        if self.recorder is not None or self.finishing:
            return
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        self.recorder = Recorder(self.path, video=self.media == "video", size=self.video_size)
        for kind, track in self.inbound_tracks.items():
            gate = self.gates.get(kind)
            if gate is None:
                self._gate(track, open_now=True)
            else:
                gate.recorder = self.recorder
                gate.open = True
        loop = asyncio.get_running_loop()
        self._limit = loop.call_later(
            self.max_seconds, lambda: asyncio.ensure_future(self.finish())
        )
        caller = self.reply_to.get("caller")
        if caller:
            asyncio.ensure_future(
                realtime.asend_to_channel(
                    caller,
                    {"type": "voicemail.recording", "call": self.call, "seconds": self.max_seconds},
                )
            )
        logger.info("voicemail %s: recording", self.id)

    # --- the end -------------------------------------------------------------------
    async def finish(self) -> None:
        """Stop recording and deliver (once)."""
        if self.finishing:
            await self.done.wait()
            return
        self.finishing = True
        try:
            if self._limit is not None:
                self._limit.cancel()
            for gate in self.gates.values():
                gate.stop()
            if self.recorder is not None:
                await asyncio.to_thread(self.recorder.close)
            await super().close()
            if self.player is not None:
                for track in (self.player.audio, self.player.video):
                    if track is not None:
                        track.stop()
            if self._greeting_file:
                with contextlib.suppress(OSError):
                    os.unlink(self._greeting_file)
            from calls.models import Call

            call_id = publicid.decode_or_none(publicid.kind_of(Call), self.call)
            if call_id is not None:
                from calls import voicemail

                await database_sync_to_async(voicemail.voicemail_deliver, thread_sensitive=False)(
                    call_id=call_id, path=self.path
                )
        except Exception:
            logger.exception("voicemail %s: delivery failed", self.id)
        finally:
            self.worker.sessions.pop(self.id, None)
            self.done.set()

    async def close(self) -> None:
        # Closed from outside (the worker stopping): the message is still delivered.
        await self.finish()
