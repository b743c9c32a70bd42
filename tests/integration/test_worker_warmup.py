"""The real worker loads its models when it starts (poseapp/warmup.py), not on the first job."""
import time

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_worker_warms_its_models_at_start_up(live_stack):
    log = live_stack.logs / "worker.log"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        if "Models warmed in" in text or "warm-up failed" in text:
            break
        time.sleep(0.5)
    assert "Models warmed in" in text, live_stack.log_tail()
    assert text.index("Models warmed in") > text.index(" ready.")  # in the background, after the worker is up
