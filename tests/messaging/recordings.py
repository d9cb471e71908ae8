"""Real recordings made with PyAV for the tests: what browsers upload, and what they must not."""

import array
import io
import math
from fractions import Fraction

import av
from PIL import Image

RATE = 48_000


def _tone(seconds: float, frame_samples: int = 960):
    total = int(seconds * RATE)
    for start in range(0, total, frame_samples):
        n = min(frame_samples, total - start)
        samples = array.array(
            "h",
            (int(9000 * math.sin(2 * math.pi * 440 * i / RATE)) for i in range(start, start + n)),
        )
        frame = av.AudioFrame(format="s16", layout="mono", samples=n)
        frame.planes[0].update(samples.tobytes())
        frame.sample_rate = RATE
        frame.pts = start
        frame.time_base = Fraction(1, RATE)
        yield frame


def recording(
    seconds: float = 3.0,
    *,
    video: bool = False,
    container: str = "webm",
    audio_codec: str = "libopus",
    video_codec: str = "libvpx",
) -> bytes:
    """A WebM (or other container) with a 440 Hz tone, and a moving picture if `video`."""
    out = io.BytesIO()
    with av.open(out, mode="w", format=container) as muxer:
        audio = muxer.add_stream(audio_codec, rate=RATE)
        audio.layout = "mono"
        picture = None
        if video:
            picture = muxer.add_stream(video_codec, rate=15)
            picture.width, picture.height, picture.pix_fmt = 320, 240, "yuv420p"
        for frame in _tone(seconds):
            for packet in audio.encode(frame):
                muxer.mux(packet)
        for packet in audio.encode(None):
            muxer.mux(packet)
        if picture is not None:
            for i in range(int(seconds * 15)):
                image = Image.new("RGB", (320, 240), (20, 20, 20))
                image.paste((200, 40, 40), (0, 0, 1 + (i * 7) % 320, 240))
                frame = av.VideoFrame.from_image(image)
                frame.pts = i
                for packet in picture.encode(frame):
                    muxer.mux(packet)
            for packet in picture.encode(None):
                muxer.mux(packet)
    return out.getvalue()


def wav(seconds: float = 2.0) -> bytes:
    return recording(seconds, container="wav", audio_codec="pcm_s16le")


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 200, 10)).save(out, "JPEG")
    return out.getvalue()
