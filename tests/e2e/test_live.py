"""Live mode in a real browser (issue 31): Chromium's fake camera plays a real clip (a person waving,
from ../shared/data/video), BlazePose runs in the page from the app's own files, the keypoints go over
the websocket to the live lifter (a real `runworker` process), 3D frames come back and are drawn; a
recorded take becomes a job with every download."""
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import CHROMIUM_ARGS
from tests.e2e.helpers import sign_in, skeleton_pixels

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHARED_CLIP = Path(__file__).resolve().parents[3] / "shared" / "data" / "video" / "arms_576x576_30fps.mp4"


@pytest.fixture(scope="module")
def camera_clip(tmp_path_factory) -> Path:
    """Chromium's fake camera reads raw YUV (.y4m): 5 s of the clip, at 15 fps to keep the file small."""
    import imageio_ffmpeg

    if not SHARED_CLIP.exists():
        pytest.fail(f"{SHARED_CLIP} is missing: the live test films a real person (../shared/data/video)")
    out = tmp_path_factory.mktemp("camera") / "arms.y4m"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(SHARED_CLIP), "-t", "5",
                    "-vf", "fps=15", "-pix_fmt", "yuv420p", str(out)], check=True)
    return out


@pytest.fixture(scope="module")
def camera_browser(camera_clip):
    from playwright.sync_api import sync_playwright

    args = CHROMIUM_ARGS + ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                            f"--use-file-for-fake-video-capture={camera_clip}"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=args)
        yield browser
        browser.close()


def _open_live(camera_browser, live_stack, owner, password):
    context = camera_browser.new_context(viewport={"width": 1280, "height": 860})
    context.grant_permissions(["camera"], origin=live_stack.base_url)
    page = context.new_page()
    page.problems = []
    page.on("pageerror", lambda exc: page.problems.append(str(exc)))
    page.on("console", lambda m: page.problems.append(m.text) if "Content Security Policy" in m.text else None)
    sign_in(page, live_stack.base_url, owner.username, password)
    page.goto(f"{live_stack.base_url}/live/")
    return context, page


def _wait(page, condition: str, timeout_ms: int, stack):
    """page.wait_for_function, saying what the page and the servers said when it does not come."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(condition, timeout=timeout_ms)
    except PlaywrightTimeout:
        state = page.evaluate("""() => ({status: document.querySelector('#live-status').textContent,
            errors: window.__live.errors, state: window.__live.state, stats: window.__live.stats.summary()})""")
        raise AssertionError(f"{condition} did not happen: {state}\n{stack.log_tail()}") from None


def _downloads_all(page, stack, job_id):
    for fmt in ("json", "csv", "npz", "bvh", "glb", "mp4"):
        r = page.request.get(f"{stack.base_url}/jobs/{job_id}/download/{fmt}")
        assert r.status == 200 and len(r.body()) > 100, fmt


def test_live_take_streams_3d_and_becomes_a_job(live_stack, camera_browser, owner, password, screenshot_dir):
    from poseapp.models import PoseJob
    from tests.conftest import wait_for_job

    context, page = _open_live(camera_browser, live_stack, owner, password)
    try:
        _wait(page, "() => !document.querySelector('#live-record').disabled", 120_000, live_stack)
        page.click("#live-record")  # Start recording
        # 3D frames arrive while the take runs, and are drawn beside the camera
        _wait(page, "() => window.__live.stats.poses >= 5", 120_000, live_stack)
        page.wait_for_timeout(1500)
        png = page.locator("#live-3d canvas").screenshot(path=str(screenshot_dir / "live-3d.png"))
        assert skeleton_pixels(png) > 100, "no skeleton drawn in the live 3D view"
        page.screenshot(path=str(screenshot_dir / "live-page.png"))
        stats = page.evaluate("window.__live.stats.summary()")
        assert stats["latency_ms_median"] is not None and stats["frames2d"] >= stats["poses"] > 0, stats
        page.click("#live-record")  # Stop: the take becomes a job
        _wait(page, "() => window.__live.jobs.length === 1", 120_000, live_stack)
        assert page.locator("#live-job-link").get_attribute("href") == f"/jobs/{page.evaluate('window.__live.jobs[0].job')}/"
        job_id = page.evaluate("window.__live.jobs[0].job")
        assert page.evaluate("window.__live.errors") == []
        job = wait_for_job(job_id, timeout=300, stack=live_stack)
        assert job.status == PoseJob.Status.SUCCEEDED, (job.error, live_stack.log_tail())
        assert job.owner == owner and job.video.original_name.endswith(".webm")
        assert job.frame_count and job.frame_count >= 5
        _downloads_all(page, live_stack, job_id)

        # A second take without the camera video: the job lifts the browser's 2D, over a plain picture
        page.uncheck("#live-keep-video")
        page.click("#live-record")
        poses = page.evaluate("window.__live.stats.poses")
        _wait(page, f"() => window.__live.stats.poses >= {poses + 4}", 120_000, live_stack)
        page.click("#live-record")
        _wait(page, "() => window.__live.jobs.length === 2", 120_000, live_stack)
        second = wait_for_job(page.evaluate("window.__live.jobs[1].job"), timeout=300, stack=live_stack)
        assert second.status == PoseJob.Status.SUCCEEDED, (second.error, live_stack.log_tail())
        assert second.take_path.exists() and second.video.original_name == "live-take.mp4"
        _downloads_all(page, live_stack, second.pk)
        assert page.problems == [], page.problems
    finally:
        context.close()
