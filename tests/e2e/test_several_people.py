"""Several people (issue 12) in a real browser: upload with "Several people", the real worker runs the
multi-person pipeline, every person's skeleton is drawn in their colour, a click on one follows it, Hide
hides it, and a reload (the finished job's replay) brings back the same people."""
import numpy as np
import pytest

from ml.palette import person_colour
from tests.e2e.helpers import person_pixels, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PV = "window.poseViewer"
PELVIS, THORAX = 0, 8
KNEES = (2, 5)
ANKLES = (3, 6)
HEAD = 10
LAST_FRAME_OF = """(id) => { let f = -1;
    for (let i = 61; i < 120; i++) if (window.poseViewer.peopleAt(i).includes(id)) f = i; return f; }"""


def upload_several(page, base_url, clip):
    from poseapp.models import PoseJob

    page.goto(f"{base_url}/")
    page.set_input_files("input[name=video]", str(clip))
    page.select_option("select[name=people]", "several")
    page.click("#upload-form button[type=submit]")
    page.wait_for_url("**/jobs/*/")
    return PoseJob.objects.latest("pk")


def wait_until_quiet(page, quiet_ms=1500, timeout_ms=30_000):
    """Wait until no websocket message has arrived for quiet_ms."""
    last, since = page.evaluate(f"{PV}.messageCount"), 0
    for _ in range(timeout_ms // 250):
        page.wait_for_timeout(250)
        now = page.evaluate(f"{PV}.messageCount")
        since = since + 250 if now == last else 0
        last = now
        if since >= quiet_ms:
            return
    raise AssertionError("the job's stream did not fall quiet")


def heights_px(page, ids) -> dict:
    """Each person's on-screen height (head to the lower ankle) in the 3D view, pixels."""
    heights = {}
    for pid in ids:
        head, *ankles = (page.evaluate(f"{PV}.personScreenPoint({pid}, {j})") for j in (HEAD, *ANKLES))
        ankles = [a for a in ankles if a]
        if head and ankles:
            heights[pid] = round(max(a["y"] for a in ankles) - head["y"])
    return heights


def drawn_people(page, canvas_png, box):
    """Ids of the people shown now whose colour is on the 3D canvas around their own pelvis and knees
    (where the viewer projects them: well below the id label over the head, which does not count)."""
    found = {}
    for pid in page.evaluate(f"{PV}.shownPeople"):
        n = 0
        for joint in (PELVIS, *KNEES):
            pt = page.evaluate(f"{PV}.personScreenPoint({pid}, {joint})")
            if pt:
                n += person_pixels(canvas_png, (pt["x"] - box["x"], pt["y"] - box["y"]), person_colour(pid))
        found[pid] = n
    return {pid for pid, n in found.items() if n >= 6}, found


def test_several_people_stream_focus_hide_and_replay(live_stack, page, owner, password, people_clip, screenshot_dir):
    sign_in(page, live_stack.base_url, owner.username, password)
    job = upload_several(page, live_stack.base_url, people_clip)
    assert job.people_mode == "several"

    # frames with several people stream in (that they come before the end is the protocol's business)
    page.wait_for_function(f"() => window.poseViewer && {PV}.peopleMode === 'several' && {PV}.shownPeople.length >= 2",
                           timeout=600_000)
    page.wait_for_function(f"() => {PV}.status === 'succeeded'", timeout=600_000)
    assert page.evaluate(f"{PV}.frameCount") == 120
    people = page.evaluate(f"{PV}.people")
    assert len(people) >= 3
    assert page.locator("#viewer .pv-person").count() == len(people)
    assert page.locator("#viewer .pv-people").is_visible()

    # Everyone, at a frame with several people: each skeleton drawn in its own colour where it is.
    # First the stream falls quiet: on a loaded machine the group's live copies of chunks the replay
    # already sent can still come in after the final status (duplicates, but each one redraws).
    wait_until_quiet(page)
    page.evaluate(f"{PV}.pause(); {PV}.seek(60); {PV}.resetView()")
    # the viewer shows exactly the people of frame 60 (waited for: on a loaded machine a replayed chunk
    # can still come in after the final status, and the frame shown is redrawn when it does)
    page.wait_for_function(f"() => JSON.stringify({PV}.shownPeople) === JSON.stringify({PV}.peopleAt(60))",
                           timeout=10_000)
    page.wait_for_timeout(800)  # the reset glides
    canvas = page.locator("#viewer canvas").first
    box = canvas.bounding_box()
    png = canvas.screenshot(path=str(screenshot_dir / "several-people-everyone.png"))
    shown = page.evaluate(f"{PV}.shownPeople")
    assert shown == page.evaluate(f"{PV}.peopleAt(60)") and len(shown) >= 3
    drawn, counts = drawn_people(page, png, box)
    assert len(drawn) >= 3, counts
    page.screenshot(path=str(screenshot_dir / "several-people-page.png"), full_page=True)
    # Framed sensibly (issue 33: everyone fitted a bounding sphere, each a few pixels tall): the group
    # nearest the camera fills the view (the others are drawn around it); its people stand tall enough
    # to see their poses.
    heights = heights_px(page, shown)
    print(f"several people, default view: {len(shown)} people, on-screen heights {sorted(heights.values())} px "
          f"in a {box['height']:.0f} px view")
    nearest = sorted(heights.values())[-3:]  # the group framed (before: about 40 px each, 8 % of the view)
    assert np.median(nearest) >= 0.15 * box["height"], (heights, box["height"])

    # a click on a skeleton follows that person: the camera glides to them and keeps them in view
    pid = max(drawn, key=lambda i: counts[i])
    pt = page.evaluate(f"{PV}.personScreenPoint({pid}, {THORAX})")
    page.mouse.click(pt["x"], pt["y"])
    page.wait_for_function(f"() => {PV}.focusedPerson === {pid}", timeout=5_000)
    assert page.get_attribute(f"#viewer .pv-person[data-id='{pid}'] .pv-person-focus", "aria-pressed") == "true"
    page.wait_for_timeout(900)
    root = np.asarray(page.evaluate(f"{PV}.pose3d(60, {pid})"))[PELVIS]
    target = np.asarray(page.evaluate(f"{PV}.cameraTarget()"))
    assert np.hypot(*(target - root)[[0, 2]]) < 0.6, (target, root)
    canvas.screenshot(path=str(screenshot_dir / "several-people-focused.png"))
    # further on, the camera is still on them
    later = page.evaluate(LAST_FRAME_OF, pid)
    if later > 70:
        page.evaluate(f"{PV}.seek({later})")
        page.wait_for_timeout(300)
        root = np.asarray(page.evaluate(f"{PV}.pose3d({later}, {pid})"))[PELVIS]
        target = np.asarray(page.evaluate(f"{PV}.cameraTarget()"))
        assert np.hypot(*(target - root)[[0, 2]]) < 0.6, (later, target, root)

    # Hide another person: gone from the 3D view; Show brings them back; Escape frames everyone again
    page.evaluate(f"{PV}.seek(60)")
    other = next(i for i in shown if i != pid)
    page.click(f"#viewer .pv-person[data-id='{other}'] .pv-person-hide")
    page.wait_for_function(f"() => !{PV}.shownPeople.includes({other})", timeout=5_000)
    assert page.evaluate(f"{PV}.hiddenPeople") == [other]
    page.click(f"#viewer .pv-person[data-id='{other}'] .pv-person-hide")
    page.wait_for_function(f"() => {PV}.shownPeople.includes({other})", timeout=5_000)
    page.keyboard.press("Escape")
    assert page.evaluate(f"{PV}.focusedPerson") is None

    # the finished job again: its frames replay from the server with the same people, once each
    page.reload()
    page.wait_for_function(f"() => window.poseViewer && {PV}.status === 'succeeded'", timeout=60_000)
    assert page.evaluate(f"{PV}.people") == people and page.evaluate(f"{PV}.frameCount") == 120
    assert page.js_errors == []
