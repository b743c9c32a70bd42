"""Through the real web server (issue 13): an unauthorised websocket is accepted and then closed with code 4403
(what docs/websocket.md says and the viewer stops retrying on), not refused with HTTP 403."""
import json

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from poseapp.models import PoseJob, Video

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def close_code(live_stack, job, cookie=None) -> int:
    headers = {"Cookie": cookie} if cookie else {}
    with connect(f"{live_stack.ws_base}/ws/jobs/{job.pk}/", origin=live_stack.base_url,
                 additional_headers=headers, open_timeout=20) as ws:  # the handshake succeeds (101)
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    return closed.value.rcvd.code


def test_anonymous_and_other_users_get_close_code_4403(live_stack, client, owner, other_user):
    job = PoseJob.objects.create(owner=owner, status="failed", error="x",
                                 video=Video.objects.create(owner=owner, original_name="a.mp4"))
    assert close_code(live_stack, job) == 4403
    client.force_login(other_user)
    assert close_code(live_stack, job, f"sessionid={client.cookies['sessionid'].value}") == 4403


def test_while_redis_is_away_the_handshake_closes_with_1013_and_no_traceback(fault_stack, session_cookie, owner):
    """Issue 30: during a Redis outage a viewer's reconnects got HTTP 500 and the web server logged a full
    traceback for each. Now: accepted, closed with 1013 (Try Again Later), which the viewer retries on."""
    job = PoseJob.objects.create(owner=owner, status="running",
                                 video=Video.objects.create(owner=owner, original_name="a.mp4"))
    fault_stack.stop_redis()
    codes = []
    for _ in range(3):
        with connect(f"ws://127.0.0.1:{fault_stack.port}/ws/jobs/{job.pk}/", origin=f"http://127.0.0.1:{fault_stack.port}",
                     additional_headers={"Cookie": session_cookie}, open_timeout=20) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=10)
            codes.append(closed.value.rcvd.code)
    assert codes == [1013] * 3
    log = (fault_stack.logs / "web.log").read_text(errors="replace")
    assert "Traceback" not in log and log.count("the channel layer is unreachable") == 3, log[-3000:]
    fault_stack.start_redis()
    with connect(f"ws://127.0.0.1:{fault_stack.port}/ws/jobs/{job.pk}/", origin=f"http://127.0.0.1:{fault_stack.port}",
                 additional_headers={"Cookie": session_cookie}, open_timeout=20) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "meta"  # back: the stream works again
