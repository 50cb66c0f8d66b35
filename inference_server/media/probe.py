"""What a file is before any pixel is read: size, channels, bit depth, rate, timecode, camera, reel.

Ingest catalogues clips from these headers (OpenImageIO for stills, PyAV for movies).
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path
from typing import Any

# Header keys that name the camera or the reel, across EXR/DPX/TIFF and QuickTime/MXF.
_CAMERA_KEYS = ("cameraModel", "Model", "Make", "com.apple.quicktime.camera.identifier", "camera_model",
                "com.apple.quicktime.model")
_REEL_KEYS = ("reel_name", "reelName", "dpx:InputDevice", "tape_name", "com.apple.proapps.reel")


def _first_of(meta: dict[str, Any], keys: Iterable[str]) -> str | None:
    for k in keys:
        v = meta.get(k)
        if v not in (None, ""):
            return str(v)
    return None


def probe_movie(path: Path) -> dict[str, Any]:
    """Read a movie's stream header and decode its first frame (to prove it decodes).

    Returns width, height, channels, bit_depth, pixel_format, codec, fps, first/last frame
    (0-based), frame_count, timecode, camera, reel and a metadata dict. Raises ValueError
    naming the file when it has no video stream or does not decode.
    """
    import av

    try:
        with av.open(str(path)) as c:
            if not c.streams.video:
                raise ValueError(f"{path} has no video stream")
            v = c.streams.video[0]
            meta: dict[str, Any] = dict(c.metadata)
            for st in c.streams:
                meta.update({k: val for k, val in st.metadata.items() if k not in meta})
            pix_fmt = v.codec_context.pix_fmt or ""
            fmt = av.VideoFormat(pix_fmt) if pix_fmt else None
            bits = max((comp.bits for comp in fmt.components), default=8) if fmt else 8
            fps = float(v.average_rate or v.guessed_rate or 0.0)
            frames = int(v.frames or 0)
            if frames <= 0 and v.duration and v.time_base and fps:
                frames = int(round(float(v.duration * v.time_base) * fps))
            first = next(iter(c.decode(v)), None)
            if first is None:
                raise ValueError(f"{path} has a video stream but no frame decodes")
            has_alpha = bool(fmt and any(ch.is_alpha for ch in fmt.components))
    except av.error.FFmpegError as exc:  # type: ignore[attr-defined]
        raise ValueError(f"{path} is not a readable movie: {exc}") from exc
    return {
        "kind": "movie", "width": int(v.codec_context.width), "height": int(v.codec_context.height),
        "channels": 4 if has_alpha else 3, "bit_depth": int(bits), "pixel_format": pix_fmt,
        "codec": v.codec_context.name, "fps": fps, "first_frame": 0, "last_frame": max(frames - 1, 0),
        "frame_count": frames, "timecode": meta.get("timecode"),
        "camera": _first_of(meta, _CAMERA_KEYS), "reel": _first_of(meta, _REEL_KEYS),
        "metadata": {k: str(val) for k, val in meta.items()},
    }


def _oiio_bits(spec: Any) -> int:
    bits = int(spec.get_int_attribute("oiio:BitsPerSample", 0))
    return bits if bits > 0 else int(spec.format.size()) * 8


def probe_image(path: Path) -> dict[str, Any]:
    """Read one image's header through OpenImageIO; raises ValueError naming the file when it fails."""
    import OpenImageIO as oiio

    inp = oiio.ImageInput.open(str(path))
    if inp is None:
        raise ValueError(f"{path} is not a readable image: {oiio.geterror()}")
    try:
        spec = inp.spec()
        meta = {a.name: str(a.value) for a in spec.extra_attribs}
    finally:
        inp.close()
    fps = spec.get_float_attribute("FramesPerSecond", 0.0)
    if not fps and "FramesPerSecond" in meta:
        try:
            fps = float(Fraction(meta["FramesPerSecond"].replace(" ", "")))
        except (ValueError, ZeroDivisionError):
            fps = 0.0
    tc = meta.get("smpte:TimeCode") or meta.get("dpx:TimeCode") or meta.get("TimeCode")
    return {
        "width": int(spec.width), "height": int(spec.height), "channels": int(spec.nchannels),
        "bit_depth": _oiio_bits(spec), "pixel_format": str(spec.format), "codec": path.suffix.lower().lstrip("."),
        "fps": float(fps) or None, "timecode": tc, "camera": _first_of(meta, _CAMERA_KEYS),
        "reel": _first_of(meta, _REEL_KEYS), "metadata": meta,
    }
