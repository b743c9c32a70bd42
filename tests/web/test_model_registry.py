"""The shipped model is in the registry with what it is (from ml/weights/lifter_default.json)."""
import pytest

from poseapp.apps import shipped_model_name, shipped_summary
from poseapp.models import LifterModel


@pytest.mark.django_db
def test_shipped_model_shows_its_architecture_and_figures():
    info = shipped_summary()
    assert info.get("arch") in ("lstm", "transformer") and info.get("s9_sh_p1_mm", 0) > 0
    row = LifterModel.objects.get(name=shipped_model_name())
    assert row.checkpoint == "" and row.arch == info["arch"] and row.metrics == info
    assert LifterModel.active() == row  # nothing else registered


@pytest.mark.django_db
def test_registry_page_shows_the_shipped_model(admin_client):
    page = admin_client.get("/admin/poseapp/liftermodel/").content.decode()
    assert shipped_model_name() in page and shipped_summary()["arch"] in page
