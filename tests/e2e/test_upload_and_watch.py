"""A real user in a real browser: sign in, upload, watch the skeleton stream in, download result.json."""
import json
import re

import numpy as np
import pytest

from tests.e2e.helpers import sign_in, skeleton_pixels, upload_in_browser

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_upload_watch_live_and_download(live_stack, page, owner, password, people_clip, screenshot_dir, tmp_path):
    not_found = []  # issue 33: the job page asked for /jobs/N/video.mp4 before the browser copy existed
    page.on("response", lambda r: not_found.append(r.url) if r.status == 404 else None)
    sign_in(page, live_stack.base_url, owner.username, password)
    model_on_form = page.locator("select[name=lifter]").evaluate("s => s.selectedOptions[0].textContent")
    upload_in_browser(page, live_stack.base_url, people_clip)

    # Skeleton frames arrive and are drawn (that they stream before the job ends is proven by
    # tests/integration/test_pose_job_live.py from the message order, which does not depend on timing).
    page.wait_for_function("() => window.poseViewer && window.poseViewer.frameCount > 0", timeout=180_000)
    canvas = page.locator("#viewer canvas").first
    page.wait_for_function("() => window.poseViewer.renderCount > 2", timeout=30_000)
    live_png = canvas.screenshot(path=str(screenshot_dir / "live-first-frames.png"))
    assert skeleton_pixels(live_png) > 100, "no skeleton drawn on the canvas"
    # The mannequin (result.glb, written at the end) cannot be chosen while the job runs; read at once.
    live = page.evaluate("""() => ({ status: window.poseViewer.jobStatus,
        disabled: document.querySelector('#viewer .pv-figure input[value=mannequin]').disabled,
        title: document.querySelector('#viewer .pv-figure').title })""")
    if live["status"] != "succeeded":
        assert live["disabled"] and live["title"] == "The mannequin is available when the job has finished.", live

    page.wait_for_function("() => window.poseViewer.status === 'succeeded'", timeout=240_000)
    assert page.locator("#job-status").inner_text().strip().lower() == "succeeded"
    # the page's actions follow the job: no Cancel once it has ended, no Retry after a success
    assert page.locator("#cancel-job").is_hidden() and page.locator("#retry-job").is_hidden()
    assert page.locator("#delete-job").is_visible()
    assert page.locator("#job-queue").count() == 0 or page.locator("#job-queue").is_hidden()
    # the page was open while the job ended: its retention sentence now names the date, in the reader's zone
    expiry = page.locator("#job-expiry")
    assert "Download what you want to keep" in expiry.inner_text(), expiry.inner_text()
    assert re.search(r"(CET|CEST|GMT\+[12])$", expiry.locator("time").inner_text())
    assert page.evaluate("window.poseViewer.frameCount") == 120
    page.screenshot(path=str(screenshot_dir / "job-page-finished.png"), full_page=True)
    assert page.get_by_role("radio", name="Mannequin").is_enabled()
    assert not_found == [], not_found  # the video was asked for once it existed, not before
    page.wait_for_function("() => window.poseViewer.videoState === 'ready'", timeout=30_000)
    # one name for the model: on the upload form, and on the job page once the job has run (issue 33)
    assert page.locator("#job-model").inner_text() == model_on_form

    # Scrubbing to another frame draws another pose.
    page.evaluate("window.poseViewer.pause(); window.poseViewer.seek(5)")
    page.wait_for_timeout(300)
    a = canvas.screenshot()
    page.evaluate("window.poseViewer.seek(100)")
    page.wait_for_timeout(300)
    b = canvas.screenshot()
    assert a != b

    with page.expect_download() as info:
        page.locator("#viewer a.pv-dl[data-format=json]").click()
    download = info.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    result = json.loads(target.read_text())
    assert result["format"] == "3dposenet-result" and result["frame_count"] == 120
    assert np.asarray(result["keypoints_3d"]).shape == (120, 17, 3)
    assert page.js_errors == []


def test_failed_job_shows_a_plain_message(live_stack, page, owner, password, not_a_video, screenshot_dir):
    # Without the upload script the form posts in one request, and an unusable file becomes a failed
    # job that says why (with the script it is refused on the upload page: tests/e2e/test_chunked_upload.py).
    page.route("**/static/upload.js", lambda route: route.abort())
    sign_in(page, live_stack.base_url, owner.username, password)
    upload_in_browser(page, live_stack.base_url, not_a_video)
    page.wait_for_function("() => window.poseViewer && window.poseViewer.status === 'failed'", timeout=120_000)
    error = page.locator("#job-error")
    error.wait_for(state="visible")
    assert "not a video" in error.inner_text().lower()
    # its bytes were not kept and the problem is the file's own: no Retry, but another upload and Delete
    assert page.locator("#cancel-job").is_hidden() and page.locator("#retry-job").is_hidden()
    assert page.locator("#delete-job").is_visible() and page.locator("#upload-another").is_visible()
    assert "Traceback" not in page.content()
    # no frame was made: no empty 3D stage, grid and timeline under the message
    assert page.locator(".pv-stage").is_hidden() and page.locator(".pv-timeline").is_hidden()
    page.screenshot(path=str(screenshot_dir / "job-page-failed.png"), full_page=True)

    # times are given in the reader's zone (here Paris), the UTC time in the tooltip: the expiry, the job list
    paris = r"(CET|CEST|GMT\+[12])$"
    assert re.search(paris, page.locator("#job-expiry time").inner_text())
    page.locator("#upload-another").click()
    when = page.locator("table.jobs time").first
    assert re.search(paris, when.inner_text()), when.inner_text()
    assert when.get_attribute("title").endswith(" UTC")
