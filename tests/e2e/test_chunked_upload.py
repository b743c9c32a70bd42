"""The real browser uploads a multi-chunk video through /api/uploads/: the progress bar moves, a
dropped connection in the middle is resumed from the server's offset, and the job page opens with the
whole file stored. A non-video is refused on the upload page with the server's sentence."""
import cv2
import numpy as np
import pytest

from poseapp.models import ChunkedUpload, PoseJob
from tests.e2e.helpers import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHUNK = 8 * 1024 * 1024  # POSENET_UPLOAD_CHUNK_MB's default: the live server runs with it

# What the page showed, kept in sessionStorage: it outlives the move to the job page.
WATCH_STATUS = """() => {
  const status = document.getElementById('upload-status');
  const bar = document.getElementById('upload-bar');
  const log = [];
  new MutationObserver(() => {
    log.push([status.textContent, bar.value, document.getElementById('upload-progress').hidden]);
    sessionStorage.setItem('uploadLog', JSON.stringify(log));
  }).observe(status, { childList: true, characterData: true, subtree: true });
}"""


@pytest.fixture
def big_clip(tmp_path):
    """A real, decodable MJPEG video of noise (it does not compress): about 20 MB, three chunks."""
    path = tmp_path / "noise.avi"
    rng = np.random.default_rng(0)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (640, 480))
    while not path.exists() or path.stat().st_size < int(2.4 * CHUNK):
        writer.write(rng.integers(0, 256, (480, 640, 3), dtype=np.uint8))
    writer.release()
    return path


def test_browser_uploads_in_chunks_with_progress_and_resumes(live_stack, page, owner, password, big_clip):
    sign_in(page, live_stack.base_url, owner.username, password)
    page.wait_for_selector("#upload-form[data-chunked=ready]", state="attached")
    patches = []

    def drop_the_second_chunk(route):
        request = route.request
        if request.method == "PATCH":
            patches.append(request.headers.get("upload-offset"))
            if len(patches) == 2:
                return route.abort("connectionreset")  # the connection drops mid-upload
        return route.continue_()

    page.route("**/api/uploads/**", drop_the_second_chunk)
    page.evaluate(WATCH_STATUS)
    page.set_input_files("input[name=video]", str(big_clip))
    page.click("#upload-form button[type=submit]")
    page.wait_for_url("**/jobs/*/", timeout=120_000)

    job = PoseJob.objects.latest("pk")
    assert job.owner == owner and job.video.original_name == "noise.avi"
    assert open(job.video.file.path, "rb").read() == big_clip.read_bytes()
    # three chunks, the second sent twice: once dropped, then again from the offset the server gave
    assert patches == ["0", str(CHUNK), str(CHUNK), str(2 * CHUNK)], patches
    assert ChunkedUpload.objects.get().job_id == job.pk

    log = page.evaluate("() => JSON.parse(sessionStorage.getItem('uploadLog') || '[]')")
    texts = [text for text, _, _ in log]
    assert not any(hidden for _, _, hidden in log)  # the progress panel was on screen throughout
    assert any(t.startswith("Connection lost; trying again in") for t in texts), texts
    uploading = [(t, bar) for t, bar, _ in log if t.startswith("Uploading ")]
    percents = [int(t.split()[1].rstrip("%")) for t, _ in uploading]
    assert any(0 < p < 100 for p in percents) and max(percents) == 100, texts  # it moved, and reached the end
    size_mb = f"{big_clip.stat().st_size / 1024 / 1024:.1f} MB"
    assert all(t.endswith(f"of {size_mb}") for t, _ in uploading), texts
    assert max(bar for _, bar in uploading) == 100
    assert texts[-2:] == ["Checking the video…", "Uploaded. Opening the job…"], texts
    page.click("#cancel-job")  # the noise has no person in it: spare the shared worker the detection


def test_a_non_video_is_refused_on_the_upload_page(live_stack, page, owner, password, not_a_video):
    sign_in(page, live_stack.base_url, owner.username, password)
    page.wait_for_selector("#upload-form[data-chunked=ready]", state="attached")
    page.set_input_files("input[name=video]", str(not_a_video))
    page.click("#upload-form button[type=submit]")
    error = page.locator("#upload-error")
    page.wait_for_function("() => (document.getElementById('upload-error') || {}).textContent", timeout=60_000)
    assert "not a video" in error.inner_text().lower()
    assert page.url.rstrip("/") == live_stack.base_url and page.locator("#upload-progress").is_hidden()
    assert not PoseJob.objects.exists() and not ChunkedUpload.objects.exists()
    assert "Traceback" not in page.content()


def test_cancel_stops_the_upload_and_deletes_its_bytes(live_stack, page, owner, password, big_clip):
    sign_in(page, live_stack.base_url, owner.username, password)
    page.wait_for_selector("#upload-form[data-chunked=ready]", state="attached")
    patches = []

    def first_chunk_only(route):  # after the first chunk the connection keeps dropping: the page retries
        if route.request.method == "PATCH":
            patches.append(1)
            if len(patches) > 1:
                return route.abort("connectionreset")
        return route.continue_()

    page.route("**/api/uploads/**", first_chunk_only)
    page.set_input_files("input[name=video]", str(big_clip))
    page.click("#upload-form button[type=submit]")
    page.wait_for_function(
        "() => document.getElementById('upload-status').textContent.startsWith('Connection lost')", timeout=60_000)
    assert ChunkedUpload.objects.count() == 1
    page.click("#upload-cancel")
    page.wait_for_function(
        "() => (document.getElementById('upload-error') || {}).textContent === 'The upload was cancelled.'",
        timeout=30_000)
    assert page.locator("#upload-progress").is_hidden() and page.locator("#upload-form button[type=submit]").is_enabled()
    for _ in range(50):  # the DELETE goes out as the page stops
        if not ChunkedUpload.objects.exists():
            break
        page.wait_for_timeout(100)
    assert not ChunkedUpload.objects.exists() and not PoseJob.objects.exists()
    assert not any((live_stack.media_root / "uploads-partial").glob("*.part"))
