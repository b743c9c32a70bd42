"""How far should ml.postprocess.fit_to_2d turn bones towards the 2D? Human3.6M S9, 24 random
sequences, every 5th frame, the shipped lifter, the true focal length, the root placed by
ml.postprocess.root_translation: P1 and the reprojection error for strengths 0 .. 1. A model with
a source flag is told each sequence's own 2D source, as ml.evaluate does.

    PYTHONPATH=. .venv/bin/python tools/fit2d_experiment.py [sh_pt_mpii|gt]
"""
import numpy as np, sys, time
from ml.data import load_sequences, resolve_data_dir, source_id
from ml.lift import Lifter, predict_normalized
from ml.postprocess import bone_lengths, fit_to_2d, root_translation, with_bone_lengths
from ml import metrics

lifter = Lifter.load('ml/weights/lifter_default.pt')
seqs = load_sequences(resolve_data_dir('../shared/data/h36m'), ['S9'], sys.argv[1] if len(sys.argv) > 1 else 'sh_pt_mpii')
rng = np.random.default_rng(0)
seqs = [seqs[i] for i in rng.choice(len(seqs), 24, replace=False)]
res = {s: [] for s in (0.0, 0.25, 0.5, 0.75, 1.0)}
rep = {s: [] for s in res}
t0 = time.time()
for s in seqs:
    pred = predict_normalized(lifter.model, s.kp2d, flip=True, device='cpu', source=source_id(s.source))[::5].astype(np.float64)
    gt = s.pos3d[::5]; kp = s.kp2d[::5]
    W, H = s.width, s.height
    uv = np.stack([(kp[..., 0] + 1) * W / 2, (kp[..., 1] + H / W) * W / 2], -1)
    f = s.focal * W / 2 if s.focal else 1145.0
    pred = with_bone_lengths(pred, np.median(bone_lengths(pred), 0))
    root = root_translation(pred, uv, np.ones(uv.shape[:2]), W, H, focal=f)
    A = pred + root[:, None]
    for st in res:
        R = fit_to_2d(A, uv, np.full(uv.shape[:2], st), f, W / 2, H / 2) if st else A
        rr = R - R[:, :1]
        res[st].append((1000 * metrics.mpjpe(rr, gt), len(gt)))
        proj = f * R[..., :2] / R[..., 2:3] + [W / 2, H / 2]
        body = np.ptp(uv[..., 1], axis=1)
        rep[st].append(np.median(np.linalg.norm(proj - uv, axis=-1).mean(1) / body * 100))
for st in res:
    e = np.array(res[st]); print(st, 'P1', round(float((e[:, 0] * e[:, 1]).sum() / e[:, 1].sum()), 2), 'reproj %', round(float(np.mean(rep[st])), 2))
print('s', time.time() - t0)
