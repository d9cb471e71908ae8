"""Serving private files (recorded messages) after the view checked who asks.

Media players ask for byte ranges (to learn the length, to seek): a `Range: bytes=a-b`
request is answered 206 with that part (at most RANGE_CHUNK bytes when open-ended, the
player asks again), an impossible one 416, anything else 200 with the whole file. With
`PRIVATE_MEDIA_ACCEL_PREFIX` set, the proxy sends the file instead (nginx
X-Accel-Redirect, which does ranges itself; docs/deploy.md).
"""

import re

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

RANGE_CHUNK = 4 * 1024 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _headers(response: HttpResponseBase, content_type: str) -> HttpResponseBase:
    response["Content-Type"] = content_type
    response["Accept-Ranges"] = "bytes"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    # The name is random and never reused: the browser may keep it, nobody else may.
    response["Cache-Control"] = "private, max-age=86400"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def private_file(request: HttpRequest, name: str, *, content_type: str) -> HttpResponseBase:
    """The stored file `name`, whole or the range asked for."""
    if settings.PRIVATE_MEDIA_ACCEL_PREFIX:
        response = HttpResponse()
        response["X-Accel-Redirect"] = settings.PRIVATE_MEDIA_ACCEL_PREFIX + name
        return _headers(response, content_type)
    try:
        size = default_storage.size(name)
        handle = default_storage.open(name, "rb")
    except (FileNotFoundError, OSError) as error:
        raise Http404 from error
    asked = _RANGE.match(request.headers.get("Range", "").strip())
    if asked is None or not (asked.group(1) or asked.group(2)):
        return _headers(FileResponse(handle), content_type)
    first, last = asked.groups()
    if first:
        start = int(first)
        end = int(last) if last else min(size - 1, start + RANGE_CHUNK - 1)
    else:  # the last N bytes
        start = max(0, size - int(last))
        end = size - 1
    end = min(end, size - 1)
    if start >= size or start > end:
        handle.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return _headers(response, content_type)
    with handle:
        handle.seek(start)
        data = handle.read(end - start + 1)
    response = HttpResponse(data, status=206)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    return _headers(response, content_type)
