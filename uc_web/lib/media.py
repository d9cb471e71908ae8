"""The one image pipeline: every uploaded photo and logo goes through `image_store`.

An upload is untrusted bytes. We open it only with the decoders of an allow-list (so
Pillow never runs its FITS, PDF, EPS, ... plugins on it), refuse decompression bombs
with our own limits (far below Pillow's, whose first threshold only warns), apply the
EXIF orientation, then copy the pixels alone into a fresh image: EXIF (GPS!), ICC, XMP
and comments never reach the stored file. Each size is re-encoded as WebP under a
random name in the default storage; the caller keeps the names and deletes the old
files once the new ones are committed.
"""

import io
import re
import secrets
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import IO, Any, Literal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from PIL import Image, ImageOps, UnidentifiedImageError

from uc_web.lib.exceptions import ApplicationError

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
# Animated GIF/WebP/PNG: every frame is decoded when counted, so bound the total work.
MAX_FRAME_PIXELS = 200_000_000
SIZES = {"large": 256, "small": 64}
OUTPUT_FORMAT = "WEBP"
OUTPUT_EXTENSION = "webp"
OUTPUT_CONTENT_TYPE = "image/webp"

# Bytes that make a browser (or a careless proxy) treat a file as a document. No image
# needs them; an image carrying them is a polyglot and is refused. Each marker is long
# enough that compressed pixel data practically never matches it by chance.
_MARKUP = re.compile(
    rb"<(?:script|iframe|object|embed|svg|html|body|head|meta)[\s>/]|<!doctype",
    re.IGNORECASE,
)


def _too_many_pixels() -> str:
    return _("The image has too many pixels: the limit is %(limit)d megapixels.") % {
        "limit": MAX_PIXELS // 1_000_000
    }


class ImageRejected(ApplicationError):
    """The upload is not an image we accept; the message says why, for a form error."""

    def __init__(self, message: str):
        super().__init__(message, code="image_rejected")


@dataclass(frozen=True)
class StoredImage:
    """Storage names of the re-encoded sizes."""

    large: str
    small: str

    @property
    def names(self) -> list[str]:
        return [self.large, self.small]


class UploadSizeLimitHandler(FileUploadHandler):
    """Stop receiving a file once it passes MAX_UPLOAD_BYTES, instead of spooling it to disk.

    Install it before the request body is read (see accounts.views). A skipped file is
    missing from request.FILES; `too_large(request, field)` tells the view why.
    """

    def __init__(self, request: HttpRequest | None = None, max_bytes: int = MAX_UPLOAD_BYTES):
        super().__init__(request)
        self.received = 0
        self.max_bytes = max_bytes

    def new_file(self, *args: object, **kwargs: object) -> None:
        super().new_file(*args, **kwargs)  # type: ignore[arg-type]
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.max_bytes:
            if self.request is not None:
                skipped: set[str] = getattr(self.request, "uploads_too_large", set())
                skipped.add(self.field_name)
                self.request.uploads_too_large = skipped  # type: ignore[attr-defined]
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler (memory or temporary file) builds the file


def limit_uploads_to(
    max_bytes: Callable[[], int],
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Cap a view's file uploads at `max_bytes()` (read on each request, so it follows the
    settings) while the body is read, then check CSRF.

    The upload handler must be in place before anything reads request.POST, which the CSRF
    middleware would do; so CSRF is checked here instead, right after. (A REST framework
    view installs UploadSizeLimitHandler in its `initialize_request` instead, see
    messaging.api.)
    """

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        protected = csrf_protect(view)

        @wraps(view)
        @csrf_exempt
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            handler = UploadSizeLimitHandler(request, max_bytes=max_bytes())
            request.upload_handlers.insert(0, handler)  # type: ignore[union-attr]  # a list until the body is read
            return protected(request, *args, **kwargs)

        return wrapper

    return decorate


def limit_uploads(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Cap a view's file uploads (images) at MAX_UPLOAD_BYTES: see limit_uploads_to."""
    return limit_uploads_to(lambda: MAX_UPLOAD_BYTES)(view)


def too_large(request: HttpRequest, field_name: str) -> bool:
    """Whether UploadSizeLimitHandler skipped this field's file for its size."""
    return field_name in getattr(request, "uploads_too_large", ())


