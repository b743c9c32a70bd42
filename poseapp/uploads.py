"""Upload handling: a size limit enforced while the bytes stream in, and the content check."""
from django.conf import settings
from django.core.files.uploadhandler import SkipFile, TemporaryFileUploadHandler


class SizeLimitedUploadHandler(TemporaryFileUploadHandler):
    """Streams uploads to a temporary file on disk; stops reading one as soon as it passes the limit
    (instead of writing gigabytes first) and flags the request so the form can say why."""

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > settings.POSENET_MAX_UPLOAD_MB * 1024 * 1024:
            self.request.upload_too_large = True
            raise SkipFile()
        return super().receive_data_chunk(raw_data, start)


# Still images that OpenCV would happily "decode" as a one-frame video (PNG, JPEG, WebP through its
# image-sequence reader; GIF, animated or not, through FFmpeg): refused by their signature first.
IMAGE_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"\xff\xd8\xff", "JPEG"),
)


def image_kind(path) -> str | None:
    """'PNG', 'GIF', 'JPEG' or 'WebP' if the file starts like that image format, else None."""
    with open(path, "rb") as f:
        head = f.read(16)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    for signature, kind in IMAGE_SIGNATURES:
        if head.startswith(signature):
            return kind
    return None


def video_problem(path) -> str | None:
    """A sentence saying why this file cannot be processed, or None if it looks like a usable video.
    Images are refused by their signature; otherwise OpenCV must open it and decode a frame (the
    extension is not trusted)."""
    from ml.video import VideoError, probe  # OpenCV + numpy only: no torch in the web process

    kind = image_kind(path)
    if kind:
        return (f"This is an image ({kind}), not a video. Please upload a video file "
                "(for example MP4, MOV or WebM).")
    try:
        info = probe(path)
    except VideoError as exc:
        return str(exc)
    limit = settings.POSENET_MAX_DURATION_S
    if info.frame_count_hint and info.fps and info.frame_count_hint / info.fps > limit:
        return (f"This video is {_duration(info.frame_count_hint / info.fps)} long; the limit is "
                f"{_duration(limit)}. Please trim it and upload it again.")
    return None


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} seconds" if seconds < 120 else f"{seconds / 60:.1f} minutes"
