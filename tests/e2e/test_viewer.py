"""The three.js viewer in a real browser, on real jobs processed by the real worker."""
import json

import numpy as np
import pytest

from tests.conftest import wait_for_job
from tests.e2e.helpers import sign_in, skeleton_pixels, upload_in_browser

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def finished_job_page(live_stack, page, owner, password, people_clip):
    sign_in(page, live_stack.base_url, owner.username, password)
    job = upload_in_browser(page, live_stack.base_url, people_clip)
    job = wait_for_job(job.pk, timeout=240, stack=live_stack)
    assert job.status == "succeeded", live_stack.log_tail()
    page.reload()
    page.wait_for_function("window.poseViewer && window.poseViewer.frameCount === 120", timeout=60_000)
    page.wait_for_function("window.poseViewer.videoState === 'ready'", timeout=60_000)
    return job


def test_playing_scrubbing_and_video_sync(finished_job_page, page, screenshot_dir):
    viewer = "window.poseViewer"
    canvas = page.locator("#viewer canvas").first
    page.evaluate(f"{viewer}.seek(40); {viewer}.play()")
    page.wait_for_timeout(400)
    a = canvas.screenshot()
    renders = page.evaluate(f"{viewer}.renderCount")
    page.wait_for_timeout(700)
    b = canvas.screenshot()
    assert page.evaluate(f"{viewer}.renderCount") > renders and a != b  # pixels change while playing
    assert skeleton_pixels(b) > 100
    page.screenshot(path=str(screenshot_dir / "viewer-playing.png"))

    page.evaluate(f"{viewer}.pause()")
    for frame in (10, 100):  # scrubbing changes the pose; the video follows within one frame
        page.evaluate(f"{viewer}.seek({frame})")
        page.wait_for_function(f"Math.abs({viewer}.videoFrame() - {frame}) <= 1", timeout=10_000)
    pose_10, pose_100 = (np.asarray(page.evaluate(f"{viewer}.pose3d({i})")) for i in (10, 100))
    assert pose_10.shape == (17, 3) and np.abs(pose_10 - pose_100).max() > 0.01

    # Scrubbing the video moves the 3D frame too.
    page.evaluate("document.querySelector('#viewer video').currentTime = 7.05")
    page.wait_for_function(f"Math.abs({viewer}.currentFrame - 70) <= 1", timeout=10_000)
    assert abs(page.evaluate(f"{viewer}.videoFrame()") - page.evaluate(f"{viewer}.currentFrame")) <= 1
    page.screenshot(path=str(screenshot_dir / "viewer-scrubbed.png"))


def test_moment_link_and_downloads(finished_job_page, page, live_stack):
    url = page.url.split("#")[0]
    page.goto(url + "#t=5")
    page.wait_for_function("window.poseViewer && window.poseViewer.frameCount === 120", timeout=60_000)
    page.wait_for_function("window.poseViewer.currentFrame === 50", timeout=10_000)
    formats = page.eval_on_selector_all("#viewer a.pv-dl", "els => els.map(e => e.dataset.format)")
    assert sorted(formats) == ["bvh", "csv", "glb", "json", "mp4", "npz"]
    for fmt in formats:
        href = page.get_attribute(f"#viewer a.pv-dl[data-format={fmt}]", "href")
        response = page.request.get(live_stack.base_url + href)
        assert response.status == 200 and len(response.body()) > 100, fmt


TOOLBAR_PX = 48  # the 3D view's buttons (the checked Mannequin button is blue) over the canvas' top
# Where the mannequin's bones are after the last render (world metres; matrixWorld is set by the render).
BONE_POSITIONS = """(names) => {
    const root = window.__poseViewerApp.figure.mannequin.root;
    return names.map((n) => { const e = root.getObjectByName(n).matrixWorld.elements; return [e[12], e[13], e[14]]; });
}"""


