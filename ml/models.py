"""Lifting models: 2D keypoint sequences (B, F, J, 2) -> 3D root-relative poses (B, F, J, 3).

Both models are sequence-to-sequence: every frame of the window is predicted, so one window
supervises F frames (what makes CPU training affordable). Each model has a config dataclass
and reports `receptive_field` (the window length it is trained and run with).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import torch
import torch.nn as nn


def center_input(x: torch.Tensor, scale: float) -> torch.Tensor:
    """(B, F, J, 2) screen coords -> root-relative joints * scale, with the root's own screen
    position kept in the root slot: translation is separated from pose, which makes the
    mapping far easier to learn while the global position (perspective cue) stays available."""
    rel = (x - x[:, :, :1]) * scale
    return torch.cat([x[:, :, :1], rel[:, :, 1:]], dim=2)


class ResidualMLP(nn.Module):
    """Per-frame residual block (Martinez et al. style): x + Drop(ReLU(LN(Linear(x)))) x2."""

    def __init__(self, dim: int, dropout: float):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(dim, dim), nn.LayerNorm(dim), nn.GELU(), nn.Dropout(dropout),
            nn.Linear(dim, dim), nn.LayerNorm(dim), nn.GELU(), nn.Dropout(dropout),
        )

    def forward(self, x):
        return x + self.net(x)


@dataclass
class LSTMConfig:
    num_joints: int = 17
    num_frames: int = 81       # window length = receptive field (seed: 81)
    input_dim: int = 2
    output_dim: int = 3
    embed_dim: int = 256       # per-frame pose embedding
    hidden: int = 128          # LSTM hidden size per direction
    layers: int = 2            # stacked LSTM layers
    bidirectional: bool = True # sees past and future within the window (offline lifting)
    dropout: float = 0.1
    center_input: bool = True  # feed root-relative 2D (x center_scale) + root position
    center_scale: float = 4.0
    num_sources: int = 0       # >0: a learned embedding says which 2D source a window comes from
                               # (ml.data.SOURCES: 0 projected ground truth, 1 a detector), so one model
                               # learns both the detector's joint definitions and clean ones (0 = no flag)
    default_source: int = 0    # the source assumed when none is given (the app's input: see MODEL_CARD.md)


class LSTM_PoseNet(nn.Module):
    """Per-frame residual MLP encoder -> (bi)LSTM over time -> per-frame residual decoder,
    with a skip from the per-frame embedding so the LSTM learns temporal corrections."""

    def __init__(self, num_joints: int = 17, num_frames: int = 81, input_dim: int = 2,
                 output_dim: int = 3, **kw):
        super().__init__()
        cfg = LSTMConfig(num_joints=num_joints, num_frames=num_frames, input_dim=input_dim,
                         output_dim=output_dim, **kw)
        self.config = cfg
        assert not cfg.num_sources or 0 <= cfg.default_source < cfg.num_sources, (cfg.num_sources, cfg.default_source)
        J, d = cfg.num_joints, cfg.embed_dim
        self.embed = nn.Sequential(nn.Linear(J * cfg.input_dim, d), nn.LayerNorm(d), nn.GELU(),
                                   ResidualMLP(d, cfg.dropout))
        self.lstm = nn.LSTM(d, cfg.hidden, num_layers=cfg.layers, batch_first=True,
                            bidirectional=cfg.bidirectional,
                            dropout=cfg.dropout if cfg.layers > 1 else 0.0)
        h = cfg.hidden * (2 if cfg.bidirectional else 1)
        self.proj = nn.Linear(h, d)
        self.source_embed = nn.Embedding(cfg.num_sources, d) if cfg.num_sources else None
        self.decode = nn.Sequential(ResidualMLP(d, cfg.dropout), nn.Linear(d, J * cfg.output_dim))

    @property
    def receptive_field(self) -> int:
        return self.config.num_frames

    def forward(self, x: torch.Tensor, source: torch.Tensor | int | None = None) -> torch.Tensor:
        """x (B, F, J, 2) normalised 2D; source: (B,) or one int, the 2D source of each window
        (used when the model has num_sources; None: config.default_source)."""
        B, F, J, C = x.shape
        assert J == self.config.num_joints and C == self.config.input_dim, x.shape
        if self.config.center_input:
            x = center_input(x, self.config.center_scale)
        e = self.embed(x.reshape(B, F, J * C))            # (B, F, d)
        if self.source_embed is not None:
            src = torch.as_tensor(self.config.default_source if source is None else source, device=x.device)
            e = e + self.source_embed(src.long().expand(B))[:, None]   # (B, 1, d) over every frame
        h, _ = self.lstm(e)                                # (B, F, h)
        z = self.decode[0](e + self.proj(h))               # (B, F, d)
        # The output layer in float32 even under bf16 autocast: bfloat16 steps are 2-4 mm at 0.25-1 m,
        # as large as the frame-to-frame motion the velocity loss compares.
        with torch.autocast(x.device.type, enabled=False):
            out = self.decode[1](z.float())                # (B, F, J*3)
        out = out.reshape(B, F, J, self.config.output_dim)
        return out - out[:, :, :1]                         # root-relative, root = 0


@dataclass
class TransformerConfig:
    num_joints: int = 17
    num_frames: int = 81       # window length = receptive field
    input_dim: int = 2
    output_dim: int = 3
    joint_dim: int = 16        # spatial (per-joint token) width
    spatial_layers: int = 1    # attention across joints within a frame
    temporal_dim: int = 256    # temporal (per-frame token) width
    temporal_layers: int = 2   # attention across frames
    heads: int = 8
    mlp_ratio: float = 2.0
    dropout: float = 0.1
    center_input: bool = True  # feed root-relative 2D (x center_scale) + root position
    center_scale: float = 4.0
    frame_mlp: bool = True     # add a per-frame residual-MLP embedding of the whole pose to the
                               # spatial-attention features (faster convergence on small budgets)
    decoder_mlp: bool = True   # per-frame residual-MLP decoder before the linear head (as the LSTM
                               # has): the temporal tokens then only carry corrections, not the
                               # whole pose-to-3D mapping (with it: S9 56.3 mm in 105 CPU-min;
                               # the earlier design without it: 64.8 mm in 84; ml/RESULTS.md)


class TransformerLifter(nn.Module):
    """Compact PoseFormer/MixSTE-style lifter: spatial attention over the J joint tokens of
    each frame (plus a per-frame MLP embedding of the whole pose), then temporal attention over
    the F frame tokens, then a per-frame residual-MLP decoder and head that predict all J joints
    for every frame (sequence to sequence)."""

    def __init__(self, num_joints: int = 17, num_frames: int = 81, input_dim: int = 2,
                 output_dim: int = 3, **kw):
        super().__init__()
        cfg = TransformerConfig(num_joints=num_joints, num_frames=num_frames, input_dim=input_dim,
                                output_dim=output_dim, **kw)
        self.config = cfg
        J, dj, dt = cfg.num_joints, cfg.joint_dim, cfg.temporal_dim
        self.joint_embed = nn.Linear(cfg.input_dim, dj)
        self.joint_pos = nn.Parameter(torch.zeros(1, J, dj))
        sl = nn.TransformerEncoderLayer(dj, max(1, cfg.heads // 4), int(dj * cfg.mlp_ratio * 2),
                                        cfg.dropout, activation="gelu", batch_first=True, norm_first=True)
        self.spatial = (nn.TransformerEncoder(sl, cfg.spatial_layers, enable_nested_tensor=False)
                        if cfg.spatial_layers > 0 else nn.Identity())
        self.frame_embed = nn.Sequential(nn.LayerNorm(J * dj), nn.Linear(J * dj, dt))
        self.frame_mlp = (nn.Sequential(nn.Linear(J * cfg.input_dim, dt), nn.LayerNorm(dt), nn.GELU(),
                                        ResidualMLP(dt, cfg.dropout)) if cfg.frame_mlp else None)
        self.frame_pos = nn.Parameter(torch.zeros(1, cfg.num_frames, dt))
        tl = nn.TransformerEncoderLayer(dt, cfg.heads, int(dt * cfg.mlp_ratio), cfg.dropout,
                                        activation="gelu", batch_first=True, norm_first=True)
        self.temporal = nn.TransformerEncoder(tl, cfg.temporal_layers, enable_nested_tensor=False)
        # Zero-init each temporal block's residual branch: the model starts as a per-frame lifter
        # (which learns fast) and adds temporal context as attention learns where to look. With
        # default init, near-uniform attention mixes the whole window into every frame at first,
        # and training spent its first epochs undoing that (S9 validation after epoch 1: 134 mm
        # with this init, 208 mm without).
        for layer in self.temporal.layers:
            for lin in (layer.self_attn.out_proj, layer.linear2):
                nn.init.zeros_(lin.weight)
                nn.init.zeros_(lin.bias)
        self.decoder = ResidualMLP(dt, cfg.dropout) if cfg.decoder_mlp else nn.Identity()
        self.head = nn.Sequential(nn.LayerNorm(dt), nn.Linear(dt, J * cfg.output_dim))
        nn.init.trunc_normal_(self.joint_pos, std=0.02)
        nn.init.trunc_normal_(self.frame_pos, std=0.02)

    @property
    def receptive_field(self) -> int:
        return self.config.num_frames

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, F, J, C = x.shape
        cfg = self.config
        assert J == cfg.num_joints and C == cfg.input_dim and F <= cfg.num_frames, x.shape
        if cfg.center_input:
            x = center_input(x, cfg.center_scale)
        t = self.joint_embed(x.reshape(B * F, J, C)) + self.joint_pos     # (B*F, J, dj)
        t = self.spatial(t)
        f = self.frame_embed(t.reshape(B, F, J * cfg.joint_dim))         # (B, F, dt)
        if self.frame_mlp is not None:
            f = f + self.frame_mlp(x.reshape(B, F, J * C))
        f = self.temporal(f + self.frame_pos[:, :F])
        out = self.head(self.decoder(f)).reshape(B, F, J, cfg.output_dim)
        return out - out[:, :, :1]


@dataclass
class TCNConfig:
    num_joints: int = 17
    num_frames: int = 81       # window length = receptive field; must be kernel ** k (81 = 3 ** 4)
    input_dim: int = 2
    output_dim: int = 3
    channels: int = 256        # conv width
    kernel: int = 3            # temporal kernel; block i is dilated by kernel ** i (1, 3, 9, 27)
    dropout: float = 0.25
    center_input: bool = True  # feed root-relative 2D (x center_scale) + root position
    center_scale: float = 4.0


class TCNLifter(nn.Module):
    """VideoPose3D-style dilated temporal convolutions, sequence to sequence: the window is
    edge-padded by half the receptive field on each side and 'valid' dilated convolutions bring it
    back to F frames, so every output frame sees a full receptive field (its edge frames see copies
    of the window's first or last frame, as the lifter's own edge padding does). Convolutions keep
    both CPU cores busy where the LSTM's recurrence cannot (training throughput, ml/RESULTS.md)."""

    def __init__(self, num_joints: int = 17, num_frames: int = 81, input_dim: int = 2,
                 output_dim: int = 3, **kw):
        super().__init__()
        cfg = TCNConfig(num_joints=num_joints, num_frames=num_frames, input_dim=input_dim,
                        output_dim=output_dim, **kw)
        self.config = cfg
        blocks = round(math.log(cfg.num_frames) / math.log(cfg.kernel))
        assert cfg.kernel ** blocks == cfg.num_frames, f"num_frames must be a power of {cfg.kernel}"
        J, C = cfg.num_joints, cfg.channels
        self.dilations = [cfg.kernel ** i for i in range(blocks)]
        self.expand = nn.Sequential(nn.Conv1d(J * cfg.input_dim, C, 1, bias=False), nn.BatchNorm1d(C),
                                    nn.ReLU(), nn.Dropout(cfg.dropout))
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.Conv1d(C, C, cfg.kernel, dilation=d, bias=False), nn.BatchNorm1d(C), nn.ReLU(),
                          nn.Dropout(cfg.dropout),
                          nn.Conv1d(C, C, 1, bias=False), nn.BatchNorm1d(C), nn.ReLU(), nn.Dropout(cfg.dropout))
            for d in self.dilations)
        self.head = nn.Conv1d(C, J * cfg.output_dim, 1)
        # Start from the zero pose (error ~ a pose's size) rather than BatchNorm-scaled noise of metres.
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    @property
    def receptive_field(self) -> int:
        return self.config.num_frames

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, F, J, C = x.shape
        cfg = self.config
        assert J == cfg.num_joints and C == cfg.input_dim, x.shape
        if cfg.center_input:
            x = center_input(x, cfg.center_scale)
        pad = cfg.num_frames // 2
        h = x.reshape(B, F, J * C).transpose(1, 2)                         # (B, J*C, F)
        h = torch.cat([h[:, :, :1].expand(-1, -1, pad), h, h[:, :, -1:].expand(-1, -1, pad)], dim=2)
        h = self.expand(h)                                                 # (B, ch, F + 2 pad)
        for d, block in zip(self.dilations, self.blocks):
            trim = d * (cfg.kernel - 1) // 2
            h = h[:, :, trim:h.shape[2] - trim] + block(h)                 # each block: 2 trim frames fewer
        out = self.head(h).transpose(1, 2).reshape(B, F, J, cfg.output_dim)  # (B, F, J, 3)
        return out - out[:, :, :1]


