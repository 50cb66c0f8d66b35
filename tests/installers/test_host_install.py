"""`rushes install nuke|resolve` into a temporary HOME, for each OS layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from inference_server.install import ops
from inference_server.install.hosts import MARK
from inference_server.install.manifest import load_manifest
from inference_server.install.sources import Sources
from tests.installers.conftest import PY, folders, make_layout, snapshot

OSES = ["linux", "macos", "windows"]
ARTIST_INIT = "import nuke\nnuke.pluginAddPath('./gizmos')\n"


def _install(kind: str, os_name: str, home: Path, sources: Sources, **kw: object) -> ops.Outcome:
    layout = make_layout(os_name, home)  # type: ignore[arg-type]
    plan = ops.make_plan(kind, layout, sources, pythons=(PY,), **kw)  # type: ignore[arg-type]
    return ops.install(plan, layout, sources, start=False, **{k: v for k, v in kw.items() if k == "nuke_root"})  # type: ignore[arg-type]


@pytest.mark.parametrize("os_name", OSES)
def test_nuke_install_reinstall_uninstall(os_name: str, home: Path, sources: Sources) -> None:
    (home / ".nuke").mkdir()
    (home / ".nuke" / "init.py").write_text(ARTIST_INIT)
    before = snapshot(home)
    outcome = _install("nuke", os_name, home, sources)
    root = home / ".nuke" / "rushes"
    assert (root / "plugin" / "menu.py").read_text() == "import rushes_nuke\nrushes_nuke.install_menu()\n"
    assert (root / "plugin" / "rushes_nuke" / "__init__.py").is_file()
    assert not (root / "plugin" / "rushes_nuke" / "__pycache__").exists()       # caches are not copied
    assert (root / "lib" / "hostbridge" / "client.py").is_file()
    assert (root / "lib" / f"py{PY}" / "zmq" / "__init__.py").is_file()
    assert (root / "lib" / f"py{PY}" / "msgpack" / "__init__.py").is_file()
    assert f'_RUSHES_ROOT = r"{root}"' in (root / "init.py").read_text()
    init = (home / ".nuke" / "init.py").read_text()
    line = f'import nuke; nuke.pluginAddPath("{root.as_posix()}")  {MARK}'
    assert init == ARTIST_INIT + line + "\n"                      # the artist's lines untouched, ONE line added
    state = snapshot(home)
    again = _install("nuke", os_name, home, sources)
    assert outcome.manifest is not None and again.manifest is not None
    assert sorted(f.path for f in again.manifest.files) == sorted(f.path for f in outcome.manifest.files)
    rel = str(again.manifest_path.relative_to(home))
    assert {k: v for k, v in snapshot(home).items() if k != rel} == {k: v for k, v in state.items() if k != rel}
    assert (home / ".nuke" / "init.py").read_text().count(MARK) == 1
    removed = ops.remove("nuke", make_layout(os_name, home), stop=False)  # type: ignore[arg-type]
    assert removed.left_behind == []
    assert snapshot(home) == before
    assert folders(home) == [".nuke"]


def test_nuke_init_created_by_install_is_removed(home: Path, sources: Sources) -> None:
    _install("nuke", "linux", home, sources)
    assert (home / ".nuke" / "init.py").read_text().count("\n") == 1
    ops.remove("nuke", make_layout("linux", home), stop=False)
    assert list(home.iterdir()) == []


def test_nuke_path_for_a_studio_folder(home: Path, tmp_path: Path, sources: Sources) -> None:
    studio = tmp_path / "studio_nuke"
    studio.mkdir()
    outcome = _install("nuke", "linux", home, sources, nuke_root=studio)
    assert (studio / "rushes" / "plugin" / "init.py").is_file()
    assert MARK in (studio / "init.py").read_text()
    assert not (home / ".nuke").exists()
    assert outcome.manifest_path.name.startswith("nuke-")
    layout = make_layout("linux", home)
    with pytest.raises(FileNotFoundError, match="not installed"):
        ops.remove("nuke", layout, stop=False)                  # the default place has no install
    ops.remove("nuke", layout, nuke_root=studio, stop=False)
    assert list(studio.iterdir()) == []


def test_reinstall_removes_files_the_new_version_dropped(home: Path, sources: Sources, source_tree: Path) -> None:
    extra = source_tree / "nuke" / "rushes_nuke" / "old.py"
    extra.write_text("x = 1\n")
    _install("nuke", "linux", home, sources)
    installed = home / ".nuke" / "rushes" / "plugin" / "rushes_nuke" / "old.py"
    assert installed.is_file()
    extra.unlink()
    _install("nuke", "linux", home, sources)
    assert not installed.exists()


def test_conflicting_file_is_refused_then_forced(home: Path, sources: Sources) -> None:
    mine = home / ".nuke" / "rushes" / "plugin" / "menu.py"
    mine.parent.mkdir(parents=True)
    mine.write_text("# the artist's own file\n")
    with pytest.raises(FileExistsError, match="menu.py already exists and was not installed by rushes"):
        _install("nuke", "linux", home, sources)
    assert mine.read_text() == "# the artist's own file\n"
    assert not (home / ".nuke" / "init.py").exists()               # nothing half-done
    layout = make_layout("linux", home)
    plan = ops.make_plan("nuke", layout, sources, pythons=(PY,))
    ops.install(plan, layout, sources, start=False, force=True)
    assert mine.read_text().startswith("import rushes_nuke")


def test_uninstall_keeps_files_the_artist_added_and_python_caches_go(home: Path, sources: Sources) -> None:
    _install("nuke", "linux", home, sources)
    pkg = home / ".nuke" / "rushes" / "plugin" / "rushes_nuke"
    (pkg / "__pycache__").mkdir()
    (pkg / "__pycache__" / "__init__.cpython-311.pyc").write_bytes(b"\0")
    notes = home / ".nuke" / "rushes" / "plugin" / "my_notes.txt"
    notes.write_text("keep me")
    removed = ops.remove("nuke", make_layout("linux", home), stop=False)
    assert notes.read_text() == "keep me"
    assert not pkg.exists()
    assert any(str(notes.parent) in item for item in removed.left_behind)
    assert load_manifest(removed.manifest_path) is None


@pytest.mark.parametrize("os_name", OSES)
def test_resolve_install_and_uninstall(os_name: str, home: Path, sources: Sources) -> None:
    layout = make_layout(os_name, home)  # type: ignore[arg-type]
    outcome = _install("resolve", os_name, home, sources)
    scripts = Path(str(layout.resolve_scripts))
    lib = Path(str(layout.resolve_lib)) / "lib"
    assert (scripts / "Utility" / "Rushes Look Match.py").read_text() == "print('look')\n"
    assert (scripts / "Color" / "Rushes Shot Match.py").is_file()
    assert (lib / "rushes_resolve" / "__init__.py").is_file()
    assert (lib / "hostbridge" / "protocol.py").is_file()
    assert (lib / f"py{PY}" / "zmq").is_dir()
    assert not (scripts / "Utility" / "rushes_resolve").exists()   # no package under the Scripts menu
    assert outcome.manifest is not None and outcome.manifest.lines == []
    assert outcome.manifest.info["python_versions"] == [PY]
    ops.remove("resolve", layout, stop=False)
    assert list(home.iterdir()) == []


def test_missing_wheels_name_the_python_version(home: Path, sources: Sources, monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    from inference_server.install import fetch

    monkeypatch.setattr(fetch, "run_pip", lambda cmd: "ERROR: No matching distribution found for pyzmq")
    monkeypatch.setenv("RUSHES_WHEEL_CACHE", str(tmp_path / "wheel-cache"))
    layout = make_layout("linux", home)
    plan = ops.make_plan("nuke", layout, sources, pythons=("3.7",))
    with pytest.raises(FileNotFoundError, match="for Python 3.7"):
        ops.install(plan, layout, sources, start=False)
    assert list(home.iterdir()) == []
    no_wheels = Sources(sources.tree, None, "0.1.0")
    with pytest.raises(FileNotFoundError, match=f"Python {PY}: ERROR: No matching distribution.*--bundle"):
        ops.install(ops.make_plan("nuke", layout, no_wheels, pythons=(PY,)), layout, no_wheels, start=False)


def test_cli_nuke_dry_run_lists_the_line_and_writes_nothing(home: Path, source_tree: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from inference_server.cli import main

    assert main(["install", "nuke", "--dry-run", "--source", str(source_tree)]) == 0
    out = capsys.readouterr().out
    assert f"add to {home / '.nuke' / 'init.py'}: import nuke; nuke.pluginAddPath(" in out
    assert "for Python 3.9" in out and "for Python 3.11" in out
    assert list(home.iterdir()) == []
    assert main(["install", "nuke", "--python-versions", "3.x"]) == 2
    assert "3.x" in capsys.readouterr().err


def test_the_checkouts_own_plugins_install_byte_for_byte(home: Path, sources: Sources) -> None:
    from tests.installers.conftest import REPO

    real = Sources(REPO, sources.wheelhouse, "0.1.0")
    _install("nuke", "linux", home, real)
    _install("resolve", "linux", home, real)
    layout = make_layout("linux", home)

    def files(folder: Path) -> list[Path]:
        return [p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"]

    nuke_src = files(REPO / "nuke")
    assert nuke_src, "the checkout's nuke/ folder is empty"
    for src in nuke_src:
        assert (home / ".nuke" / "rushes" / "plugin" / src.relative_to(REPO / "nuke")).read_bytes() == src.read_bytes()
    utility = sorted((REPO / "resolve" / "Fusion" / "Scripts" / "Utility").glob("*.py"))
    assert utility, "the checkout has no Resolve Utility scripts"
    for src in utility:
        assert (Path(str(layout.resolve_scripts)) / "Utility" / src.name).read_bytes() == src.read_bytes()
    lib = Path(str(layout.resolve_lib)) / "lib"
    assert (lib / "rushes_resolve" / "__init__.py").read_bytes() == (REPO / "resolve" / "rushes_resolve" /
                                                                     "__init__.py").read_bytes()
    ops.remove("nuke", layout, stop=False)
    ops.remove("resolve", layout, stop=False)
    assert list(home.iterdir()) == []


@pytest.mark.parametrize("order", [("service", "nuke", "resolve"), ("resolve", "nuke", "service")])
def test_components_share_folders_and_any_uninstall_order_is_clean(order: tuple[str, ...], home: Path,
                                                                    sources: Sources) -> None:
    layout = make_layout("linux", home)
    for kind in ("service", "nuke", "resolve"):
        ops.install(ops.make_plan(kind, layout, sources, pythons=(PY,), python="/usr/bin/python3"),
                    layout, sources, start=False)
    assert sorted(m.kind for _, m in ops.installed(layout)) == ["nuke", "resolve", "service"]
    for kind in order:
        assert ops.remove(kind, layout, stop=False).left_behind == []
    assert list(home.iterdir()) == []


def test_an_install_that_fails_half_way_can_still_be_uninstalled(home: Path, sources: Sources,
                                                                 tmp_path: Path) -> None:
    layout = make_layout("linux", home)
    plan = ops.make_plan("nuke", layout, sources, pythons=(PY,))
    plan.add_file(home / ".nuke" / "rushes" / "zz_last.py", source=tmp_path / "vanished.py")
    with pytest.raises(FileNotFoundError, match="vanished.py"):
        ops.install(plan, layout, sources, start=False)
    partial = load_manifest(ops.manifest_path(layout, "nuke"))
    assert partial is not None and partial.installed_at == "incomplete"
    assert (home / ".nuke" / "rushes" / "plugin" / "menu.py").is_file()
    assert str(home / ".nuke" / "rushes" / "plugin" / "menu.py") in {f.path for f in partial.files}
    ops.remove("nuke", layout, stop=False)
    assert list(home.iterdir()) == []


def test_cli_nuke_path_relative_and_tilde(home: Path, tmp_path: Path, source_tree: Path, wheelhouse: Path,
                                          monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from inference_server.cli import main

    monkeypatch.chdir(tmp_path)
    common = ["--source", str(source_tree), "--wheelhouse", str(wheelhouse), "--python-versions", PY]
    assert main(["install", "nuke", "--nuke-path", "studio", *common]) == 0
    assert f'nuke.pluginAddPath("{(tmp_path / "studio" / "rushes").as_posix()}")' in (
        tmp_path / "studio" / "init.py").read_text()
    assert main(["install", "nuke", "--nuke-path", "~/elsewhere", *common]) == 0
    assert (home / "elsewhere" / "rushes" / "init.py").is_file()
    assert main(["uninstall", "nuke", "--nuke-path", "studio"]) == 0
    assert main(["uninstall", "nuke", "--nuke-path", "~/elsewhere"]) == 0
    assert not (tmp_path / "studio").exists()          # install created it, so uninstall removes it
    assert list(home.iterdir()) == []


def test_bootstrap_never_breaks_nuke_start_up(home: Path, sources: Sources, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    import sys
    import types

    _install("nuke", "linux", home, sources)
    boot = home / ".nuke" / "rushes" / "init.py"

    def broken(path: str) -> None:
        raise RuntimeError("plugin path is read-only")

    monkeypatch.setitem(sys.modules, "nuke", types.SimpleNamespace(pluginAddPath=broken))
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(sys, "version_info", (3, 9, 0))               # a Nuke 14 without wheels here
    pipeline = sys.path[0]                                            # e.g. the studio's own site-packages
    exec(compile(boot.read_text(), str(boot), "exec"), {"__name__": "__main__"})
    assert sys.path[0] == pipeline and sys.path[-1] == str(home / ".nuke" / "rushes" / "lib"), \
        "issue 17, item 9: the bundled wheels come after the pipeline's own"
    err = capsys.readouterr().err
    assert "no pyzmq/msgpack for Python 3.9" in err
    assert "rushes: plugin not loaded: plugin path is read-only" in err
    assert str(home / ".nuke" / "rushes" / "lib") in sys.path
