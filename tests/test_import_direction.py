"""Dependencies point one way.

Between packages: nuke/, resolve/ -> hostbridge <- inference_server (hosts never import the daemon,
the daemon never imports a host). Inside the daemon, by layers (bottom first, see LAYERS): a module
imports only its own layer or the layers below it, the applications of one layer never import each
other, and the pure engines import nothing of the daemon but frames and fileio (no hostbridge).
Every import counts, at module top or inside a function alike.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HOST_FORBIDDEN = {"inference_server", "torch", "onnxruntime", "OpenImageIO", "cv2", "PyOpenColorIO", "scipy", "av", "numba"}
DAEMON_FORBIDDEN = {"nuke", "nukescripts", "DaVinciResolveScript", "fusionscript", "rushes_nuke", "rushes_resolve"}

# The daemon's layers, bottom first: (name, module prefixes, independent). A module belongs to the
# layer of its longest matching prefix; with ``independent`` the prefixes of that layer may not import
# each other (the daemon, batch, demo and installers are separate applications that cli composes).
LAYERS: list[tuple[str, tuple[str, ...], bool]] = [
    ("frames", ("inference_server.frames", "inference_server.fileio", "inference_server.logs",
                "inference_server.devices"), False),
    ("engines", ("inference_server.engines",), False),
    ("media", ("inference_server.windows", "inference_server.writers", "inference_server.media",
               "inference_server.codec", "inference_server.shm_cache", "inference_server.config"), False),
    ("project", ("inference_server.project",), False),
    ("tasks", ("inference_server.tasks",), False),
    ("services", ("inference_server.scheduler", "inference_server.access", "inference_server.auth",
                  "inference_server.outflow", "inference_server.runner", "inference_server.failures"), False),
    ("apps", ("inference_server.server", "inference_server.batch", "inference_server.demo",
              "inference_server.install"), True),
    ("entry", ("inference_server.cli", "inference_server.batch.child"), False),
]
ENGINES_MAY_IMPORT = ("inference_server.frames", "inference_server.fileio", "inference_server.engines")


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def offenders(folder: str, forbidden: set[str]) -> dict[str, set[str]]:
    files = sorted((REPO / folder).rglob("*.py"))
    assert files, f"no python files under {folder}/"
    return {str(p.relative_to(REPO)): bad for p in files if (bad := imported_roots(p) & forbidden)}


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def own_imports(root: Path, path: Path) -> list[tuple[str, int]]:
    """(module, line) for each import of inference_server.* or hostbridge.* in ``path``.

    ``from pkg import name`` counts as an import of ``pkg.name`` when that is a module under ``root``;
    relative imports are resolved against the file's package.
    """
    tree = ast.parse(path.read_text(), filename=str(path))
    here = module_name(root, path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
            subs = [f"{base}.{a.name}" for a in node.names]
            names = [base] + [s for s in subs if (root / (s.replace(".", "/") + ".py")).is_file()
                              or (root / s.replace(".", "/")).is_dir()]
        found += [(n, node.lineno) for n in names if n.split(".")[0] in ("inference_server", "hostbridge")]
    return found


def layer_of(module: str) -> tuple[int, str]:
    """(layer index, the prefix that placed it); (-1, "") for the bare package, KeyError when unplaced."""
    if module == "inference_server":
        return -1, ""
    best: tuple[int, str] | None = None
    for i, (_, prefixes, _) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > len(best[1])):
                best = (i, prefix)
    if best is None:
        raise KeyError(f"{module} is in no layer: add it to LAYERS in tests/test_import_direction.py")
    return best


def layer_violations(root: Path) -> list[str]:
    """Each import inside ``root/inference_server`` that runs against LAYERS, as 'file:line: a -> b (why)'."""
    bad: list[str] = []
    for path in sorted((root / "inference_server").rglob("*.py")):
        src = module_name(root, path)
        src_layer, src_prefix = layer_of(src)
        for target, line in own_imports(root, path):
            where = f"{path.relative_to(root)}:{line}: {src} -> {target}"
            if src.startswith("inference_server.engines") and target.split(".")[0] == "hostbridge":
                bad.append(f"{where} (pure engines do not import hostbridge)")
                continue
            if target.split(".")[0] != "inference_server":
                continue
            dst_layer, dst_prefix = layer_of(target)
            if src.startswith("inference_server.engines") and dst_layer >= 0 and not target.startswith(ENGINES_MAY_IMPORT):
                bad.append(f"{where} (pure engines import only {', '.join(ENGINES_MAY_IMPORT)})")
            elif dst_layer > src_layer:
                bad.append(f"{where} (layer {LAYERS[src_layer][0]} imports the higher layer {LAYERS[dst_layer][0]})")
            elif dst_layer == src_layer and LAYERS[src_layer][2] and dst_prefix != src_prefix:
                bad.append(f"{where} ({src_prefix} and {dst_prefix} are independent applications)")
    return bad


def test_hosts_import_only_hostbridge() -> None:
    assert offenders("nuke", HOST_FORBIDDEN) == {}
    assert offenders("resolve", HOST_FORBIDDEN) == {}
    assert offenders("hostbridge", HOST_FORBIDDEN) == {}


def test_daemon_never_imports_hosts() -> None:
    assert offenders("inference_server", DAEMON_FORBIDDEN) == {}
    assert offenders("hostbridge", DAEMON_FORBIDDEN) == {}


def test_the_checker_sees_imports(tmp_path: Path) -> None:
    f = tmp_path / "x.py"
    f.write_text("import torch.nn\nfrom inference_server.tasks import base\nimport os\n")
    assert imported_roots(f) == {"torch", "inference_server", "os"}


def test_every_daemon_module_has_a_layer() -> None:
    modules = [module_name(REPO, p) for p in (REPO / "inference_server").rglob("*.py")]
    assert len(modules) > 50
    placed = {m: LAYERS[layer_of(m)[0]][0] for m in modules if m != "inference_server"}
    assert placed["inference_server.frames"] == "frames" and placed["inference_server.engines.look.fit"] == "engines"
    assert placed["inference_server.batch.child"] == "entry" and placed["inference_server.batch.plan"] == "apps"


def test_daemon_layers_point_down() -> None:
    assert layer_violations(REPO) == []


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name in ("frames", "media", "runner", "server", "demo", "tasks/__init__", "tasks/base", "engines/__init__",
                 "engines/look/__init__", "engines/look/fit", "cli/__init__", "cli/common", "__init__"):
        p = tmp_path / "inference_server" / f"{name}.py"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("")
    for name, text in files.items():
        (tmp_path / "inference_server" / name).write_text(text)
    return tmp_path


def test_the_layer_checker_fails_on_imports_that_run_up(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "engines/look/fit.py": "from inference_server.frames import to_float\nfrom inference_server import media\n"
                               "def f():\n    from inference_server.tasks.base import Frame\n    import hostbridge\n",
        "frames.py": "from __future__ import annotations\nfrom . import media\n",
        "runner.py": "from inference_server.tasks import base\n\ndef g():\n    from inference_server.server import x\n",
        "demo.py": "from inference_server.server import y\nfrom inference_server.runner import z\n",
        "server.py": "from inference_server import demo, __version__\n",
        "cli/common.py": "from inference_server import server, demo, runner\n",
    })
    found = layer_violations(root)
    assert [v.split(" (")[0] for v in found] == [
        "inference_server/demo.py:1: inference_server.demo -> inference_server.server",
        "inference_server/engines/look/fit.py:2: inference_server.engines.look.fit -> inference_server.media",
        "inference_server/engines/look/fit.py:4: inference_server.engines.look.fit -> inference_server.tasks.base",
        "inference_server/engines/look/fit.py:5: inference_server.engines.look.fit -> hostbridge",
        "inference_server/frames.py:2: inference_server.frames -> inference_server.media",
        "inference_server/runner.py:4: inference_server.runner -> inference_server.server",
        "inference_server/server.py:1: inference_server.server -> inference_server.demo",
    ]
    assert "independent applications" in found[0] and "higher layer media" in found[4]
    (root / "inference_server" / "stray.py").write_text("")
    try:
        layer_violations(root)
    except KeyError as exc:
        assert "inference_server.stray is in no layer" in str(exc)
    else:
        raise AssertionError("a module outside every layer was not reported")


# In-function imports of the daemon's own modules (inference_server.*, hostbridge.*) that stay, by file:
# (how many at most, why). Heavy third-party libraries (torch, onnxruntime, ray, PyOpenColorIO, cv2,
# OpenImageIO, av) stay lazy inside the daemon's modules and are not counted here, so importing any of
# the daemon's own modules is cheap and the CLI imports them at its top.
LAZY_ALLOWED: dict[str, tuple[int, str]] = {
    "inference_server/batch/child.py": (1, "PR_SET_PDEATHSIG is set before the CLI (and its imports) load"),
    "inference_server/install/checks.py": (1, "hostbridge needs pyzmq; `rushes doctor` reports it missing instead of failing"),
    "inference_server/tasks/train.py": (1, "project.train imports torch (via project.net, ~2 s): only when a training job runs"),
}


def lazy_own_imports(path: Path) -> list[int]:
    """Lines of import statements of inference_server.* or hostbridge.* inside a function of ``path``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    lines: set[int] = set()
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                mods = [node.module or ""] if node.level == 0 else ["inference_server"]
            else:
                continue
            if any(m.split(".")[0] in ("inference_server", "hostbridge") for m in mods):
                lines.add(node.lineno)
    return sorted(lines)


