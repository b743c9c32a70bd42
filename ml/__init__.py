"""3DPoseNet machine-learning library: pure Python / PyTorch, no Django.

Modules: skeleton (joint set + layout tables), cameras, data, models, metrics,
train, evaluate, lift (the inference API the app uses), bench.
"""
