"""The fake Resolve object model has the stubs' method names and parameters, exactly."""

from __future__ import annotations

import ast
import inspect
from importlib import metadata
from pathlib import Path

import pytest

from tests.resolve import fake_resolve as fake

STUB = Path(str(metadata.distribution("fusionscript-stubs").locate_file("fusionscript-stubs/fusionscript.pyi")))
PAIRS = {
    "FakeResolve": "Resolve", "FakeProjectManager": "ProjectManager", "FakeProject": "Project",
    "FakeMediaPool": "MediaPool", "FakeFolder": "Folder", "FakeMediaPoolItem": "MediaPoolItem",
    "FakeTimeline": "Timeline", "FakeTimelineItem": "TimelineItem", "FakeGraph": "Graph",
    "FakeGallery": "Gallery", "FakeGalleryStillAlbum": "GalleryStillAlbum",
}


def stub_signatures() -> dict[str, dict[str, list[list[tuple[str, bool]]]]]:
    """class -> method -> overloads, each a list of (parameter name, has default)."""
    tree = ast.parse(STUB.read_text())
    out: dict[str, dict[str, list[list[tuple[str, bool]]]]] = {}
    for cls in tree.body:
        if not isinstance(cls, ast.ClassDef):
            continue
        methods: dict[str, list[list[tuple[str, bool]]]] = {}
        for fn in cls.body:
            if isinstance(fn, ast.FunctionDef):
                args = fn.args.args[1:]
                n_default = len(fn.args.defaults)
                params = [(a.arg, i >= len(args) - n_default) for i, a in enumerate(args)]
                if fn.args.vararg:
                    params.append(("*" + fn.args.vararg.arg, True))
                methods.setdefault(fn.name, []).append(params)
        out[cls.name] = methods
    return out


def fake_signature(fn: object) -> list[tuple[str, bool]]:
    params = []
    for p in list(inspect.signature(fn).parameters.values()):  # type: ignore[arg-type]
        if p.kind is p.VAR_POSITIONAL:
            params.append(("*" + p.name, True))
        else:
            params.append((p.name, p.default is not p.empty))
    return params


def test_the_stub_file_is_the_21_0_one() -> None:
    assert metadata.version("fusionscript-stubs").startswith("21.0")
    text = STUB.read_text()
    assert "def SetLUT(self, nodeIndex: int, lutPath: str) -> bool:" in text


@pytest.mark.parametrize("fake_name", sorted(PAIRS))
def test_fake_methods_match_the_stubs(fake_name: str) -> None:
    stubs = stub_signatures()[PAIRS[fake_name]]
    cls = getattr(fake, fake_name)
    public = sorted({n for klass in cls.__mro__[:-1] for n, v in vars(klass).items()  # inherited ones too
                     if callable(v) and n[:1].isupper()})
    assert public, f"{fake_name} has no API methods"
    for name in public:
        assert name in stubs, f"{fake_name}.{name} is not in the {PAIRS[fake_name]} stubs"
        mine = fake_signature(getattr(cls, name))[1:]
        if mine == [("*args", True)]:
            assert len(stubs[name]) > 1, f"{fake_name}.{name} takes *args but the stub is not overloaded"
            continue
        assert mine in stubs[name], f"{fake_name}.{name}{mine} differs from the stubs {stubs[name]}"


def test_the_checker_catches_a_wrong_parameter_name() -> None:
    stubs = stub_signatures()["Graph"]

    class Wrong:
        def SetLUT(self, node: int, path: str) -> bool:
            return True

    assert fake_signature(Wrong.SetLUT)[1:] not in stubs["SetLUT"]
