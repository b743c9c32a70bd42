"""Admin: a training job's dataset folder is checked on save (exists, holds VideoPose3D's files for
the chosen keypoints), with a clear form error; nothing is queued otherwise."""
import pytest
from django.urls import reverse

from poseapp.models import TrainingJob

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    sent = []
    monkeypatch.setattr("poseapp.admin.enqueue_training_job", sent.append)
    return sent


def add(client, data_dir: str, keypoints="gt"):
    return client.post(reverse("admin:poseapp_trainingjob_add"),
                       {"name": "run", "arch": "lstm", "frames": 27, "epochs": 1, "lr": 1e-4, "batch_size": 64,
                        "data_dir": data_dir, "keypoints": keypoints, "extra_config": "{}"})


def error_of(response) -> str:
    return " ".join(response.context["adminform"].form.errors.get("data_dir", []))


def test_a_folder_with_the_files_is_accepted(admin_client, tmp_path, queued):
    (tmp_path / "data_3d_h36m.npz").write_bytes(b"")
    (tmp_path / "data_2d_h36m_sh_pt_mpii.npz").write_bytes(b"")
    assert add(admin_client, str(tmp_path), "sh_pt_mpii").status_code == 302
    assert TrainingJob.objects.get().data_dir == str(tmp_path) and len(queued) == 1


def test_a_missing_folder_is_refused(admin_client, tmp_path, queued):
    response = add(admin_client, str(tmp_path / "nope"))
    assert f"There is no folder at {tmp_path / 'nope'}" in error_of(response)
    assert not TrainingJob.objects.exists() and not queued


def test_a_folder_without_the_files_is_refused(admin_client, tmp_path, queued):
    assert f"The folder {tmp_path} has no data_3d_h36m.npz" in error_of(add(admin_client, str(tmp_path)))
    (tmp_path / "data_3d_h36m.npz").write_bytes(b"")
    assert add(admin_client, str(tmp_path), "gt").status_code == 302  # ground-truth 2D needs only the 3D file
    response = add(admin_client, str(tmp_path), "sh_pt_mpii")
    assert "has no data_2d_h36m_sh_pt_mpii.npz" in error_of(response) and len(queued) == 1


def test_non_staff_cannot_queue_training(client, owner, tmp_path, queued):
    client.force_login(owner)
    assert reverse("admin:login") in add(client, str(tmp_path))["Location"]
    assert not TrainingJob.objects.exists()
