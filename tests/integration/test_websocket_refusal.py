"""Through real daphne (issue 13): an unauthorised websocket is accepted and then closed with code 4403
(what docs/websocket.md says and the viewer stops retrying on), not refused with HTTP 403."""
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
