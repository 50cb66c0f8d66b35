"""Image files written so that a failed write can never pass for a frame.

Every OpenImageIO result is checked (``open``, ``write_image``, ``close`` and the writer's
error queue: the PNG writer reports a full disk only there), the temporary file is flushed
to disk and its header opened again before it is renamed over the final name, and the
temporary file is removed on every failure.

JPEG is encoded in memory with OpenCV and written with Python's own file calls: libjpeg's
default error handler, which OpenImageIO's JPEG writer keeps, calls ``exit()`` on a write
error (a full disk), which would end the whole process (a daemon with every job on it).
"""

from __future__ import annotations

import os
import threading
from typing import Any

import numpy as np

from inference_server.frames import from_float, to_float

JPEG_EXTS = (".jpg", ".jpeg")
JPEG_QUALITY = 98  # OpenImageIO's default JPEG quality, which this replaces


# Messages OpenImageIO 3.x queues on writes that succeed (the TIFF writer on every file).
BENIGN = ("TIFFWriteCustomDirectory() of the Exif data",)


class WriteFailed(ValueError):
    """An image could not be written completely (full disk, I/O error...)."""


def _real_errors(err: str) -> str:
    return "\n".join(ln for ln in err.splitlines() if ln.strip() and not any(b in ln for b in BENIGN))


def _short(err: str) -> str:
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    if not lines:
        return "the writer reported a failure without a message"
    more = f" (and {len(lines) - 1} more error(s))" if len(lines) > 1 else ""
    return lines[0].strip() + more


def temp_path(path: str) -> str:
    """A hidden temporary name beside ``path`` with the same extension (writers pick the format by it)."""
    folder = os.path.dirname(path) or "."
    root, ext = os.path.splitext(os.path.basename(path))
    return os.path.join(folder, f".{root}.tmp{os.getpid()}-{threading.get_ident()}{ext}")


def jpeg_bytes(pixels: np.ndarray) -> bytes:
    """(H, W, 1|3|4) pixels as baseline JPEG bytes (8 bit; alpha dropped, as OpenImageIO does)."""
    import cv2

    arr = pixels if pixels.dtype == np.uint8 else from_float(np.clip(to_float(pixels), 0.0, 1.0), "uint8")
    c = arr.shape[2]
    if c == 1:
        bgr = arr[:, :, 0]
    elif c >= 3:
        bgr = np.ascontiguousarray(arr[:, :, 2::-1])
    else:
        raise WriteFailed(f"JPEG holds 1 or 3 channels; got {c}")
    ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise WriteFailed("the JPEG encoder failed")
    return bytes(buf)


def _write_bytes(tmp: str, data: bytes) -> None:
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _write_oiio(tmp: str, arr: np.ndarray, spec: Any) -> None:
    import OpenImageIO as oiio

    out = oiio.ImageOutput.create(tmp)
    if out is None:
        raise WriteFailed(f"no image writer for this file type: {oiio.geterror()}")
    opened = False
    try:
        if not out.open(tmp, spec):
            raise WriteFailed(_short(out.geterror()))
        opened = True
        ok = out.write_image(np.ascontiguousarray(arr))
        err = _real_errors(out.geterror()) if out.has_error else ""
        opened = False
        closed = out.close()
        err = err or (_real_errors(out.geterror()) if out.has_error else "")
        if not ok or not closed or err:
            raise WriteFailed(_short(err))
    finally:
        if opened:
            out.close()
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)  # a network or quota file system may report a failed write only here
    finally:
        os.close(fd)


def _verify(tmp: str, w: int, h: int, c: int) -> None:
    """The written file exists, is not empty, and opens with the size it should have."""
    import OpenImageIO as oiio

    size = os.path.getsize(tmp)
    if size == 0:
        raise WriteFailed("the written file is empty")
    inp = oiio.ImageInput.open(tmp)
    if inp is None:
        raise WriteFailed(f"the written file does not open again: {_short(oiio.geterror())}")
    try:
        spec = inp.spec()
        got = (spec.width, spec.height)
        if got != (w, h) or spec.nchannels not in (c, 3):
            raise WriteFailed(f"the written file reads back as {got[0]}x{got[1]}x{spec.nchannels}, not {w}x{h}x{c}")
        if inp.format_name() == "dpx":  # uncompressed: the pixels must all be there
            need = w * h * c * max(spec.get_int_attribute("oiio:BitsPerSample", 8), 8) // 8
            if size < need:
                raise WriteFailed(f"the written file is cut off ({size} bytes, at least {need} needed)")
    finally:
        inp.close()


