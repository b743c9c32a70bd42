"""frontend/src/generated/tables.js is written from the Python single sources by tools/frontend_tables.py
and committed (a fresh clone builds without Python): it must match them."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_generated_tables_are_current():
    out = subprocess.run([sys.executable, "tools/frontend_tables.py", "--check"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


def test_tables_come_from_their_homes():
    sys.path.insert(0, str(ROOT / "tools"))
    import frontend_tables

    from ml.export import FORMATS
    from ml.postprocess import SMOOTHING
    from ml.skeleton import JOINT_NAMES
    from poseapp import stream

    t = frontend_tables.tables()
    assert t["JOINT_NAMES"] == JOINT_NAMES and t["JOINT_NAMES"][9] == "neck_nose"
    assert t["FORMATS"] == list(FORMATS) and t["SMOOTHING"] == list(SMOOTHING)
    assert t["STAGES"] == list(stream.STAGES) and t["MESSAGE_TYPES"] == list(stream.MESSAGE_TYPES)
    assert (t["ROOT_JOINT"], t["HEAD_JOINT"], t["FOOT_JOINTS"]) == (0, 10, [3, 6])


def test_the_overlay_video_uses_the_palette():
    from ml import palette
    from ml.export import overlay

    assert overlay.LEFT_BGR == (255, 155, 61) == palette.bgr(palette.LEFT)
    assert overlay.PANEL_BG == palette.bgr(palette.BACKGROUND)


def test_smoothing_choices_are_the_postprocessors():
    """The job form's and the CLI's smoothing choices are ml.postprocess.SMOOTHING's keys."""
    from ml.postprocess import SMOOTHING
    from poseapp.models import PoseJob

    assert [c for c, _ in PoseJob._meta.get_field("smoothing").choices] == list(SMOOTHING)
    infer = (ROOT / "ml" / "infer.py").read_text(encoding="utf-8")
    assert f'choices={list(SMOOTHING)!r}'.replace("'", '"') in infer or "choices=list(SMOOTHING)" in infer


def test_download_labels_are_the_servers():
    from poseapp.jobs import DOWNLOAD_TYPES

    assert __import__("frontend_tables").tables()["DOWNLOAD_LABELS"] == {f: lbl for f, (_, lbl) in DOWNLOAD_TYPES.items()}