def too_large_message() -> str:
    return _("The file is too large: the limit is 5 MB.")


def _read_capped(upload: IO[bytes]) -> bytes:
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise ImageRejected(too_large_message())
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImageRejected(too_large_message())
    if not data:
        raise ImageRejected(_("The file is empty."))
    return data


def _refuse_markup(data: bytes) -> None:
    if _MARKUP.search(data):
        # SVG lands here too: it is XML and can carry script.
        raise ImageRejected(
            _("The file contains web page or SVG markup; upload a JPEG, PNG, WebP or GIF image.")
        )


def _open(data: bytes) -> Image.Image:
    """Open with the allowed decoders only, refusing bombs before any pixel is decoded."""
    try:
        with warnings.catch_warnings():
            # Pillow's first bomb threshold only warns; here it is an error like the second.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(ALLOWED_FORMATS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageRejected(_too_many_pixels()) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as error:
        raise ImageRejected(
            _("This is not an image we can read; upload a JPEG, PNG, WebP or GIF image.")
        ) from error
    width, height = image.size
    if width < 1 or height < 1 or width * height > MAX_PIXELS:
        raise ImageRejected(_too_many_pixels())
    frames = getattr(image, "n_frames", 1)
    if frames * width * height > MAX_FRAME_PIXELS:
        raise ImageRejected(_("The animation is too large: it has too many frames."))
    return image


def _decode(image: Image.Image) -> Image.Image:
    """The first frame's pixels, upright, in a fresh image that carries no metadata."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.seek(0)
            image.load()
            upright = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombWarning) as error:
        raise ImageRejected(
            _("The image is damaged or incomplete; please upload it again.")
        ) from error
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or (
        upright.mode == "P" and "transparency" in upright.info
    )
    mode = "RGBA" if has_alpha else "RGB"
    converted = upright.convert(mode)
    # Copy only the pixels: `info` (exif, icc_profile, xmp, comment...) stays behind.
    return Image.frombytes(mode, converted.size, converted.tobytes())


def _resize(image: Image.Image, size: int, fit: Literal["crop", "contain"]) -> Image.Image:
    if fit == "crop":
        return ImageOps.fit(image, (size, size), method=Image.Resampling.LANCZOS)
    return ImageOps.contain(image, (size, size), method=Image.Resampling.LANCZOS)


def _encode(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, OUTPUT_FORMAT, quality=85, method=4)
    return out.getvalue()


def image_prepare(
    upload: IO[bytes],
    *,
    fit: Literal["crop", "contain"] = "crop",
    sizes: dict[str, int] | None = None,
) -> dict[str, bytes]:
    """Validate an upload and return the re-encoded bytes of each size (nothing stored)."""
    data = _read_capped(upload)
    _refuse_markup(data)
    with _open(data) as image:
        pixels = _decode(image)
    return {name: _encode(_resize(pixels, size, fit)) for name, size in (sizes or SIZES).items()}


def image_store(
    upload: IO[bytes], *, folder: str, fit: Literal["crop", "contain"] = "crop"
) -> StoredImage:
    """Validate, re-encode and save an upload under random names in `folder`."""
    return image_save(image_prepare(upload, fit=fit), folder=folder)


def image_save(encoded: dict[str, bytes], *, folder: str) -> StoredImage:
    """Save what `image_prepare` returned under random names in `folder`."""
    stem = secrets.token_urlsafe(18)
    names = {
        key: default_storage.save(
            f"{folder}/{stem}-{SIZES[key]}.{OUTPUT_EXTENSION}", ContentFile(data)
        )
        for key, data in encoded.items()
    }
    return StoredImage(large=names["large"], small=names["small"])


def image_delete(names: Iterable[str]) -> None:
    """Delete stored files by name, ignoring blanks and files already gone."""
    for name in names:
        if name:
            default_storage.delete(name)


def image_as_jpeg(name: str) -> bytes | None:
    """A stored image re-encoded as JPEG, for files that leave the service (vCard PHOTO:
    the clients that read vCards read JPEG, few read WebP); None if it is missing."""
    if not name or not default_storage.exists(name):
        return None
    with default_storage.open(name, "rb") as handle, Image.open(handle) as image:
        out = io.BytesIO()
        image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()