def test_mannequin_plays(finished_job_page, page, live_stack, screenshot_dir):
    """Skeleton | Mannequin: the worker's result.glb, on the viewer's frame, sticks hidden; errors fall back."""
    viewer = "window.poseViewer"
    job = finished_job_page
    assert (job.work_dir / "result.glb").stat().st_size > 1000  # exported by the worker's pipeline
    canvas = page.locator("#viewer canvas").first
    skeleton_radio = page.get_by_role("radio", name="Skeleton")
    mannequin_radio = page.get_by_role("radio", name="Mannequin")
    assert mannequin_radio.is_enabled() and skeleton_radio.is_checked()
    page.evaluate(f"{viewer}.pause(); {viewer}.seek(10)")

    # A GLB that cannot be had: one plain sentence, and the skeleton stays.
    page.route("**/download/glb", lambda route: route.fulfill(status=404, body="Not found"))
    page.click("#viewer .pv-figure-mannequin")
    page.wait_for_function(f"{viewer}.figureError !== ''", timeout=30_000)
    assert page.evaluate(f"{viewer}.figure") == "skeleton" and skeleton_radio.is_checked()
    note = page.locator("#viewer .pv-figure-note")
    assert note.inner_text().startswith("The mannequin could not be loaded: the file was not found")
    page.unroute("**/download/glb")

    # Keyboard: the radio group takes the arrow keys (not frame stepping); this time the GLB loads.
    skeleton_radio.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"{viewer}.figure === 'mannequin'", timeout=60_000)
    assert page.evaluate(f"{viewer}.figureError") == "" and note.is_hidden()
    assert page.get_attribute("#viewer", "data-figure") == "mannequin"
    assert page.evaluate(f"{viewer}.currentFrame") == 10

    # Scrubbed: the mannequin is on the viewer's frame, where the skeleton's joints are; sticks hidden.
    shots = {}
    for frame in (10, 100):
        page.evaluate(f"{viewer}.seek({frame})")
        page.wait_for_function(f"{viewer}.mannequinFrame === {frame}", timeout=10_000)
        page.wait_for_timeout(150)
        shots[frame] = canvas.screenshot()
        (screenshot_dir / f"viewer-mannequin-{frame}.png").write_bytes(shots[frame])
        hips, head_top = page.evaluate(BONE_POSITIONS, ["Hips", "HeadTop_End"])
        pose = np.asarray(page.evaluate(f"{viewer}.pose3d({frame})"))
        assert np.linalg.norm(np.asarray(hips) - pose[0]) < 0.01, (frame, hips, pose[0])
        assert np.linalg.norm(np.asarray(head_top) - pose[10]) < 0.05, (frame, head_top, pose[10])
        assert skeleton_pixels(shots[frame], skip_top=TOOLBAR_PX) < 30  # no blue/orange sticks
    assert shots[10] != shots[100]
    for view in ("front", "side"):
        page.evaluate(f"{viewer}.setView('{view}')")
        page.wait_for_timeout(900)  # the camera glides there
        page.screenshot(path=str(screenshot_dir / f"viewer-mannequin-{view}.png"))

    # Playing: the pixels change, and the mannequin follows the viewer's clock (the video).
    page.evaluate(f"{viewer}.seek(40); {viewer}.play()")
    page.wait_for_timeout(400)
    a = canvas.screenshot()
    page.wait_for_timeout(700)
    b = canvas.screenshot()
    assert a != b
    lag = page.evaluate("Math.floor(window.poseViewer.mannequinFrame) - window.__poseViewerApp.currentFrame")
    assert abs(lag) <= 1, lag
    page.evaluate(f"{viewer}.pause()")

    # Back to the skeleton with the keyboard.
    mannequin_radio.focus()
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(f"{viewer}.figure === 'skeleton'", timeout=10_000)
    page.evaluate(f"{viewer}.seek(100)")
    page.wait_for_timeout(300)
    back = canvas.screenshot()
    (screenshot_dir / "viewer-skeleton-after-mannequin.png").write_bytes(back)
    assert skeleton_pixels(back, skip_top=TOOLBAR_PX) > 100
    assert page.js_errors == []


def test_phone_sized_window(finished_job_page, page, screenshot_dir):
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)
    too_wide = page.evaluate("""[...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > 392 || e.scrollWidth > e.clientWidth + 2)
        .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right) + ' ' + e.scrollWidth + '/' + e.clientWidth).slice(0, 12)""")
    assert page.evaluate("document.documentElement.scrollWidth") <= 392, too_wide
    assert page.locator("#viewer canvas").first.bounding_box()["width"] > 300
    page.screenshot(path=str(screenshot_dir / "viewer-phone.png"), full_page=True)


def test_reconnect_and_reload_keep_every_frame_exactly_once(live_stack, page, owner, password, people_clip):
    """A dropped connection mid-job reconnects, a reload mid-job replays: every frame exactly once."""
    sign_in(page, live_stack.base_url, owner.username, password)
    job = upload_in_browser(page, live_stack.base_url, people_clip)
    # Drop the connection as soon as the first frames are in, while the job is still running.
    page.wait_for_function("window.poseViewer && window.poseViewer.frameCount > 0", timeout=180_000)
    page.evaluate("window.poseViewer.socket.close()")
    page.wait_for_function("window.poseViewer.reconnects >= 1", timeout=30_000)
    page.wait_for_function("window.poseViewer.connectionState === 'open'", timeout=30_000)
    # Reloading (most likely still mid-job) replays everything so far, then the live tail.
    page.reload()
    page.wait_for_function("window.poseViewer && window.poseViewer.status === 'succeeded'", timeout=240_000)
    assert page.evaluate("window.poseViewer.receivedIndices()") == list(range(120))
    assert page.evaluate("window.poseViewer.frameCount") == 120
    result = json.loads((job.work_dir / "result.json").read_text())
    assert np.allclose(np.asarray(page.evaluate("window.poseViewer.pose3d(60)")),
                       np.asarray(result["keypoints_3d"][60]), atol=1e-3)
    assert page.js_errors == []
