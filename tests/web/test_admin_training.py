"""Admin: a failed training job shows its error, staff copy a job to re-queue it edited, and every
registered model's architecture shows in the registry."""
import json

import pytest
from django.urls import reverse

from poseapp.apps import shipped_model_name, shipped_summary
from poseapp.models import LifterModel, TrainingJob

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed_job():
    return TrainingJob.objects.create(name="walker", arch="transformer", frames=27, epochs=3, lr=3e-4,
                                      batch_size=64, data_dir="/data/h36m", keypoints="sh_pt_mpii",
                                      extra_config={"stride": 9, "max_minutes": 5}, status="failed",
                                      error="The dataset folder /data/h36m has no data_3d_h36m.npz.")


def test_a_failed_job_shows_its_error_not_waiting(admin_client, failed_job):
    page = admin_client.get(reverse("admin:poseapp_trainingjob_change", args=[failed_job.pk])).content.decode()
    assert 'id="training-error" class="errornote">The dataset folder /data/h36m has no' in page  # not hidden
    assert "Status: failed — The dataset folder" in page
    assert "Failed before the first epoch" in page  # what the chart says for a failed job (JS)
    metrics = admin_client.get(reverse("admin:poseapp_trainingjob_metrics", args=[failed_job.pk])).json()
    assert metrics["status"] == "failed" and "data_3d_h36m.npz" in metrics["error"]


def test_copy_and_requeue_opens_an_edited_copy(admin_client, failed_job, monkeypatch, tmp_path):
    queued = []
    monkeypatch.setattr("poseapp.admin.enqueue_training_job", queued.append)
    url = reverse("admin:poseapp_trainingjob_changelist")
    response = admin_client.post(url, {"action": "copy_and_requeue", "_selected_action": [failed_job.pk]})
    add = reverse("admin:poseapp_trainingjob_add")
    assert response.status_code == 302 and response["Location"] == f"{add}?copy_of={failed_job.pk}"
    page = admin_client.get(response["Location"])
    form = page.context["adminform"].form
    assert form.initial["name"] == "walker" and form.initial["arch"] == "transformer"
    assert form.initial["epochs"] == 3 and form.initial["extra_config"] == {"stride": 9, "max_minutes": 5}
    assert "A copy of training job" in page.content.decode()
    data = {f: form.initial[f] for f in ("name", "arch", "frames", "lr", "batch_size", "data_dir", "keypoints")}
    data["data_dir"] = str(tmp_path)  # the copy points at a folder that exists (checked on save)
    for name in ("data_3d_h36m.npz", "data_2d_h36m_sh_pt_mpii.npz"):
        (tmp_path / name).write_bytes(b"")
    response = admin_client.post(add, {**data, "epochs": 5, "extra_config": json.dumps({"stride": 27}),
                                       "_save": "Save"})
    assert response.status_code == 302, response.content[:2000]
    copy = TrainingJob.objects.exclude(pk=failed_job.pk).get()
    assert copy.status == "queued" and copy.epochs == 5 and copy.extra_config == {"stride": 27}
    assert copy.arch == "transformer" and queued == [copy]
    assert TrainingJob.objects.get(pk=failed_job.pk).status == "failed"  # the original is kept as it was


def test_copy_needs_exactly_one_job(admin_client, failed_job):
    other = TrainingJob.objects.create(name="other")
    response = admin_client.post(reverse("admin:poseapp_trainingjob_changelist"),
                                 {"action": "copy_and_requeue", "_selected_action": [failed_job.pk, other.pk]},
                                 follow=True)
    assert "Select exactly one training job to copy." in response.content.decode()


