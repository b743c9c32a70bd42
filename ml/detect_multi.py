"""Multi-person 2D detection: MoveNet MultiPose Lightning (COCO-17, up to 6 people) run by onnxruntime.

Interface, as ml.detect's single-person detectors but with a list per frame: `detector.layout` names
the keypoint layout ("coco17", a key of ml.skeleton's tables), `detector.name` says what runs, and
`detector(frame_bgr) -> list[PersonDetection]` (empty when nobody is found), best person first;
`detector.close()` frees the session. Create one with `create_multi_detector(input_size=...)`.

The weights (ml/weights/movenet_multipose.onnx) were converted once from the TF.js graph by
tools/convert_movenet.py; see ml/weights/MOVENET_CARD.md. Runtime needs only onnxruntime: its CUDA
provider when onnxruntime-gpu offers one, else the CPU.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ml.detect import Detection

WEIGHTS = Path(__file__).resolve().parent / "weights" / "movenet_multipose.onnx"
INPUT_SIZES = (256, 320, 384, 448, 512, 640, 768)  # long side of the network input, multiples of 32
DEFAULT_INPUT_SIZE = 512  # pedestrians clip: 384 px misses the smallest people (ml.bench multiperson)
MIN_PERSON_SCORE = 0.2
MAX_PEOPLE = 6  # fixed by the model
STRIDE = 32  # the network's input sides must be multiples of this


@dataclass
class PersonDetection(Detection):
    """One person in one frame: keypoints (17, 3) x, y pixels + score, box x0, y0, x1, y1 pixels."""

    score: float = 0.0  # the model's person score in [0, 1]


def network_size(width: int, height: int, input_size: int) -> tuple[float, int, int, int, int]:
    """Scale and sizes for a frame: the long side becomes `input_size`, the short side is rounded,
    and both are padded up to multiples of 32. Returns (scale, resized w, h, padded w, h)."""
    scale = input_size / max(width, height)
    rw, rh = max(1, round(width * scale)), max(1, round(height * scale))
    pw, ph = -(-rw // STRIDE) * STRIDE, -(-rh // STRIDE) * STRIDE
    return scale, rw, rh, pw, ph


def _providers(available: list[str]) -> list[str]:
    """CUDA first when this onnxruntime build has it (onnxruntime-gpu), the CPU always as fallback."""
    return (["CUDAExecutionProvider"] if "CUDAExecutionProvider" in available else []) + ["CPUExecutionProvider"]


class MoveNetMultiPose:
    layout = "coco17"

    def __init__(self, input_size: int = DEFAULT_INPUT_SIZE, min_score: float = MIN_PERSON_SCORE,
                 threads: int = 1, weights: Path = WEIGHTS):
        try:
            import onnxruntime as ort
        except ImportError:
            raise ValueError("The multi-person detector needs the onnxruntime package "
                             "(pip install -r requirements.txt).") from None
        if input_size not in INPUT_SIZES:
            raise ValueError(f"The multi-person detector's input size must be one of "
                             f"{', '.join(map(str, INPUT_SIZES))} pixels, not {input_size}.")
        if not Path(weights).is_file():
            raise ValueError(f"The multi-person model file {Path(weights).name} is missing; it ships in ml/weights/.")
        opts = ort.SessionOptions()
        # threads=1: in the pipeline the other core lifts; 0 lets onnxruntime use every core.
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3  # no warnings about unused CUDA options on CPU-only builds
        self._session = ort.InferenceSession(str(weights), opts, providers=_providers(ort.get_available_providers()))
        self._input = self._session.get_inputs()[0].name
        self.provider = self._session.get_providers()[0]
        self.input_size = input_size
        self.min_score = min_score
        self.name = f"movenet-multipose-lightning ({input_size} px, onnxruntime {self.provider})"

    def __call__(self, frame_bgr: np.ndarray) -> list[PersonDetection]:
        assert frame_bgr.ndim == 3 and frame_bgr.shape[2] == 3, frame_bgr.shape
        h, w = frame_bgr.shape[:2]
        scale, rw, rh, pw, ph = network_size(w, h, self.input_size)
        small = cv2.resize(frame_bgr, (rw, rh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        net_in = np.zeros((1, ph, pw, 3), np.int32)  # padding right and bottom keeps pixel offsets at 0
        net_in[0, :rh, :rw] = small[..., ::-1]  # BGR -> RGB
        out = self._session.run(None, {self._input: net_in})[0]
        assert out.shape == (1, MAX_PEOPLE, 56), out.shape
        return self._people(out[0], pw / scale, ph / scale, w, h)

    def _people(self, rows: np.ndarray, sx: float, sy: float, w: int, h: int) -> list[PersonDetection]:
        """Rows (6, 56): 17 x (y, x, score) normalised to the padded input, box (y0, x0, y1, x1), score."""
        people = []
        for row in rows[np.argsort(-rows[:, 55])]:
            if row[55] < self.min_score:
                break
            kp = row[:51].reshape(17, 3)
            keypoints = np.stack([kp[:, 1] * sx, kp[:, 0] * sy, np.clip(kp[:, 2], 0.0, 1.0)], axis=1).astype(np.float32)
            y0, x0, y1, x1 = row[51:55]
            box = (float(np.clip(x0 * sx, 0, w)), float(np.clip(y0 * sy, 0, h)),
                   float(np.clip(x1 * sx, 0, w)), float(np.clip(y1 * sy, 0, h)))
            people.append(PersonDetection(keypoints, box, None, float(row[55])))
        return people

    def close(self) -> None:
        self._session = None


def create_multi_detector(name: str = "movenet", input_size: int = DEFAULT_INPUT_SIZE, **kwargs) -> MoveNetMultiPose:
    if name == "movenet":
        return MoveNetMultiPose(input_size=input_size, **kwargs)
    raise ValueError(f"Unknown multi-person 2D detector {name!r}; available: movenet")
