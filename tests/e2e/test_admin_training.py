"""Staff train a tiny model from the admin, watch its metrics live, make it active, and a new pose job uses it."""
import pytest

from poseapp.models import LifterModel, TrainingJob
from tests.conftest import wait_for_job
from tests.e2e.helpers import upload_in_browser
from tests.ml.conftest import make_h36m_dir

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_train_in_admin_then_use_the_model(live_stack, page, django_user_model, password, people_clip,
                                           tmp_path, screenshot_dir):
    data_dir = make_h36m_dir(tmp_path / "h36m")
    staff = django_user_model.objects.create_superuser("staff", "staff@example.com", password)
    base = live_stack.base_url
    page.goto(f"{base}/admin/login/")
    page.fill("input[name=username]", staff.username)
    page.fill("input[name=password]", password)
    page.click("input[type=submit]")

    page.goto(f"{base}/admin/poseapp/trainingjob/add/")
    page.fill("input[name=name]", "tiny-walker")
    page.select_option("select[name=arch]", "lstm")
    page.fill("input[name=frames]", "9")
    page.fill("input[name=epochs]", "2")
    page.fill("input[name=lr]", "0.001")
    page.fill("input[name=batch_size]", "32")
    page.fill("input[name=data_dir]", str(data_dir))
    page.fill("textarea[name=extra_config]", '{"stride": 9, "model": {"embed_dim": 32, "hidden": 16, "layers": 1}}')
    page.click("input[name=_save]")
    job = TrainingJob.objects.get(name="tiny-walker")

    page.goto(f"{base}/admin/poseapp/trainingjob/{job.pk}/change/")
    page.wait_for_function("() => document.querySelectorAll('#training-epochs .epoch-row').length >= 1", timeout=180_000)
    page.wait_for_function("() => document.querySelectorAll('#training-epochs .epoch-row').length === 2", timeout=180_000)
    page.wait_for_selector("#training-model:has-text('Registered model')", timeout=60_000)
    page.screenshot(path=str(screenshot_dir / "admin-training-metrics.png"), full_page=True)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert [h["epoch"] for h in job.history] == [1, 2] and all(h["val_mpjpe"] > 0 for h in job.history)
    model = LifterModel.objects.get(training_job=job)
    assert model.metrics["val_mpjpe_mm"] > 0 and not model.is_active

    page.goto(f"{base}/admin/poseapp/liftermodel/")
    page.check(f"input[name=_selected_action][value='{model.pk}']")
    page.select_option("select[name=action]", "make_active")
    page.click("button[name=index]")
    page.wait_for_selector(".messagelist >> text=is now the default model")
    assert LifterModel.active() == LifterModel.objects.get(pk=model.pk)

    pose_job = upload_in_browser(page, base, people_clip)
    wait_for_job(pose_job.pk, timeout=240, stack=live_stack)
    page.reload()
    assert page.locator("#job-model").inner_text() == model.name
    pose_job.refresh_from_db()
    assert pose_job.status == "succeeded" and pose_job.lifter == model
    assert pose_job.model_name.startswith("LSTM_PoseNet 9f")
