"""ml.catalog (torch-free names for the admin's training form) agrees with what ml.train accepts."""
import pytest

from ml import catalog
from ml.data import sources_of
from ml.models import MODELS
from ml.train import load_config


def test_the_architectures_are_the_models():
    assert set(catalog.ARCHITECTURES) == set(MODELS)


def test_every_keypoints_choice_parses_and_every_config_loads():
    for keypoints in catalog.KEYPOINTS:
        assert sources_of(keypoints)
    names = catalog.configs()
    assert catalog.SHIPPED_CONFIG in names and names[catalog.SHIPPED_CONFIG].endswith("(what ships)")
    for name in names:
        cfg = load_config(str(catalog.config_path(name)))
        assert cfg.arch in catalog.ARCHITECTURES and cfg.keypoints in catalog.KEYPOINTS  # the admin offers it


def test_an_unknown_config_is_refused_with_a_sentence():
    with pytest.raises(ValueError, match="No saved training configuration"):
        catalog.config_path("../etc/passwd")
