"""The fake ``nuke`` follows the types-nuke stubs: same names, parameters, order and defaults."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest


def stub_dir() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("mypy")  # the stubs sit beside the installed packages
    assert spec is not None and spec.origin is not None
    found = Path(spec.origin).resolve().parents[1] / "nuke-stubs"
    if not found.is_dir():
        raise FileNotFoundError(f"types-nuke is not installed (no {found}); pip install types-nuke")
    return found


Sig = tuple[tuple[str, str, bool], ...]   # (name, kind, has default)


def _stub_sig(fn: ast.FunctionDef, method: bool) -> Sig:
    a = fn.args
    pos = a.posonlyargs + a.args
    if method and pos and pos[0].arg in ("self", "cls"):
        pos = pos[1:]
    first_default = len(a.posonlyargs + a.args) - len(a.defaults)
    offset = len(a.posonlyargs + a.args) - len(pos)
    out = [(p.arg, "pos", i + offset >= first_default) for i, p in enumerate(pos)]
    if a.vararg:
        out.append((a.vararg.arg, "*", False))
    out += [(p.arg, "kw", d is not None) for p, d in zip(a.kwonlyargs, a.kw_defaults)]
    if a.kwarg:
        out.append((a.kwarg.arg, "**", False))
    return tuple(out)


def _fake_sig(fn: Any) -> Sig:
    kinds = {inspect.Parameter.VAR_POSITIONAL: "*", inspect.Parameter.VAR_KEYWORD: "**",
             inspect.Parameter.KEYWORD_ONLY: "kw"}
    params = list(inspect.signature(fn).parameters.values())
    return tuple((p.name, kinds.get(p.kind, "pos"), p.default is not inspect.Parameter.empty) for p in params)


def _load_stubs() -> tuple[dict[str, list[Sig]], dict[str, dict[str, list[Sig]]], dict[str, list[str]], set[str]]:
    funcs: dict[str, list[Sig]] = {}
    classes: dict[str, dict[str, list[Sig]]] = {}
    bases: dict[str, list[str]] = {}
    names: set[str] = set()
    for pyi in sorted(stub_dir().glob("*.pyi")):
        for node in ast.parse(pyi.read_text()).body:
            if isinstance(node, ast.FunctionDef):
                funcs.setdefault(node.name, []).append(_stub_sig(node, False))
                names.add(node.name)
            elif isinstance(node, ast.ClassDef):
                names.add(node.name)
                bases[node.name] = [b.id for b in node.bases if isinstance(b, ast.Name)]
                methods = classes.setdefault(node.name, {})
                for item in node.body:
                    if isinstance(item, ast.FunctionDef):
                        methods.setdefault(item.name, []).append(_stub_sig(item, True))
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names.add(node.target.id)
            elif isinstance(node, ast.Assign):
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return funcs, classes, bases, names


def _stub_method(classes: dict[str, dict[str, list[Sig]]], bases: dict[str, list[str]], cls: str,
                 name: str) -> list[Sig] | None:
    todo = [cls]
    while todo:
        c = todo.pop(0)
        if name in classes.get(c, {}):
            return classes[c][name]
        todo += bases.get(c, [])
    return None


def _matches(fake: Sig, overloads: list[Sig]) -> bool:
    if len(overloads) == 1:
        return fake == overloads[0]
    return any([(n, k) for n, k, _ in fake] == [(n, k) for n, k, _ in o] for o in overloads)


def test_every_public_name_of_the_fake_exists_in_the_stubs(fake: ModuleType) -> None:
    nuke = fake
    _funcs, _classes, _bases, names = _load_stubs()
    public = {n for n in vars(nuke) if not n.startswith("_") and not n.startswith("fake_")}
    imported = {"annotations", "sys", "IO", "Any", "Callable", "TYPE_CHECKING"}
    assert sorted(public - names - imported) == []


def test_functions_follow_the_stub_signatures(fake: ModuleType) -> None:
    nuke = fake
    funcs, *_ = _load_stubs()
    checked = 0
    for name, obj in vars(nuke).items():
        if inspect.isfunction(obj) and not name.startswith(("_", "fake_")):
            assert name in funcs, f"nuke.{name} is not in the stubs"
            assert _matches(_fake_sig(obj), funcs[name]), f"nuke.{name}{_fake_sig(obj)} != stub {funcs[name]}"
            checked += 1
    assert checked >= 30


def test_methods_follow_the_stub_signatures(fake: ModuleType) -> None:
    nuke = fake
    _funcs, classes, bases, _names = _load_stubs()
    checked = 0
    for cname, cls in vars(nuke).items():
        if not inspect.isclass(cls) or cname.startswith("_") or cname not in classes:
            continue
        for mname, member in vars(cls).items():
            if mname.startswith("_") or not inspect.isfunction(member):
                continue
            stub = _stub_method(classes, bases, cname, mname)
            assert stub is not None, f"{cname}.{mname} is not in the stubs"
            fake = _fake_sig(member)[1:]  # drop self
            assert _matches(fake, stub), f"{cname}.{mname}{fake} != stub {stub}"
            checked += 1
    assert checked >= 60


def test_fake_threading_rules(fake: ModuleType) -> None:
    """executeInMainThread queues; GUI calls and a ProgressTask stay on their own threads."""
    import threading

    seen: list[str] = []
    errors: list[str] = []
    task = fake.ProgressTask("main")

    def worker() -> None:
        fake.executeInMainThread(seen.append, args=("ran",))
        for call in (lambda: fake.message("hi"), lambda: task.setProgress(5)):
            try:
                call()
            except RuntimeError as exc:
                errors.append(str(exc))

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert seen == [] and fake.fake_process_events() == 1 and seen == ["ran"]
    assert len(errors) == 2 and "worker thread" in errors[0] and "another thread" in errors[1]


def test_fake_colour_and_tcl(fake: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOW", "/shows/x")
    knob = fake.File_Knob("file", "file")
    knob.setValue("[getenv SHOW]/a_$env(SHOW).exr")
    assert knob.value() == "[getenv SHOW]/a_$env(SHOW).exr" and knob.evaluate() == "/shows/x/a_/shows/x.exr"
    node = fake.nodes.OCIOCDLTransform()
    assert fake.root()["workingSpaceLUT"].value() == "linear" and "ACES - ACEScct" not in node["working_space"].values()
    fake.fake_set_ocio_config("aces_1.2")
    assert fake.root()["workingSpaceLUT"].value() == "ACES - ACEScg"
    node["working_space"].setValue("ACES - ACEScct")
    with pytest.raises(ValueError, match="not in the script's OCIO config"):
        node["working_space"].setValue("ACEScct")
