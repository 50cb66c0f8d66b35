"""The project's wire network (torch): a compact gated-convolution U-Net that finds the wire.

Inputs ``image`` (N, 3, H, W) float32, the plate as ``serving.network_view`` shows it (0-1), and
``hint`` (N, 1, H, W) 0-1, the artist's rough stroke; output ``matte`` (N, 1, H, W) 0-1, the
wire's matte, zero outside the hint. H and W must be multiples of ``WireNet.multiple`` (the
ONNX wrapper in ``serving.py`` pads to that).

Why a matte and not a fill: on the wire benchmark the repair's error is almost all inside
the matte, and filling only the wire's true footprint instead of the classical matte (which
is 2-3x wider than the wire on textured plates) gains 3-7 dB, while a learned fill on top of
the classical one gained 0.1-0.5 dB for the same training time (numbers in the closing note
of issue 5). So the network learns, from the project's own plates, which pixels inside a
hint are wire and which are this show's texture (branches, net cords, grain), and the
edge-directed classical fill then bridges only the wire. Training targets are exact: the
synthetic wires are drawn with a known alpha.

The last layer predicts logits; ``matte = clamp(2 * sigmoid(logit), 0, 1)`` inside the hint:
pixels the network is half sure of are repaired fully (a wire pixel left in costs far more
than a background pixel refilled); values below ``MATTE_FLOOR`` are zero, so the fill only
bridges what the network took for wire.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from inference_server.engines.wire.matte import HINT_INSIDE

MATTE_FLOOR = 0.02


@dataclass(frozen=True)
class ModelConfig:
    base: int = 16           # channels at full resolution
    depth: int = 3           # U-Net downsamplings

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class GatedConv(nn.Module):
    """conv -> (features, gate); out = elu(features) * sigmoid(gate) (Yu et al. 2019)."""

    def __init__(self, cin: int, cout: int, stride: int = 1, dilation: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, 2 * cout, 3, stride=stride, padding=dilation, dilation=dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f, g = self.conv(x).chunk(2, dim=1)
        return F.elu(f) * torch.sigmoid(g)


class WireNet(nn.Module):
    """Gated U-Net over (image, hint) -> wire matte (see module doc)."""

    def __init__(self, config: ModelConfig | None = None) -> None:
        super().__init__()
        self.config = cfg = config or ModelConfig()
        chans = [cfg.base * (2 ** i) for i in range(cfg.depth + 1)]
        self.inc = GatedConv(4, chans[0])
        self.downs = nn.ModuleList(GatedConv(chans[i], chans[i + 1], stride=2) for i in range(cfg.depth))
        self.mid = nn.Sequential(GatedConv(chans[-1], chans[-1], dilation=2), GatedConv(chans[-1], chans[-1]))
        self.ups = nn.ModuleList(GatedConv(chans[i + 1] + chans[i], chans[i]) for i in range(cfg.depth))
        self.out = nn.Conv2d(chans[0], 1, 3, padding=1)

    @property
    def multiple(self) -> int:
        return 2 ** self.config.depth

    def logits(self, image: torch.Tensor, hint: torch.Tensor) -> torch.Tensor:
        x = self.inc(torch.cat([image * 2.0 - 1.0, hint.clamp(0.0, 1.0)], dim=1))
        skips = [x]
        for down in self.downs:
            x = down(x)
            skips.append(x)
        x = self.mid(x)
        for i in range(self.config.depth - 1, -1, -1):
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
            x = self.ups[i](torch.cat([x, skips[i]], dim=1))
        return self.out(x)

    def forward(self, image: torch.Tensor, hint: torch.Tensor) -> torch.Tensor:
        inside = (hint > HINT_INSIDE).to(image.dtype)
        matte = (2.0 * torch.sigmoid(self.logits(image, hint))).clamp(0.0, 1.0) * inside
        return matte * (matte > MATTE_FLOOR).to(image.dtype)


def matte_loss(model: WireNet, image: torch.Tensor, hint: torch.Tensor, alpha: torch.Tensor,
               pos_weight: float = 4.0) -> torch.Tensor:
    """Binary cross-entropy against the true wire alpha inside the hint; missed wire weighs more."""
    inside = (hint > HINT_INSIDE).to(image.dtype)
    bce = F.binary_cross_entropy_with_logits(model.logits(image, hint), alpha, reduction="none",
                                             pos_weight=torch.tensor(pos_weight, dtype=image.dtype))
    return (bce * inside).sum() / inside.sum().clamp(min=1.0)


def build_model(config: dict[str, Any] | ModelConfig | None = None) -> WireNet:
    """A ``WireNet`` from a config dict (as stored in a manifest) or ``ModelConfig``."""
    if isinstance(config, dict):
        config = ModelConfig(**config)
    return WireNet(config)
