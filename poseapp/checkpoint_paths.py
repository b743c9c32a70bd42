"""Paths staff enter in the admin: checkpoints confined to the models folders, dataset folders checked.

A checkpoint path must name a file inside one of POSENET_MODELS_DIR (default: the shipped ml/weights,
`python -m ml.train`'s runs/ and the training jobs' MEDIA_ROOT/training), with no `..`, and the file
must be one of our checkpoints. The web process never imports torch, so the file is read here without
it: a torch checkpoint is a zip whose data.pkl holds the dict; it is unpickled with every global refused
except the few a checkpoint of tensors uses (stand-ins, never called into torch), as the worker's
`weights_only=True` load would refuse them, and its "format" must be ml.checkpoint's.
"""
from __future__ import annotations

import io
import pickle
import zipfile
from pathlib import Path, PurePath

from django.conf import settings

CHECKPOINT_FORMAT = "3dposenet-lifter/1"  # ml.checkpoint.FORMAT (that module imports torch)
H36M_3D = "data_3d_h36m.npz"


def models_dirs() -> list[Path]:
    base = Path(settings.BASE_DIR)
    configured = [Path(p) for p in settings.POSENET_MODELS_DIR]
    dirs = configured or [base / "ml" / "weights", base / "runs", Path(settings.MEDIA_ROOT) / "training"]
    return [(d if d.is_absolute() else base / d).resolve() for d in dirs]


def resolve(value: str) -> Path:
    """Where the worker will look (relative paths are from the repository, as in tasks.checkpoint_path)."""
    path = Path(value)
    return (path if path.is_absolute() else Path(settings.BASE_DIR) / path).resolve()


class _Stub:
    """What a tensor or a storage becomes here: nothing is rebuilt, nothing runs."""

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        pass


def _stub(*args, **kwargs):
    return _Stub()


class _HeaderUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            import collections

            return collections.OrderedDict
        if module == "torch" or module.startswith("torch."):
            return _stub  # tensors, storages, dtypes: stand-ins
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a checkpoint")

    def persistent_load(self, pid):
        return _Stub()


def read_checkpoint_dict(path: Path) -> dict:
    """The checkpoint's dict (tensors replaced by stand-ins); ValueError with a reason otherwise."""
    try:
        with zipfile.ZipFile(path) as archive:
            pickles = [n for n in archive.namelist() if n.endswith("/data.pkl") or n == "data.pkl"]
            if len(pickles) != 1:
                raise ValueError("it is not a PyTorch checkpoint (no data.pkl inside)")
            data = archive.read(pickles[0])
    except zipfile.BadZipFile:
        raise ValueError("it is not a PyTorch checkpoint (not a zip archive as torch.save writes)") from None
    try:
        obj = _HeaderUnpickler(io.BytesIO(data)).load()
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError, TypeError) as exc:
        raise ValueError(f"it cannot be read safely ({exc})") from None
    if not isinstance(obj, dict) or obj.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"it is a PyTorch file but not a 3DPoseNet lifter checkpoint (format {CHECKPOINT_FORMAT})")
    return obj


def checkpoint_problem(value: str) -> str | None:
    """A sentence for the admin form saying what is wrong with this checkpoint path, or None."""
    value = (value or "").strip()
    if not value:
        return None  # the shipped default (POSENET_CHECKPOINT, else ml/weights on the worker)
    allowed = models_dirs()
    where = ", ".join(str(d) for d in allowed)
    if ".." in PurePath(value).parts:
        return f"Use a path without '..': a checkpoint file inside the models folders ({where})."
    path = resolve(value)  # symlinks resolved: a link pointing outside does not get in
    if not any(path == d or d in path.parents for d in allowed):
        return f"{value} is outside the models folders. Put the checkpoint in one of: {where} (POSENET_MODELS_DIR)."
    if not path.exists():
        return f"There is no file at {path}. Check the path (relative paths start at the repository: {settings.BASE_DIR})."
    if not path.is_file():
        return f"{path} is a folder; give the checkpoint file in it (e.g. best.pt)."
    try:
        read_checkpoint_dict(path)
    except (ValueError, OSError) as exc:
        return f"{path} cannot be used as a model: {exc}."
    return None


def dataset_problem(value: str, keypoints: str | None) -> str | None:
    """A sentence for the training-job form saying what is wrong with this dataset folder, or None.
    Relative paths are from the repository. The training worker reads the same path: in
    docker-compose.yml the datasets are mounted at /data/datasets in web and trainer alike."""
    value = (value or "").strip()
    if not value:
        return "Give the dataset folder (VideoPose3D's layout: data_3d_h36m.npz and data_2d_h36m_<keypoints>.npz)."
    path = resolve(value)
    if not path.is_dir():
        return f"There is no folder at {path}. Give the folder that holds {H36M_3D} (e.g. /data/datasets/h36m)."
    detected = [k for k in (keypoints or "gt").split("+") if k.strip() and k.strip() != "gt"]  # a mixture: each
    missing = [name for name in (H36M_3D, *(f"data_2d_h36m_{k.strip()}.npz" for k in detected))
               if not (path / name).is_file()]
    if missing:
        return (f"The folder {path} has no {' or '.join(missing)}. Use a folder in VideoPose3D's layout "
                f"({H36M_3D}, and data_2d_h36m_<keypoints>.npz for detected 2D keypoints).")
    return None
