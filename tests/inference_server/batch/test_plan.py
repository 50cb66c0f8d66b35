"""The plan: checked before anything runs, every error naming the table and key; tasks and chunks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from inference_server import media
from inference_server.batch.graph import build_tasks, find_task, stages
from inference_server.batch.plan import PlanError, dump_plan, load_plan, parse_plan
from inference_server.batch.synthetic import make_night
from inference_server.cli import main
from inference_server.engines.wire import steady
from inference_server.engines.wire.repair import frames_read


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return make_night(tmp_path_factory.mktemp("plan"), frames=7, chunk=3, train_steps=5)


def _plan(root: Path, text: str) -> Path:
    path = root / "bad.toml"
    path.write_text(text)
    return path


GOOD = """project = "night"
[[wire_remove]]
plate = "plates/A001/plate.####.png"
hint = "plates/A001/hint.####.png"
out = "renders/A001/A001_clean.####.png"
"""


@pytest.mark.parametrize(("text", "message"), [
    ('store = "x"\n', "[top level] key 'project' is required"),
    ('project = "night"\nshots = 3\n', "[top level] key 'shots' is not a known key or table"),
    (GOOD + 'mode = "fast"\n', "[wire_remove[1]] key 'mode' is 'fast'; choose one of auto, temporal, static, spatial"),
    (GOOD + "[[wire_remove]]\nplate = 'a.####.exr'\nhint = 'b.####.exr'\nout = 'c.####.exr'\nwindow = '2'\n",
     "[wire_remove[2]] key 'window' should be an integer, got '2'"),
    (GOOD + "[[wire_remove]]\nplate = 'a.####.exr'\nout = 'c.####.exr'\n", "[wire_remove[2]] key 'hint' is required"),
    (GOOD + 'frames = "1001-x"\n', "[wire_remove[1]] key 'frames' frame range '1001-x' is not A-B"),
    (GOOD + "regrain = 3.5\n", "[wire_remove[1]] key 'regrain' is 3.5; it should be between 0.0 and 2.0"),
    (GOOD + 'colour = "red"\n', "[wire_remove[1]] key 'colour' is not a known key; known:"),
    ('project = "night"\n[wire_remove]\nplate = "a"\n', "[wire_remove] should be an array of tables: write [[wire_remove]]"),
    (GOOD + "[[look_apply]]\nlook = 'l.cube'\ninput = 'i.####.exr'\nout = 'renders/A001/A001_clean.####.png'\n",
     "[look_apply[1]] key 'out' '"),
    (GOOD + "[[clean_plate]]\nplate = 'p.####.exr'\nout = 'plates/A001/plate.####.png'\n",
     "is an input ([wire_remove[1]] key 'plate')"),
    (GOOD + "[[clean_plate]]\nplate = 'p.####.exr'\nout = 'c.mov'\n", "[clean_plate[1]] key 'out' is a movie"),
    ('project = "night"\n[train]\nsteps = 0\n', "[train] key 'steps' is 0; it should be between 1 and 10000000"),
    ('project = "night"\n[farm]\ngpu_memory = "lots"\n', "[farm] key 'gpu_memory' is 'lots'; write it like 8G"),
    ('project = "night"\n[[ingest]]\npaths = []\n', "[ingest[1]] key 'paths' should be a non-empty list"),
    ('project = "night"\n[[wire_remove]\n', "is not valid TOML"),
])
def test_bad_plans_name_the_table_and_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(PlanError) as err:
        parse_plan(text, tmp_path / "night.toml")
    assert message in str(err.value) and str(tmp_path / "night.toml") in str(err.value)


def test_missing_inputs_are_named_before_anything_runs(night, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    text = night.plan.read_text().replace("plates/A002/hint.####.png", "plates/A002/hnit.####.png")
    plan = night.root / "typo.toml"
    plan.write_text(text.replace('report = "report"', f'report = "{tmp_path / "rep"}"'))
    assert main(["batch", str(plan)]) == 2
    err = capsys.readouterr().err
    assert "[wire_remove[2]] key 'hint'" in err and "hnit" in err
    assert not (tmp_path / "rep").exists()   # nothing ran, not even the ingest before it
    assert not (night.root / "store").exists()
    assert main(["batch", str(night.root / "nope.toml")]) == 2
    assert "no plan file" in capsys.readouterr().err


def test_plan_paths_defaults_and_tasks(night) -> None:  # type: ignore[no-untyped-def]
    plan = load_plan(night.plan)
    assert plan.project == "night" and plan.store == str(night.root / "store")
    assert plan.report == night.root / "report" and plan.chunk == 3 and plan.gpus == 1
    assert plan.ingest == ((str(night.root / "dailies"),),)
    assert [s.name for s in plan.shots] == ["A001", "A002", "C001", "A001_look"]
    tasks = build_tasks(plan)
    assert [t.id for t in tasks] == [
        "ingest.1", "train",
        "wire_remove.A001.1001-1003", "wire_remove.A001.1004-1006", "wire_remove.A001.1007-1007",
        "wire_remove.A002.1001-1003", "wire_remove.A002.1004-1006", "wire_remove.A002.1007-1007",
        "clean_plate.C001", "look_apply.A001_look"]
    assert [[t.id for t in g][:1] for g in stages(tasks)] == [["ingest.1"], ["train"], ["wire_remove.A001.1001-1003"]]
    mid = find_task(tasks, "wire_remove.A001.1004-1006")
    # the plan names no window: the task's default (4) holds, and the chunk keeps its own 3 frames but
    # reads twice the window each side (frames_read), here the whole 7-frame shot
    assert mid.argv[-2:] == ("--frames", "1001-1007")
    assert find_task(tasks, "wire_remove.A001.1001-1003").argv[-2:] == ("--frames", "1001-1007")
    assert mid.frames == (1004, 1005, 1006) and mid.gpu and mid.deps == ("train",)
    assert "--project" in mid.argv and mid.argv[mid.argv.index("--project") + 1] == "night"
    assert find_task(tasks, "train").argv == ("train", "wire-removal", "--project", "night", "--store",
                                              str(night.root / "store"), "--steps", "5", "--preset", "smoke")
    assert find_task(tasks, "wire_remove.A002@1005").id == "wire_remove.A002.1004-1006"
    assert find_task(tasks, "ingest.1").deps == () and not find_task(tasks, "look_apply.A001_look").gpu
    with pytest.raises(ValueError, match="no task of 'wire_remove.A002' that keeps frame 2000"):
        find_task(tasks, "wire_remove.A002@2000")
    with pytest.raises(ValueError, match="the plan has no task 'train.2'"):
        find_task(tasks, "train.2")


def test_the_plan_snapshot_gives_the_same_tasks(night, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    plan = load_plan(night.plan)
    copy = tmp_path / "elsewhere" / "plan.toml"
    copy.parent.mkdir()
    copy.write_text(dump_plan(plan))
    again = load_plan(copy)
    assert again.report == plan.report and again.store == plan.store and again.train == plan.train
    assert [(s.kind, s.name, {k: v for k, v in s.keys.items() if k != "name"}) for s in again.shots] == \
        [(s.kind, s.name, {k: v for k, v in s.keys.items() if k != "name"}) for s in plan.shots]
    assert build_tasks(again) == build_tasks(plan)


def test_a_chunked_shot_matches_the_whole_shot_render(tmp_path: Path) -> None:
    """A chunk is run with handles of ``frames_read`` (over a still background the repair borrows twice
    the window, and a frame's fill is averaged with the repairs of the ``2 * steady.STEADY`` frames
    nearest it: as many each side, or at the shot's ends all on one side)
    and its grain is seeded by frame number, not by its place in the chunk: every frame a chunk keeps
    equals the whole-shot render's, bit for bit, with regrain on. A001 holds still (no pan), so the
    averaged fill is in play."""
    night = make_night(tmp_path / "long", wire_shots=1, frames=28, train_steps=None, ingest=False, clean=False,
                       look=False, chunk=3)
    plan_path = night.root / "chunked.toml"
    plan_path.write_text(night.plan.read_text().replace("regrain = 0.0", "regrain = 1.0\nwindow = 1"))
    chunks = [t for t in build_tasks(load_plan(plan_path)) if t.kind == "wire_remove" and t.shot == "A001"]
    assert [t.chunk for t in chunks][:4] == ["1001-1003", "1004-1006", "1007-1009", "1010-1012"]
    assert frames_read(1) == 2 + 2 * steady.STEADY == 10
    assert chunks[4].argv[-2:] == ("--frames", "1003-1025")  # ten frames of handles each side
    last = chunks[-1].frames[-1]

    def run(task_argv: tuple[str, ...], out: str, frames: str) -> None:
        argv = list(task_argv)
        del argv[argv.index("--project"):argv.index("--project") + 2]  # no trained model: the classical matte
        argv[argv.index("--frames") + 1] = frames
        assert main([out if a == chunks[0].out else a for a in argv]) == 0

    whole = str(tmp_path / "whole" / "w.####.png")
    run(chunks[0].argv, whole, f"1001-{last}")
    for task in chunks[4:6]:  # chunks whose handles start and end inside the shot
        out = str(tmp_path / task.chunk / "c.####.png")
        run(task.argv, out, task.argv[-1])
        for n in task.frames:
            np.testing.assert_array_equal(media.read_image(media.output_path(out, n)),
                                          media.read_image(media.output_path(whole, n)), err_msg=f"frame {n}")