def test_every_model_shows_its_architecture(admin_client, tmp_path):
    LifterModel.objects.filter(name=shipped_model_name()).update(arch="")  # e.g. registered by an older release
    ckpt = tmp_path / "lifter_tf.pt"
    ckpt.write_bytes(b"weights")
    ckpt.with_suffix(".json").write_text(json.dumps({"arch": "transformer"}))  # ml.ship's summary
    LifterModel.objects.create(name="By hand", checkpoint=str(ckpt))
    job = TrainingJob.objects.create(name="t", arch="lstm")
    LifterModel.objects.create(name="Trained", checkpoint=str(tmp_path / "best.pt"), training_job=job)
    LifterModel.objects.create(name="Mystery", checkpoint=str(tmp_path / "x.pt"))
    shipped = LifterModel.objects.get(name=shipped_model_name())
    assert shipped.architecture == shipped_summary()["arch"]
    assert LifterModel.objects.get(name="By hand").architecture == "transformer"
    assert LifterModel.objects.get(name="Trained").architecture == "lstm"
    assert LifterModel.objects.get(name="Mystery").architecture == ""
    page = admin_client.get(reverse("admin:poseapp_liftermodel_changelist")).content.decode()
    rows = {name: page[page.index(name):page.index("</tr>", page.index(name))] for name in
            (shipped_model_name(), "By hand", "Trained", "Mystery")}
    assert shipped_summary()["arch"] in rows[shipped_model_name()] and "transformer" in rows["By hand"]
    assert "lstm" in rows["Trained"] and "unknown" in rows["Mystery"]


def test_the_shipped_configuration_can_be_queued_from_the_admin(admin_client, monkeypatch, tmp_path, settings):
    """Issue 29: the admin's choices come from ml (ml.catalog): every architecture (tcn too), 2D mixtures,
    and the saved configurations, the shipped model's among them; queued, it trains what
    `ml.train --config ml/configs/<it>.json` trains."""
    from ml.catalog import ARCHITECTURES, SHIPPED_CONFIG, config_path
    from ml.train import load_config
    from poseapp.tasks import training_config

    settings.MEDIA_ROOT = tmp_path
    queued = []
    monkeypatch.setattr("poseapp.admin.enqueue_training_job", queued.append)
    add = reverse("admin:poseapp_trainingjob_add")
    page = admin_client.get(add).content.decode()
    assert f'<option value="{SHIPPED_CONFIG}">' in page and "(what ships)" in page
    assert all(f'<option value="{a}"' in page for a in ARCHITECTURES) and 'value="sh_pt_mpii+gt"' in page
    data_dir = tmp_path / "h36m"
    data_dir.mkdir()
    for name in ("data_3d_h36m.npz", "data_2d_h36m_sh_pt_mpii.npz"):  # the mixture's detected source is checked
        (data_dir / name).write_bytes(b"")
    # the form's own fields are left at their defaults: the configuration sets them
    response = admin_client.post(add, {"name": "ships-again", "config": SHIPPED_CONFIG, "arch": "lstm", "frames": 81,
                                       "epochs": 15, "lr": 1e-4, "batch_size": 512, "data_dir": str(data_dir),
                                       "keypoints": "gt", "extra_config": "{}", "_save": "Save"})
    assert response.status_code == 302, response.content[:3000]
    job = TrainingJob.objects.get(name="ships-again")
    assert queued == [job] and job.config == SHIPPED_CONFIG
    assert (job.arch, job.keypoints, job.epochs, job.batch_size) == ("lstm", "sh_pt_mpii+gt", 40, 128)
    expected = load_config(str(config_path(SHIPPED_CONFIG)), name="ships-again", data_dir=str(data_dir),
                           out=str(job.out_dir))
    assert training_config(job) == expected
    assert expected.init and expected.motion == "shared" and expected.pose_aug  # fine-tune, mocap, pose changes


def test_a_mixture_needs_its_detections_in_the_dataset_folder(admin_client, tmp_path):
    (tmp_path / "data_3d_h36m.npz").write_bytes(b"")
    response = admin_client.post(reverse("admin:poseapp_trainingjob_add"), {
        "name": "mix", "config": "", "arch": "tcn", "frames": 81, "epochs": 1, "lr": 1e-3, "batch_size": 64,
        "data_dir": str(tmp_path), "keypoints": "sh_pt_mpii+gt", "extra_config": "{}", "_save": "Save"})
    assert response.status_code == 200 and "data_2d_h36m_sh_pt_mpii.npz" in response.content.decode()
    assert not TrainingJob.objects.filter(name="mix").exists()