MODELS = {"lstm": (LSTM_PoseNet, LSTMConfig), "transformer": (TransformerLifter, TransformerConfig),
          "tcn": (TCNLifter, TCNConfig)}


def build_model(arch: str, config: dict) -> nn.Module:
    """Build a model from its architecture name and a (possibly partial) config dict."""
    cls, cfg_cls = MODELS[arch]
    cfg = asdict(cfg_cls(**config))
    return cls(**cfg)


def model_config(model: nn.Module) -> dict:
    return asdict(model.config)


def arch_of(model: nn.Module) -> str:
    for k, (cls, _) in MODELS.items():
        if isinstance(model, cls):
            return k
    raise TypeError(type(model))


def grow_sources(state: dict, num_sources: int) -> dict:
    """A state dict whose source flag (LSTMConfig.num_sources) has fewer sources than `num_sources`,
    given the missing ones: each new source starts as source 0 (projected ground truth), so the model
    answers for it as it did for clean 2D. Other weights are shared, not copied."""
    k = "source_embed.weight"
    if k not in state or len(state[k]) >= num_sources:
        return state
    w = state[k]
    return {**state, k: torch.cat([w, w[:1].expand(num_sources - len(w), *w.shape[1:])])}


def takes_source(model: nn.Module) -> bool:
    """Whether the model has a source flag (LSTMConfig.num_sources): forward(x, source)."""
    return bool(getattr(model.config, "num_sources", 0))


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
