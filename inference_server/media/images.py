"""Single image files through OpenImageIO: read in the file's own pixel type, write atomically.

OpenImageIO is imported inside the functions so that importing the media package is cheap.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import numpy as np

from inference_server.frames import ALLOWED_DTYPES, to_rgb_float
from inference_server.windows import data_box, display_box, like_windows, place, region_of
from inference_server.writers import set_windows, store_straight, write_file

Box = tuple[int, int, int, int]

_OIIO_TYPE = {"uint8": "uint8", "uint16": "uint16", "float16": "half", "float32": "float"}

# The first bytes each format's files start with (its reader is the only one tried).
MAGIC: dict[str, tuple[bytes, ...]] = {
    ".exr": (b"\x76\x2f\x31\x01",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".tif": (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"),
    ".tiff": (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"),
    ".dpx": (b"SDPX", b"XPDS"),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
}
IMAGE_EXTS = frozenset(MAGIC)   # the still formats ingest picks up


@functools.cache
def _as_stored() -> Any:
    """The reading configuration that gives a file's pixels as stored: colour under a straight
    (unassociated) alpha, as PNG and many TIFFs keep it, is not premultiplied on read (OpenImageIO's
    default: a pixel of alpha 0 lost its colour, and written back the rest was unpremultiplied with
    rounding; pixels outside a repair were not the plate's). The file's spec then says
    ``oiio:UnassociatedAlpha``, which a file written like it takes (``_travels``)."""
    import OpenImageIO as oiio

    config = oiio.ImageSpec()
    config.attribute("oiio:UnassociatedAlpha", 1)
    return config


class ImageTooLarge(ValueError):
    """An image's header promises more pixels than the caller accepts."""


def native_dtype(spec: Any) -> str:
    import OpenImageIO as oiio

    base = spec.format.basetype
    return {oiio.UINT8: "uint8", oiio.UINT16: "uint16", oiio.HALF: "float16"}.get(base, "float32")


def check_magic(head: bytes, ext: str, what: str) -> None:
    """ValueError when ``head`` (a file's first bytes) is not a ``ext`` file's signature."""
    magic = MAGIC.get(ext.lower())
    if magic is not None and not head.startswith(magic):
        raise ValueError(f"cannot read {what}: it does not start like a {ext.lstrip('.').upper()} file "
                         f"(first bytes {head[:8].hex()})")


def read_image(path: str | os.PathLike[str], max_side: int | None = None, max_bytes: int | None = None,
               max_pixels: int | None = None, window: str = "union") -> np.ndarray:
    """Read one image file as (H, W, C) in its native dtype (uint8/uint16/float16; else float32).

    Only the reader the extension names is tried (never every reader in turn, which on a large
    unrecognised file takes minutes), after a check of the file's first bytes for the common
    formats. With ``max_side``/``max_bytes`` (bytes counted as float32)/``max_pixels``, an image
    whose header is over a limit raises ImageTooLarge before any pixel is decoded. ``window``
    says which region of an EXR with a data window the array covers (``inference_server.windows``).
    """
    return read_image_boxes(path, max_side, max_bytes, window, max_pixels)[0]


def read_image_rgb(path: str | os.PathLike[str]) -> np.ndarray:
    """One image file as float32 (H, W, 3) 0-1 code values of its data window (``frames.to_rgb_float``)."""
    return to_rgb_float(read_image(path, window="data"))


def read_boxes(path: str | os.PathLike[str], window: str = "union") -> tuple[Box, Box]:
    """(the region ``read_image_boxes`` would read, the display window) of an image file, from its
    header alone (no pixel is decoded)."""
    import OpenImageIO as oiio

    path = os.fspath(path)
    oiio.attribute("try_all_readers", 0)
    inp = oiio.ImageInput.open(path)
    if inp is None:
        raise ValueError(f"cannot read image {path!r}: {oiio.geterror()}")
    try:
        spec = inp.spec()
        return region_of(spec, window), display_box(spec)
    finally:
        inp.close()


def read_image_boxes(path: str | os.PathLike[str], max_side: int | None = None, max_bytes: int | None = None,
                     window: str = "union", max_pixels: int | None = None) -> tuple[np.ndarray, Box, Box]:
    """``read_image``, with the region the array covers and the display window (x0, y0, x1, y1)."""
    return read_image_info(path, max_side, max_bytes, window, max_pixels)[:3]  # type: ignore[return-value]


def read_image_info(path: str | os.PathLike[str], max_side: int | None = None, max_bytes: int | None = None,
                    window: str = "union", max_pixels: int | None = None) -> tuple[np.ndarray, Box, Box, bool]:
    """``read_image_boxes``, and whether the pixels' alpha is straight (unassociated: PNG, many TIFFs),
    as they are read (``_as_stored``); a file written from them in another format needs to know."""
    import OpenImageIO as oiio

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no image file {path!r}")
    with open(path, "rb") as fh:
        check_magic(fh.read(16), os.path.splitext(path)[1], f"image {path!r}")
    oiio.attribute("try_all_readers", 0)
    inp = oiio.ImageInput.open(path, _as_stored())
    if inp is None:
        raise ValueError(f"cannot read image {path!r}: {oiio.geterror()}")
    try:
        spec = inp.spec()
        box = region_of(spec, window)
        rw, rh = max(spec.width, box[2] - box[0]), max(spec.height, box[3] - box[1])
        nbytes = rw * rh * spec.nchannels * 4
        if (max_side is not None and max(rw, rh) > max_side) or \
                (max_bytes is not None and nbytes > max_bytes) or \
                (max_pixels is not None and rw * rh > max_pixels):
            raise ImageTooLarge(f"frame {path} is {rw}x{rh}x{spec.nchannels}, over the limit "
                                f"({max_side} px a side, {max_pixels} pixels, {max_bytes} bytes as float)")
        dtype = native_dtype(spec)
        pixels = inp.read_image(0, 0, 0, spec.nchannels, _OIIO_TYPE[dtype])
        if pixels is None:
            raise ValueError(f"cannot read image {path!r}: {inp.geterror()}")
    finally:
        inp.close()
    pixels = np.asarray(pixels)
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    pixels = place(np.ascontiguousarray(pixels.astype(dtype, copy=False)), data_box(spec)[:2], box)
    return pixels, box, display_box(spec), spec.get_int_attribute("oiio:UnassociatedAlpha", 0) == 1


# compressions that give back exactly what they were given (PXR24 only for half: it rounds float32)
LOSSLESS = frozenset({"none", "rle", "zip", "zips", "piz", "lzw", "packbits", "deflate"})


def _travels(name: str, value: Any, fmt: str) -> bool:
    """Whether a reference image's header attribute is copied to an image written like it: not what
    OpenImageIO reports about the file it read (``oiio:`` figures such as subimages, rows per chunk),
    except the colour space and whether its alpha is straight (``_as_stored``); and its compression
    only when lossless: a DWAA plate written back as DWAA moved pixels outside the repair by up to
    0.25 (they are written with the writer's lossless default instead)."""
    if name == "compression":
        method = str(value).split(":", 1)[0].lower()
        return method in LOSSLESS or (method == "pxr24" and fmt == "float16")
    return not name.startswith("oiio:") or name in ("oiio:ColorSpace", "oiio:UnassociatedAlpha")


def check_writable_format(path: str) -> None:
    """ValueError, before any work, when ``path`` (a file or a pattern) names no image format
    OpenImageIO can write: no extension, or one it has no writer for."""
    import OpenImageIO as oiio

    if os.path.isdir(path):
        raise ValueError(f"output {path!r} is a folder; name the file(s) to write, e.g. repair.####.exr")
    ext = os.path.splitext(path)[1]
    if not ext[1:].isalnum() or ext[1:].isdigit():  # none, or a frame token or number ("r.####", "r.1001")
        raise ValueError(f"output {path!r} has no file extension; name the format, e.g. repair.####.exr")
    out = oiio.ImageOutput.create("x" + ext)
    if out is None:
        oiio.geterror()  # taken, or OpenImageIO prints it at exit
        raise ValueError(f"output {path!r}: no image format is written as {ext} files (use .exr, .dpx, .tif or .png)")


def write_image(path: str | os.PathLike[str], pixels: np.ndarray, like_format: str | None = None,
                channel_names: bool = True, straight: bool = False) -> None:
    """Write (H, W, C) ``pixels`` to ``path`` atomically, keeping their bit depth.

    ``like_format`` may name a dtype (``"uint16"``...) to write in, or a reference image file
    whose pixel format and bits per sample (10-bit DPX, say) the output copies; an EXR written
    like an EXR plate also takes the plate's display window and data-window origin (overscan). Written
    in the reference's own format, the image takes its header (compression, metadata) and, with as
    many channels, its channel names (unless ``channel_names`` is False: the channels mean other things).
    ``straight``: the pixels' alpha is straight, as their file stored it (``read_image_info``; a
    straight reference file says so itself): written to a format of associated alpha (EXR), the
    colour is multiplied by it (``writers.store_straight``).
    The folder must exist. Every step is checked (``inference_server.writers``); a failed write
    raises ``WriteFailed`` and leaves ``path`` as it was.
    """
    import OpenImageIO as oiio

    path = os.fspath(path)
    arr = np.asarray(pixels)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3 or arr.dtype.name not in ALLOWED_DTYPES:
        raise ValueError(f"write_image expects (H, W, C) {'/'.join(ALLOWED_DTYPES)} pixels, "
                         f"got shape {arr.shape} dtype {arr.dtype}")
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"output folder {folder!r} does not exist")
    fmt, bits, windows = arr.dtype.name, 0, None
    names: tuple[str, ...] = ()
    header: list[tuple[str, Any, Any]] = []
    if like_format in ALLOWED_DTYPES:
        fmt = str(like_format)
    elif like_format:
        ref = oiio.ImageInput.open(like_format, _as_stored())
        if ref is None:
            raise ValueError(f"cannot read reference image {like_format!r}: {oiio.geterror()}")
        rspec = ref.spec()
        fmt, bits = native_dtype(rspec), rspec.get_int_attribute("oiio:BitsPerSample", 0)
        straight = straight or rspec.get_int_attribute("oiio:UnassociatedAlpha", 0) == 1
        if path.lower().endswith(".exr"):
            windows = like_windows(rspec, arr.shape)
        if os.path.splitext(path)[1].lower() == os.path.splitext(like_format)[1].lower():
            # the same format: its header travels (compression, timecode, camera metadata), and with the
            # same channel count its channel names (R, G, B, Z is no RGBA)
            names = tuple(rspec.channelnames) if rspec.nchannels == arr.shape[2] and channel_names else ()
            header = [(a.name, a.type, a.value) for a in rspec.extra_attribs if _travels(a.name, a.value, fmt)]
        ref.close()
    h, w, c = arr.shape
    spec = oiio.ImageSpec(w, h, c, _OIIO_TYPE[fmt])
    if names:
        spec.channelnames = names
    for name, kind, value in header:
        spec.attribute(name, kind, value)
    if windows is not None:
        set_windows(spec, windows)
    if path.lower().endswith(".png"):
        spec.attribute("png:compressionLevel", 3)
    if straight and not header:  # another format than the straight reference's (the same copies its header)
        arr = store_straight(arr, spec, os.path.splitext(path)[1])
    if bits and bits not in (8, 16, 32):
        spec.attribute("oiio:BitsPerSample", bits)
    write_file(path, arr, spec)