def lazy_import_problems(root: Path, allowed: dict[str, tuple[int, str]]) -> list[str]:
    counts = {str(p.relative_to(root)): len(lazy_own_imports(p)) for p in sorted((root / "inference_server").rglob("*.py"))}
    problems = [f"{name}: {n} import(s) of the daemon's own modules inside functions (lines "
                f"{', '.join(map(str, lazy_own_imports(root / name)))}); move them to the top"
                for name, n in counts.items() if n > allowed.get(name, (0, ""))[0]]
    problems += [f"{name}: allowed {most} lazy import(s), has none: drop it from LAZY_ALLOWED"
                 for name, (most, _) in allowed.items() if counts.get(name, 0) == 0]
    return problems


def test_daemon_imports_its_own_modules_at_the_top() -> None:
    assert all(reason for _, reason in LAZY_ALLOWED.values())
    assert lazy_import_problems(REPO, LAZY_ALLOWED) == []


def test_the_lazy_import_count_sees_imports_in_functions(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "media.py": "import os\nfrom inference_server.frames import Frame\n\n\ndef f():\n    import cv2\n\n"
                    "    from inference_server import windows\n    return cv2, windows\n\n\n"
                    "class A:\n    def g(self):\n        from . import writers\n        import hostbridge.protocol\n",
    })
    assert lazy_own_imports(root / "inference_server" / "media.py") == [8, 14, 15]
    problems = lazy_import_problems(root, {"inference_server/runner.py": (1, "why")})
    assert problems[0].startswith("inference_server/media.py: 3 import(s)") and "lines 8, 14, 15" in problems[0]
    assert problems[1].startswith("inference_server/runner.py: allowed 1")
    assert lazy_import_problems(root, {"inference_server/media.py": (3, "why")}) == []
