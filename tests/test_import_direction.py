"""Dependencies point one way: nuke/, resolve/ -> hostbridge <- inference_server."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HOST_FORBIDDEN = {"inference_server", "torch", "onnxruntime", "OpenImageIO", "cv2", "PyOpenColorIO", "scipy", "av"}
DAEMON_FORBIDDEN = {"nuke", "nukescripts", "DaVinciResolveScript", "fusionscript", "rushes_nuke", "rushes_resolve"}


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
