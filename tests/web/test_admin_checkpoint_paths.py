"""Admin: checkpoint paths confined to the models folders (POSENET_MODELS_DIR), existing and readable
as our checkpoint, with a clear form error otherwise; only staff reach the form."""
import shutil
import zipfile

import pytest
from django.urls import reverse

from poseapp import checkpoint_paths
from poseapp.models import LifterModel

pytestmark = pytest.mark.django_db


@pytest.fixture
def models_dir(settings, tmp_path, tiny_checkpoint):
    folder = tmp_path / "models"
    folder.mkdir()
    shutil.copy(tiny_checkpoint, folder / "tiny.pt")
    settings.POSENET_MODELS_DIR = [str(folder)]
    return folder


def add(client, checkpoint: str):
    return client.post(reverse("admin:poseapp_liftermodel_add"),
                       {"name": "Mine", "checkpoint": checkpoint, "arch": "lstm", "metrics": "{}"})


def error_of(response) -> str:
    return " ".join(response.context["adminform"].form.errors.get("checkpoint", []))


def test_a_checkpoint_inside_the_models_folder_is_accepted(admin_client, models_dir):
    response = add(admin_client, str(models_dir / "tiny.pt"))
    assert response.status_code == 302, error_of(response)
    assert LifterModel.objects.get(name="Mine").checkpoint == str(models_dir / "tiny.pt")


def test_the_default_folders_hold_the_shipped_weights_and_training_runs(settings, tmp_path):
    settings.POSENET_MODELS_DIR = []
    settings.MEDIA_ROOT = tmp_path
    assert checkpoint_paths.checkpoint_problem("ml/weights/lifter_default.pt") is None
    dirs = checkpoint_paths.models_dirs()
    assert (tmp_path / "training").resolve() in dirs and settings.BASE_DIR / "runs" in dirs


def test_dot_dot_is_refused(admin_client, models_dir):
    response = add(admin_client, f"{models_dir}/../models/tiny.pt")
    assert response.status_code == 200 and "Use a path without '..'" in error_of(response)
    assert not LifterModel.objects.filter(name="Mine").exists()


def test_absolute_path_outside_is_refused(admin_client, models_dir, tmp_path, tiny_checkpoint):
    outside = tmp_path / "elsewhere.pt"
    shutil.copy(tiny_checkpoint, outside)
    response = add(admin_client, str(outside))
    assert f"{outside} is outside the models folders. Put the checkpoint in one of: {models_dir}" in error_of(response)
    assert "is outside the models folders" in error_of(add(admin_client, "/etc/passwd"))


def test_a_link_pointing_outside_is_refused(admin_client, models_dir, tmp_path, tiny_checkpoint):
    outside = tmp_path / "elsewhere.pt"
    shutil.copy(tiny_checkpoint, outside)
    (models_dir / "link.pt").symlink_to(outside)
    assert "is outside the models folders" in error_of(add(admin_client, str(models_dir / "link.pt")))


def test_missing_file_and_folder_are_refused(admin_client, models_dir):
    assert f"There is no file at {models_dir / 'nope.pt'}" in error_of(add(admin_client, str(models_dir / "nope.pt")))
    assert "is a folder; give the checkpoint file in it" in error_of(add(admin_client, str(models_dir)))


def test_files_that_are_not_our_checkpoints_are_refused(admin_client, models_dir):
    (models_dir / "notes.pt").write_text("not weights")
    assert "not a zip archive as torch.save writes" in error_of(add(admin_client, str(models_dir / "notes.pt")))
    with zipfile.ZipFile(models_dir / "other.pt", "w") as z:
        z.writestr("other/data.pkl", b"\x80\x04}\x94\x8c\x06format\x94\x8c\x05other\x94s.")  # {"format": "other"}
    assert "not a 3DPoseNet lifter checkpoint" in error_of(add(admin_client, str(models_dir / "other.pt")))
    import pickle

    class Evil:
        def __reduce__(self):
            return (print, ("code ran",))
    with zipfile.ZipFile(models_dir / "evil.pt", "w") as z:
        z.writestr("evil/data.pkl", pickle.dumps({"format": "3dposenet-lifter/1", "x": Evil()}))
    assert "cannot be read safely (builtins.print is not allowed" in error_of(add(admin_client, str(models_dir / "evil.pt")))


def test_non_staff_and_anonymous_cannot_reach_the_form(client, owner, models_dir):
    url = reverse("admin:poseapp_liftermodel_add")
    assert reverse("admin:login") in client.get(url)["Location"]
    client.force_login(owner)
    assert reverse("admin:login") in client.post(url, {"name": "x", "checkpoint": ""})["Location"]
    assert not LifterModel.objects.filter(name="x").exists()
