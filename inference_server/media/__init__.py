"""Reading and writing plates: image sequences, single images and movies (one stack for the daemon,
the CLI and the project store).

A *spec* names the frames:

- ``shot/plate.####.exr`` or ``shot/plate.%04d.exr``: a numbered sequence (``#`` count or
  ``%0Nd`` gives the padding; numbers wider than the padding are accepted);
- ``still.png``: one image (given ``frames``, it stands for every frame of that range);
- ``clip.mov`` / ``.mp4`` / ``.mxf`` / ...: a movie decoded with PyAV, frames numbered from 1.

Pixels come back in the file's native dtype (uint8, uint16, float16 or float32), (H, W, C),
in whatever colour space the file holds (the caller names it); the project store reads float32
RGB code values 0-1 through the same readers (``read_image_rgb``, ``read_movie_frames``). Writes
are atomic (a temporary file in the same folder, then ``os.replace``) and keep the bit depth.
OpenImageIO and PyAV are imported inside the functions so that importing this package is cheap.

Modules: ``paths`` (patterns, frame numbers, overwrite checks), ``images`` (one file through
OpenImageIO), ``movies`` (PyAV decoding), ``sequence`` (lazy frame sequences, catalogued clips),
``probe`` (headers for ingest).
"""

from __future__ import annotations

from inference_server.media.images import (
    IMAGE_EXTS,
    MAGIC,
    ImageTooLarge,
    check_magic,
    check_writable_format,
    read_boxes,
    read_image,
    read_image_boxes,
    read_image_info,
    read_image_rgb,
    write_image,
)
from inference_server.media.movies import read_movie_frames
from inference_server.media.paths import (
    MOVIE_EXTS,
    ensure_folder,
    is_movie,
    is_pattern,
    output_path,
    parse_frame_range,
    refuse_overwrite,
    split_frame_number,
)
from inference_server.media.probe import probe_image, probe_movie
from inference_server.media.sequence import CACHE_BYTES, FrameSequence, SequenceInfo, open_sequence, read_clip_frames

__all__ = [
    "CACHE_BYTES", "IMAGE_EXTS", "MAGIC", "MOVIE_EXTS", "FrameSequence", "ImageTooLarge", "SequenceInfo",
    "check_magic", "check_writable_format", "ensure_folder", "is_movie", "is_pattern", "open_sequence",
    "output_path", "parse_frame_range", "probe_image", "probe_movie", "read_boxes", "read_clip_frames", "read_image",
    "read_image_boxes", "read_image_info", "read_image_rgb", "read_movie_frames", "refuse_overwrite",
    "split_frame_number", "write_image",
]
