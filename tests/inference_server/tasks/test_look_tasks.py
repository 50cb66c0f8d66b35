"""look_fit and shot_match tasks: frames in, look files and a summary out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from inference_server.engines.look import files, spaces
from inference_server.engines.look.cdl import Cdl, apply_cdl
from inference_server.frames import Frame
from inference_server.tasks import look_fit, shot_match
from inference_server.tasks.base import TaskContext, TaskInputError

GRADE = Cdl((1.1, 1.0, 0.92), (0.01, 0.0, -0.02), (1.0, 1.0, 1.0), 1.1)


def picture(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:64, 0:96] / 96.0
    img = np.stack([0.2 + 0.6 * xx, 0.2 + 0.6 * yy, 0.5 + 0.3 * np.sin(8 * xx + seed)], axis=2)
    return (img + rng.normal(0, 0.01, img.shape)).astype(np.float32)


def graded(img: np.ndarray) -> np.ndarray:
    return apply_cdl(img.reshape(-1, 3), GRADE).reshape(img.shape).astype(np.float32)


def test_look_fit_task_emits_every_file_and_a_summary(tmp_path: Path) -> None:
    src = [Frame(picture(i), 1001 + i, "ACEScct") for i in range(2)]
    grd = [Frame(graded(f.pixels), f.number, "ACEScct") for f in src]
    ctx = TaskContext()
    params = look_fit.MANIFEST.validate_params({"lut_size": 17})
    summary = look_fit.run({"source": src, "graded": grd}, params, ctx)
    assert set(ctx.blobs) == {"look.cube", "look.clf", "look.cc", "look.ccc", "look.cdl",
                              "shot_balance.ccc", "shot_balance.1.cc", "shot_balance.2.cc"}
    assert summary["cdl"]["slope"] == pytest.approx(list(GRADE.slope), abs=5e-3)
    assert summary["lut_size"] == 17 and summary["in_space"] == "ACEScct" and "stops" in summary["text"]
    # One grade over both pairs: each shot's balance is (nearly) none, said in the colorist's words.
    assert summary["two_layer"] is True and [b["pair"] for b in summary["balances"]] == [1, 2]
    for b in summary["balances"]:
        assert abs(b["exposure_stops"]) < 0.05 and abs(b["warmth_stops"]) < 0.05
        assert b["text"].startswith(f"pair {b['pair']} (frame {b['frame']}): ")
        assert any(w in b["text"] for w in ("warmer", "cooler", "neutral (warmth)"))
    assert set(summary["balance_model"]) == {"target", "alpha", "working_space", "heroes"}
    assert "rushes-balance {" in ctx.blobs["look.cube"].decode()
    # Resolve's Look Match and Nuke's Look cache take the first blob (sorted) ending in .cc/.ccc/.cdl
    # as the look's CDL: the balances must not come first.
    assert next(k for k in sorted(ctx.blobs) if k.endswith((".cc", ".ccc", ".cdl"))) == "look.cc"
    ccc = ctx.blobs["shot_balance.ccc"].decode()
    assert ccc.count("<ColorCorrection id=") == 2 and 'id="rushes_balance_2"' in ccc
    x = picture(5).reshape(-1, 3)
    for name, data in ctx.blobs.items():
        if name.startswith("shot_balance."):
            continue
        path = tmp_path / name
        path.write_bytes(data)
        _, cpu = files.look_transform(path)
        assert np.abs(spaces.apply_processor(cpu, x) - apply_cdl(x, GRADE)).max() < 5e-3, name


def test_look_fit_task_refuses_bad_input() -> None:
    a = Frame(picture(0), 1, "ACEScct")
    params = look_fit.MANIFEST.validate_params({})
    with pytest.raises(TaskInputError, match="same number of source and graded"):
        look_fit.run({"source": [a, a], "graded": [a]}, params, TaskContext())
    small = Frame(picture(0)[:32], 1, "ACEScct")
    with pytest.raises(TaskInputError, match="pair 1: source is 96x64 but graded is 96x32"):
        look_fit.run({"source": [a], "graded": [small]}, params, TaskContext())
    with pytest.raises(TaskInputError, match="unknown colour space 'Rec709ish'"):
        look_fit.run({"source": [a], "graded": [a]}, {**params, "in_space": "Rec709ish"}, TaskContext())
    with pytest.raises(TaskInputError, match="lut_size"):
        look_fit.MANIFEST.validate_params({"lut_size": 200})


def test_look_fit_uses_the_frames_colour_space() -> None:
    lin = spaces.convert(picture(1), "ACEScct", "ACEScg")
    f = Frame(lin, 1, "ACEScg")
    summary = look_fit.run({"source": [f], "graded": [f]}, look_fit.MANIFEST.validate_params({"lut_size": 9}),
                           TaskContext())
    assert summary["in_space"] == "ACEScg" and summary["shaper"] is True
    assert abs(summary["exposure_stops"]) < 0.01


def test_shot_match_task() -> None:
    shot = [Frame(picture(i), 1 + i, "ACEScct") for i in range(12)]
    hero = [Frame(graded(picture(3)) + np.float32(0.08), 1, "ACEScct")]   # warmer and brighter
    ctx = TaskContext()
    summary = shot_match.run({"shot": shot, "hero": hero}, shot_match.MANIFEST.validate_params({}), ctx)
    assert set(ctx.blobs) == {"match.cc", "match.ccc", "match.cdl", "match.cube"}
    assert summary["temperature"] == "warmer" and summary["exposure_stops"] > 1.0
    st = summary["statistics"]
    assert abs(st["matched_luma"] - st["hero_luma"]) < 0.005 < 0.05 < abs(st["shot_luma"] - st["hero_luma"])
    with pytest.raises(TaskInputError, match="at least one shot frame"):
        shot_match.run({"shot": [], "hero": hero}, shot_match.MANIFEST.validate_params({}), TaskContext())


def test_look_fit_and_shot_match_through_a_real_daemon(daemon: str, tmp_path: Path) -> None:
    from hostbridge import Client
    from hostbridge.errors import BadInput
    from hostbridge.frames import array_frame

    src = [array_frame(picture(i), 1 + i, "ACEScct") for i in range(2)]
    grd = [array_frame(graded(picture(i)), 1 + i, "ACEScct") for i in range(2)]
    with Client(daemon, timeout=60.0) as client:
        res = client.run("look_fit", {"source": src, "graded": grd}, {"lut_size": 17})
        assert {"look.cube", "look.cc", "look.clf"} <= set(res.blobs)
        assert res.summary["cdl"]["slope"] == pytest.approx(list(GRADE.slope), abs=5e-3)
        (tmp_path / "look.cube").write_bytes(res.blobs["look.cube"])
        _, cpu = files.look_transform(tmp_path / "look.cube")
        x = picture(7).reshape(-1, 3)
        assert np.abs(spaces.apply_processor(cpu, x) - apply_cdl(x, GRADE)).max() < 5e-3
        res = client.run("shot_match", {"shot": src[:1], "hero": grd[:1]})
        assert "match.cc" in res.blobs and res.summary["temperature"] == "warmer"
        with pytest.raises(BadInput, match="unknown colour space .LogC9.*ARRI LogC4"):
            client.run("look_fit", {"source": src, "graded": grd}, {"in_space": "LogC9"})


def test_graded_still_at_timeline_resolution_is_resampled() -> None:
    """Resolve exports stills at timeline resolution: same framing, smaller size."""
    import numpy as np

    from inference_server.frames import Frame
    from inference_server.tasks import look_fit
    from inference_server.tasks.base import TaskContext

    rng = np.random.default_rng(3)
    base = rng.random((12, 16, 3), dtype=np.float32)
    source = np.kron(base, np.ones((8, 8, 1), np.float32)) * 0.6 + 0.1  # 96x128, blocky so resampling is exact
    graded_full = np.clip(source * 1.2 + 0.02, 0, 1)
    graded_small = np.kron(base * 0.6 + 0.1, np.ones((4, 4, 1), np.float32)) * 1.2 + 0.02  # 48x64: same picture
    ctx_a, ctx_b = TaskContext(), TaskContext()
    params = look_fit.MANIFEST.validate_params({"in_space": "ACEScct", "lut_size": 17})
    full = look_fit.run({"source": [Frame(source, 1)], "graded": [Frame(graded_full, 1)]}, params, ctx_a)
    small = look_fit.run({"source": [Frame(source, 1)], "graded": [Frame(np.clip(graded_small, 0, 1), 1)]}, params, ctx_b)
    for key in ("slope", "offset", "power"):
        np.testing.assert_allclose(small["cdl"][key], full["cdl"][key], atol=2e-3)
    other = look_fit.match_sizes(np.zeros((96, 128, 3), np.float32), np.zeros((50, 80, 3), np.float32))
    assert [a.shape for a in other] == [(96, 128, 3), (50, 80, 3)]  # another framing: left for the fit to refuse


def test_look_fit_task_balances_each_shot(tmp_path: Path) -> None:
    """Pairs exposed and balanced differently under one grade: each pair's .cc undoes its own
    shift, and the look after it reproduces every grade."""
    from inference_server.engines.look.apply import apply_look, balanced_processor

    shifts = [np.array([0.05, 0.05, 0.05]), np.array([-0.04, -0.03, -0.02]), np.array([0.0, 0.0, 0.03])]
    base = [picture(0), np.roll(picture(0), 20, axis=1), np.roll(picture(0), 40, axis=1)]
    src = [Frame((b + s).astype(np.float32), 101 + i, "ACEScct") for i, (b, s) in enumerate(zip(base, shifts))]
    grd = [Frame(graded(b), 101 + i, "ACEScct") for i, b in enumerate(base)]
    ctx = TaskContext()
    summary = look_fit.run({"source": src, "graded": grd}, look_fit.MANIFEST.validate_params({"lut_size": 17}), ctx)
    (tmp_path / "look.cube").write_bytes(ctx.blobs["look.cube"])
    mean_shift = np.mean(shifts, axis=0)
    for i, (s, g) in enumerate(zip(src, grd)):
        cc = tmp_path / f"b{i}.cc"
        cc.write_bytes(ctx.blobs[f"shot_balance.{i + 1}.cc"])
        bal = files.read_cdl(cc)
        np.testing.assert_allclose(bal.offset, -(shifts[i] - mean_shift), atol=0.006)
        out = apply_look(s.pixels, balanced_processor(tmp_path / "look.cube", bal))
        assert np.abs(out - g.pixels).mean() < 5e-3
    first = summary["balances"][0]
    assert first["exposure_stops"] < -0.3 and "stop" in first["text"]          # the brightest pair comes down
    # Balances are only removed from the look as far as the heroes teach that their statistics
    # predict them (here they do: one set, different exposures); the model says so.
    assert summary["balance_model"]["alpha"][0] > 0.5


def test_shot_match_balances_a_shot_for_a_two_layer_look() -> None:
    import json

    shifts = [np.array([0.05, 0.05, 0.05]), np.array([-0.04, -0.04, -0.04]), np.array([0.0, 0.0, 0.0])]
    base = [np.roll(picture(0), 20 * i, axis=1) for i in range(3)]
    src = [Frame((b + s).astype(np.float32), 1 + i, "ACEScct") for i, (b, s) in enumerate(zip(base, shifts))]
    grd = [Frame(graded(b), 1 + i, "ACEScct") for i, b in enumerate(base)]
    fit = look_fit.run({"source": src, "graded": grd}, look_fit.MANIFEST.validate_params({"lut_size": 9}),
                       TaskContext())
    dark = Frame((np.roll(picture(0), 50, axis=1) - 0.06).astype(np.float32), 7, "ACEScct")   # a stop under
    ctx = TaskContext()
    params = shot_match.MANIFEST.validate_params({"balance_model": json.dumps(fit["balance_model"])})
    summary = shot_match.run({"shot": [dark]}, params, ctx)
    assert summary["mode"] == "look balance" and set(ctx.blobs) == {"match.cc", "match.ccc", "match.cdl", "match.cube"}
    # Back up toward the heroes' normalised state (their mean shift is +0.0033, ~+0.06 stop).
    assert 0.6 < summary["exposure_stops"] < 1.2 and summary["text"].startswith("Balance: +")
    assert summary["cdl"]["slope"] == [1.0, 1.0, 1.0] and summary["cdl"]["saturation"] == 1.0
    with pytest.raises(TaskInputError, match="balance_model is not a look's balance model"):
        shot_match.run({"shot": [dark]}, {**params, "balance_model": '{"target": 1}'}, TaskContext())
    with pytest.raises(TaskInputError, match="a hero or a balance_model, not both"):
        shot_match.run({"shot": [dark], "hero": [dark]}, params, TaskContext())