def write_file(path: str, arr: np.ndarray, spec: Any) -> None:
    """Write (H, W, C) ``arr`` with the OpenImageIO ``spec`` to ``path`` through a checked temporary file.

    ``spec`` gives the data window (``x``, ``y``, ``width``, ``height``; ``arr`` covers it) and the
    display window. Raises WriteFailed naming ``path`` when anything goes wrong; ``path`` is then
    untouched (a good frame from an earlier render stays).
    """
    tmp = temp_path(path)
    h, w, c = arr.shape
    try:
        if os.path.splitext(path)[1].lower() in JPEG_EXTS:
            _write_bytes(tmp, jpeg_bytes(arr))
        else:
            _write_oiio(tmp, arr, spec)
        _verify(tmp, w, h, c)
        os.replace(tmp, path)
    except WriteFailed as exc:
        raise WriteFailed(f"cannot write {path!r}: {exc}") from None
    except OSError as exc:
        raise WriteFailed(f"cannot write {path!r}: {exc.strerror or exc}") from None
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


def store_straight(arr: np.ndarray, spec: Any, ext: str) -> np.ndarray:
    """Pixels read with a straight (unassociated) alpha, as stored, made ready for a file of ``ext``:
    PNG and TIFF hold straight alpha (``spec`` says so, and they are written as they are); other
    formats (EXR) hold associated alpha, so the colour is multiplied by the alpha, as OpenImageIO does
    on reading such a file by default. (H, W, C) ``arr``; without an alpha (C not 2 or 4) it is returned as
    it is; returned as a new array when changed."""
    if arr.shape[2] not in (2, 4):
        return arr
    if ext.lower() in (".png", ".tif", ".tiff"):
        spec.attribute("oiio:UnassociatedAlpha", 1)
        return arr
    f = to_float(arr).copy()   # never the caller's array (float32 comes back as itself)
    f[..., :-1] *= f[..., -1:]
    return from_float(f, arr.dtype)


def set_windows(spec: Any, windows: tuple[tuple[int, int, int, int], tuple[int, int, int, int]]) -> None:
    """Give ``spec`` (data window, display window), each (x0, y0, x1, y1): the data window's origin (its
    size is the pixels') and the display window."""
    (spec.x, spec.y, _, _), (fx0, fy0, fx1, fy1) = windows
    spec.full_x, spec.full_y, spec.full_width, spec.full_height = fx0, fy0, fx1 - fx0, fy1 - fy0


def encode_bytes(pixels: np.ndarray, fmt: str, suffix: str,
                 windows: tuple[tuple[int, int, int, int], tuple[int, int, int, int]] | None = None,
                 straight: bool = False) -> bytes:
    """An image file's bytes for (H, W, C) ``pixels`` (``suffix`` picks the format), every step checked.
    ``windows``: (data window, display window) as (x0, y0, x1, y1), for formats that hold them (EXR).
    ``straight``: the alpha is straight (unassociated), as the plate's file stored it: kept so in PNG
    and TIFF, multiplied into the colour for EXR (``store_straight``); otherwise the pixels are
    associated, as OpenImageIO takes them."""
    import tempfile

    import OpenImageIO as oiio

    if fmt == "jpg":
        return jpeg_bytes(pixels)
    h, w, c = pixels.shape
    base = {"uint8": oiio.UINT8, "uint16": oiio.UINT16, "float16": oiio.HALF, "float32": oiio.FLOAT}[pixels.dtype.name]
    if fmt == "exr" and pixels.dtype.kind == "u":  # EXR has no 8/16-bit type: float holds them exactly, half did not
        base = oiio.FLOAT
    spec = oiio.ImageSpec(w, h, c, base)
    if fmt == "exr":
        spec.attribute("compression", "zip")
        if windows is not None:
            set_windows(spec, windows)
    if straight:
        pixels = store_straight(pixels, spec, suffix)
    try:
        folder = tempfile.mkdtemp(prefix="rushes-enc-")
    except OSError as exc:
        raise WriteFailed(f"cannot encode a frame as {fmt}: no temporary folder ({exc.strerror or exc})") from None
    path = os.path.join(folder, f"frame{suffix}")
    try:
        write_file(path, pixels, spec)
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise WriteFailed(f"cannot encode a frame as {fmt}: {exc.strerror or exc}") from None
    except WriteFailed as exc:
        raise WriteFailed(f"cannot encode a frame as {fmt} (in {folder}): {exc}") from None
    finally:
        for name in os.listdir(folder) if os.path.isdir(folder) else ():
            os.unlink(os.path.join(folder, name))
        if os.path.isdir(folder):
            os.rmdir(folder)
