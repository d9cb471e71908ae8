"""Images for upload tests, good and bad, made here so no binary file is committed."""

import io
import os
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

RED = (220, 20, 20)
BLUE = (20, 20, 220)


def jpeg(
    size: tuple[int, int] = (40, 20), *, orientation: int | None = None, gps: bool = False
) -> bytes:
    """Left half red, right half blue; optionally EXIF orientation and a GPS position."""
    image = Image.new("RGB", size, BLUE)
    image.paste(RED, (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    if gps:
        exif[ExifTags.IFD.GPSInfo] = {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: (51.0, 30.0, 26.0),
            ExifTags.GPS.GPSLongitudeRef: "W",
            ExifTags.GPS.GPSLongitude: (0.0, 7.0, 39.0),
        }
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95, exif=exif.tobytes())
    return out.getvalue()


def png(size: tuple[int, int] = (300, 200), mode: str = "RGBA") -> bytes:
    image = Image.new(mode, size, (10, 120, 200, 128) if mode == "RGBA" else (10, 120, 200))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def gif_animation(frames: int, size: tuple[int, int] = (50, 50)) -> bytes:
    images = [Image.new("RGB", size, (i * 20 % 256, 0, 255 - i * 20 % 256)) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], duration=50)
    return out.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int) -> bytes:
    """A small PNG whose header claims a huge canvas (a decompression bomb)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _png_chunk(b"IEND", b"")
    )


def truncated_jpeg() -> bytes:
    data = jpeg((400, 300))
    return data[: len(data) // 2]


SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.cookie)</script><rect width='10' height='10'/></svg>"
)


def html_jpeg_polyglot() -> bytes:
    """A decodable JPEG whose comment segment is a web page with script."""
    data = jpeg((64, 64))
    payload = b"<html><body><script>alert(document.cookie)</script></body></html>"
    comment = b"\xff\xfe" + struct.pack(">H", len(payload) + 2) + payload
    return data[:2] + comment + data[2:]


def noise_png(target_bytes: int) -> bytes:
    """A real PNG of random pixels at least `target_bytes` long (it does not compress)."""
    side = int((target_bytes / 3) ** 0.5) + 16
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=0)
    return out.getvalue()


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


BAD_UPLOADS = {
    "empty": lambda: (b"", "empty.jpg"),
    "text_renamed_jpg": lambda: (b"Quarterly figures, do not share.\n" * 20, "figures.jpg"),
    "truncated_jpeg": lambda: (truncated_jpeg(), "cut.jpg"),
    "png_declaring_30000x30000": lambda: (png_declaring(30000, 30000), "bomb.png"),
    "svg_with_script": lambda: (SVG_WITH_SCRIPT, "logo.svg"),
    "html_jpeg_polyglot": lambda: (html_jpeg_polyglot(), "holiday.jpg"),
    "eight_megabyte_image": lambda: (noise_png(8 * 1024 * 1024), "huge.png"),
}
