"""Look files: write ``.cube`` (Resolve/IRIDAS), ASC ``.cc``/``.ccc``/``.cdl`` and Academy ``.clf``;
load any look file OpenColorIO reads, with errors that name the file.

Tolerances, checked by reading the written files back through OCIO FileTransform:
``.cube`` and ``.clf`` reproduce ``LookFit.apply_exact`` within 1e-5 absolute without a
shaper; with a shaper (scene-linear sources) within 2e-3 on the ACEScct scale (about
0.035 stop) for values 0.001..64. The CDL files reproduce the CDL within 5e-5 (OCIO's
CPU path uses a fast float32 power function).
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from inference_server.engines.look import spaces
from inference_server.engines.look.balance import BalanceModel
from inference_server.engines.look.cdl import Cdl
from inference_server.engines.look.fit import LookFit
from inference_server.fileio import atomic_write

CDL_FORMATS = {".cc": "ColorCorrection", ".ccc": "ColorCorrectionCollection", ".cdl": "ColorDecisionList"}
CLF_FORMAT = "Academy/ASC Common LUT Format"
LOOK_EXTENSIONS = (".cube", ".cc", ".ccc", ".cdl", ".clf", ".ctf", ".3dl", ".spi1d", ".spi3d", ".csp", ".lut")


def _rows(values: np.ndarray) -> str:
    buf = io.StringIO()
    np.savetxt(buf, np.asarray(values, dtype=np.float64).reshape(-1, 3), fmt="%.7g")
    return buf.getvalue()


def cube_text(lut: np.ndarray, title: str = "Rushes look", shaper: Any = None,
              comments: tuple[str, ...] = ()) -> str:
    """A Resolve/IRIDAS ``.cube``: TITLE, optional 1D shaper (Resolve layout), LUT_3D_SIZE, red fastest.

    ``lut`` is (n, n, n, 3) indexed [r, g, b]; ``shaper`` a ``fit.Shaper`` or None.
    """
    n = lut.shape[0]
    if lut.ndim != 4 or lut.shape != (n, n, n, 3) or n < 2:
        raise ValueError(f"cube_text expects an (n, n, n, 3) lattice, got {lut.shape}")
    if not np.isfinite(lut).all():
        raise ValueError("cube_text: the lattice holds NaN or infinite values")
    safe_title = title.replace('"', "'").replace("\n", " ")
    # OpenColorIO's Resolve reader (the only one taking a shaper) refuses a TITLE line, so a
    # shaper cube carries its title as a comment; Resolve reads both forms.
    head = [f'# TITLE "{safe_title}"' if shaper is not None else f'TITLE "{safe_title}"']
    head += [f"# {c}" for c in comments]
    body = []
    if shaper is not None:
        head += [f"LUT_1D_SIZE {shaper.size}", f"LUT_1D_INPUT_RANGE {shaper.lo:.9g} {shaper.hi:.9g}",
                 f"LUT_3D_SIZE {n}", "LUT_3D_INPUT_RANGE 0 1"]
        body.append(_rows(np.repeat(shaper.table()[:, None], 3, axis=1)))
    else:
        head.append(f"LUT_3D_SIZE {n}")
    # [r, g, b] -> rows with red changing fastest: iterate b, then g, then r.
    body.append(_rows(np.transpose(lut, (2, 1, 0, 3))))
    return "\n".join(head) + "\n\n" + "".join(body)


def cdl_text(cdl: Cdl, ext: str, description: str = "") -> str:
    """ASC CDL XML for ``ext`` in (.cc, .ccc, .cdl), written by OpenColorIO."""
    import PyOpenColorIO as ocio

    if ext not in CDL_FORMATS:
        raise ValueError(f"unknown CDL format {ext!r}; use one of {', '.join(CDL_FORMATS)}")
    t = cdl.to_ocio()
    if description:
        t.getFormatMetadata().addChildElement("Description", description)
    g = ocio.GroupTransform()
    g.appendTransform(t)
    return str(g.write(CDL_FORMATS[ext], spaces.config()))


def look_group(fit: LookFit) -> Any:
    """The fitted LUT (with its shaper) as an OCIO GroupTransform of Matrix, Lut1D and Lut3D."""
    import PyOpenColorIO as ocio

    g = ocio.GroupTransform()
    if fit.shaper is not None:
        s = fit.shaper
        k = 1.0 / (s.hi - s.lo)
        g.appendTransform(ocio.MatrixTransform([k, 0, 0, 0, 0, k, 0, 0, 0, 0, k, 0, 0, 0, 0, 1],
                                               [-s.lo * k, -s.lo * k, -s.lo * k, 0]))
        lut1 = ocio.Lut1DTransform(length=s.size)
        table = s.table()
        lut1.setData(np.repeat(table[:, None], 3, axis=1).astype(np.float32).ravel())
        g.appendTransform(lut1)
    n = fit.lut.shape[0]
    lut3 = ocio.Lut3DTransform(gridSize=n)
    lut3.setData(np.ascontiguousarray(fit.lut, dtype=np.float32).ravel())  # blue fastest
    lut3.setInterpolation(ocio.INTERP_LINEAR)
    g.appendTransform(lut3)
    return g


def clf_text(fit: LookFit, description: str = "") -> str:
    """Academy CLF holding the fitted LUT (and shaper), written by OpenColorIO."""
    g = look_group(fit)
    if description:
        g.getFormatMetadata().addChildElement("Description", description)
    g.getFormatMetadata().setID("rushes_look")
    return str(g.write(CLF_FORMAT, spaces.config()))


_REFERENCE = re.compile(r"<\s*Reference\b([^>]*)>", re.IGNORECASE | re.DOTALL)
_PATH_ATTR = re.compile(r"\bpath\s*=\s*(\"([^\"]*)\"|'([^']*)')", re.IGNORECASE)


_NON_FINITE = re.compile(r"(?<![\w.])[-+]?(nan|inf(inity)?)(?![\w.])", re.IGNORECASE)


def check_finite_table(path: Path) -> None:
    """Refuse a text LUT (.cube, .3dl, .spi3d...) with NaN or infinite entries.

    OpenColorIO reads such entries as 0 without a word, so a broken LUT grades to black.
    """
    if path.suffix.lower() in CDL_FORMATS:
        return
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for number, line in enumerate(fh, 1):
                if not line.lstrip().startswith(("#", "TITLE")) and _NON_FINITE.search(line):
                    raise ValueError(f"{path.name}: line {number} holds a NaN or infinite value "
                                     f"({line.strip()[:60]!r}); the LUT is broken")
    except OSError as exc:
        raise ValueError(f"{path}: cannot read this look file: {exc.strerror or exc}") from None


def check_references(path: Path, depth: int = 0) -> None:
    """Refuse a CTF/CLF whose ``Reference`` elements name files outside the look's own folder.

    OpenColorIO would read whatever a reference names (``/dev/zero`` reads without end);
    a look may only pull in looks kept beside it. Referenced CTF/CLF files are checked too.
    """
    folder = path.resolve().parent
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise ValueError(f"{path}: cannot read this look file: {exc.strerror or exc}") from None
    for m in _REFERENCE.finditer(text):
        attr = _PATH_ATTR.search(m.group(1))
        if attr is None:
            continue  # an alias to a named transform of the config, not a file
        name = attr.group(2) if attr.group(2) is not None else attr.group(3)
        target = (folder / name).resolve()
        if os.path.isabs(name) or folder not in target.parents or not target.is_file():
            raise ValueError(f"{path.name}: its Reference to {name!r} is not a look file in the look's folder "
                             f"({folder}); Rushes reads referenced looks only from there")
        if target.suffix.lower() in (".ctf", ".clf") and depth < 8:
            check_references(target, depth + 1)


def look_transform(path: str | os.PathLike[str], cccid: str = "") -> Any:
    """Load a look file through OCIO; returns (FileTransform, CPU processor).

    Raises FileNotFoundError or ValueError naming ``path`` when it is missing, of an unknown
    kind, or malformed.
    """
    import PyOpenColorIO as ocio

    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"look file not found: {p}")
    ext = p.suffix.lower()
    if ext not in LOOK_EXTENSIONS:
        raise ValueError(f"{p}: not a look file OpenColorIO reads here (use one of {', '.join(LOOK_EXTENSIONS)})")
    if ext in (".ctf", ".clf"):
        check_references(p)
    else:
        check_finite_table(p)
    ocio.ClearAllCaches()  # OCIO caches files by path; a look rewritten on disk must be read anew
    ft = ocio.FileTransform(str(p.resolve()), cccId=cccid, interpolation=ocio.INTERP_DEFAULT)
    try:
        ctx = ocio.Context()  # references resolve in the look's own folder (never the working directory)
        ctx.setSearchPath(str(p.resolve().parent))
        ctx.setWorkingDir(str(p.resolve().parent))
        cpu = spaces.config().getProcessor(ctx, ft, ocio.TRANSFORM_DIR_FORWARD).getDefaultCPUProcessor()
    except Exception as exc:  # OCIO raises its own Exception type
        msg = " ".join(str(exc).replace(str(p.resolve()), p.name).split())
        msg = msg.replace("(Enable debug log for errors from all formats.) ", "")
        if len(msg) > 400:
            msg = msg[:400] + "..."
        raise ValueError(f"{p}: cannot read this look file: {msg}") from exc
    return ft, cpu


def write_atomic(path: str | os.PathLike[str], data: bytes | str) -> None:
    """Write ``data`` to ``path`` atomically; the folder must already exist (a typo is not a new folder)."""
    p = Path(path)
    if p.parent and not p.parent.is_dir():
        raise FileNotFoundError(f"folder does not exist for {p}")
    atomic_write(p, data.encode() if isinstance(data, str) else data)


def look_balance_model(path: str | os.PathLike[str]) -> BalanceModel | None:
    """The balance estimator a Rushes .cube carries in its comments, or None (any other look)."""
    p = Path(path)
    if p.suffix.lower() != ".cube" or not p.is_file():
        return None
    with open(p, encoding="utf-8", errors="replace") as fh:
        head = [line for _, line in zip(range(64), fh)]
    try:
        return BalanceModel.from_text("".join(head))
    except ValueError as exc:
        raise ValueError(f"{p}: {exc}") from exc


def ccc_text(cdls: list[tuple[Cdl, str]]) -> str:
    """An ASC ColorCorrectionCollection with one ColorCorrection per (cdl, description), each
    under its ``cdl.id``, written by OpenColorIO."""
    import PyOpenColorIO as ocio

    if not cdls:
        raise ValueError("a .ccc needs at least one CDL, got none")
    ids = [c.id for c, _ in cdls]
    if len(set(ids)) != len(ids):
        raise ValueError(f"the CDLs of a .ccc need distinct ids, got {ids}")
    g = ocio.GroupTransform()
    for cdl, description in cdls:
        t = cdl.to_ocio()
        if description:
            t.getFormatMetadata().addChildElement("Description", description)
        g.appendTransform(t)
    return str(g.write(CDL_FORMATS[".ccc"], spaces.config()))


def read_cdl(path: str | os.PathLike[str], cccid: str = "") -> Cdl:
    """The CDL in a .cc/.cdl/.ccc file (the first one, or the one with id ``cccid``), read by OpenColorIO."""
    import PyOpenColorIO as ocio

    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"CDL file not found: {p}")
    if p.suffix.lower() not in CDL_FORMATS:
        raise ValueError(f"{p}: a balance must be an ASC CDL file ({', '.join(CDL_FORMATS)})")
    try:
        t = ocio.CDLTransform.CreateFromFile(str(p.resolve()), cccid)
    except Exception as exc:  # OCIO raises its own Exception type
        raise ValueError(f"{p}: cannot read this CDL file: {' '.join(str(exc).split())[:300]}") from exc
    v = [*t.getSlope(), *t.getOffset(), *t.getPower(), t.getSat()]
    if not np.isfinite(v).all():
        raise ValueError(f"{p}: the CDL holds non-finite values")
    return Cdl.from_vector(np.array(v), str(t.getID()) or "rushes_balance")
