"""Serving a file with HTTP Range support: browsers' <video> needs byte ranges to seek."""
import os
import re

from django.http import FileResponse, HttpResponse

MAX_CHUNK = 8 * 1024 * 1024  # a 206 may return less than asked; the browser asks again
_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


def ranged_file_response(request, path, content_type: str):
    size = os.path.getsize(path)
    header = request.headers.get("Range", "")
    m = _RANGE.match(header.strip())
    if not m or (not m.group(1) and not m.group(2)):
        response = FileResponse(open(path, "rb"), content_type=content_type)
        response["Accept-Ranges"] = "bytes"
        return response
    if m.group(1):
        start = int(m.group(1))
        end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
    else:  # suffix range: the last N bytes
        start, end = max(0, size - int(m.group(2))), size - 1
    if start >= size or start > end:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    end = min(end, start + MAX_CHUNK - 1)
    with open(path, "rb") as f:
        f.seek(start)
        data = f.read(end - start + 1)
    response = HttpResponse(data, status=206, content_type=content_type)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    return response
