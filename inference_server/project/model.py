"""A compact gated-convolution U-Net inpainter (torch).

Input ``image`` (N, 3, H, W) float32 code values 0-1 and ``mask`` (N, 1, H, W) 0-1 (1 = repair);
output (N, 3, H, W): the repaired image, equal to ``image`` where ``mask`` is 0. H and W must be
multiples of ``InpaintNet.multiple`` (the ONNX wrapper in ``models.py`` pads to that).

The network starts from a classical fill of the hole and a gated U-Net predicts a residual on
top of it, so an untrained network already gives the classical repair and training only has
to add what the project's footage teaches. The classical fill is either in the graph
(``prefill='pyramid'``: normalised convolution over a 2x pyramid) or done by the caller
(``prefill='spatial'``: ``image`` arrives with its hole already filled by
``engines.wire.spatial.fill_spatial``, edge-directed and stronger; see ``prefill_images``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class ModelConfig:
    base: int = 16           # channels at full resolution
    depth: int = 3           # U-Net downsamplings
    fill_levels: int = 5     # pyramid levels of the coarse fill
    prefill: str = "pyramid"  # 'pyramid': the graph fills the hole itself; 'spatial': the caller passes
    #                           the image already filled by engines.wire.spatial.fill_spatial

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


def coarse_fill(image: torch.Tensor, mask: torch.Tensor, levels: int) -> torch.Tensor:
    """Fill masked pixels by normalised convolution over a 2x pyramid (coarse-to-fine blend)."""
    valid = 1.0 - mask
    xs, ws = [image * valid], [valid]
    for _ in range(levels):
        xs.append(F.avg_pool2d(xs[-1], 2))
        ws.append(F.avg_pool2d(ws[-1], 2))
    est = xs[-1] / ws[-1].clamp(min=1e-4)
    for i in range(levels - 1, -1, -1):
        up = F.interpolate(est, scale_factor=2.0, mode="bilinear", align_corners=False)
        local = xs[i] / ws[i].clamp(min=1e-4)
        conf = (ws[i] * 4.0).clamp(0.0, 1.0)
        est = conf * local + (1.0 - conf) * up
    return image * valid + est * mask


class InpaintNet(nn.Module):
    """Gated U-Net over (coarse fill, mask); output = composite of image and refined fill."""

    def __init__(self, config: ModelConfig | None = None) -> None:
        super().__init__()
        self.config = cfg = config or ModelConfig()
        chans = [cfg.base * (2 ** i) for i in range(cfg.depth + 1)]
        self.inc = GatedConv(4, chans[0])
        self.downs = nn.ModuleList(GatedConv(chans[i], chans[i + 1], stride=2) for i in range(cfg.depth))
        self.mid = nn.Sequential(GatedConv(chans[-1], chans[-1], dilation=2), GatedConv(chans[-1], chans[-1]))
        self.ups = nn.ModuleList(GatedConv(chans[i + 1] + chans[i], chans[i]) for i in range(cfg.depth))
        self.out = nn.Conv2d(chans[0], 3, 3, padding=1)
        nn.init.zeros_(self.out.weight)
        if self.out.bias is not None:
            nn.init.zeros_(self.out.bias)

    @property
    def multiple(self) -> int:
        fill = self.config.fill_levels if self.config.prefill == "pyramid" else 0
        return 2 ** max(self.config.depth, fill)

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        mask = mask.clamp(0.0, 1.0)
        if self.config.prefill == "spatial":
            filled = image
        else:
            filled = coarse_fill(image, mask, self.config.fill_levels)
        x = self.inc(torch.cat([filled * 2.0 - 1.0, mask], dim=1))
        skips = [x]
        for down in self.downs:
            x = down(x)
            skips.append(x)
        x = self.mid(x)
        for i in range(self.config.depth - 1, -1, -1):
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
            x = self.ups[i](torch.cat([x, skips[i]], dim=1))
        pred = filled + self.out(x)
        return image * (1.0 - mask) + pred * mask


def prefill_images(images: np.ndarray, masks: np.ndarray, prefill: str) -> np.ndarray:
    """The network's ``image`` input for float32 images (N, 3, H, W) and masks (N, 1, H, W)."""
    if prefill == "pyramid":
        return images
    if prefill != "spatial":
        raise ValueError(f"prefill must be 'pyramid' or 'spatial', got {prefill!r}")
    from inference_server.engines.wire.spatial import fill_spatial

    out = np.empty_like(images)
    for i in range(len(images)):
        out[i] = fill_spatial(np.ascontiguousarray(images[i].transpose(1, 2, 0)), masks[i, 0]).transpose(2, 0, 1)
    return out


def build_model(config: dict[str, Any] | ModelConfig | None = None) -> InpaintNet:
    """An ``InpaintNet`` from a config dict (as stored in a manifest) or ``ModelConfig``."""
    if isinstance(config, dict):
        config = ModelConfig(**config)
    return InpaintNet(config)
