"""Wire engine: matte refinement, spatial fill, flow, temporal fill, regrain, whole-shot repair."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from inference_server.engines.metrics import psnr
from inference_server.engines.wire import flow, matte, regrain, ridges, spatial, steady, temporal
from inference_server.engines.wire.repair import WireRemover, WireSettings, frames_read, hint_bands, neighbour_steps
from inference_server.engines.wire.synthetic import texture, wire_shot
from inference_server.engines.wire.temporal import fill_temporal


def test_refined_matte_is_tight_and_inside_the_hint() -> None:
    truth, plates, hints = wire_shot(1)
    m = matte.refine_wire_matte(plates[0], hints[0])
    wire = np.abs(plates[0] - truth[0]).max(axis=2) > 0.02
    assert m.dtype == np.float32 and m.shape == hints[0].shape
    assert not (m[hints[0] == 0] > 0).any()
    assert (m[wire] > 0.5).mean() > 0.97                 # covers the wire
    assert (m > 0).sum() < 0.75 * (hints[0] > 0).sum()   # much tighter than the 12 px hint


def test_refine_finds_a_bright_wire_and_rejects_bad_input() -> None:
    truth, _, hints = wire_shot(1)
    yy = np.arange(truth[0].shape[0])[:, None]
    bright = truth[0].copy()
    band = (np.abs(yy - 40) < 1.5)[:, :, None] & np.ones((1, 160, 1), bool)
    bright = np.where(band, 0.99, bright).astype(np.float32)
    hint = (np.abs(yy - 40) < 6).astype(np.float32) * np.ones((1, 160), np.float32)
    m = matte.refine_wire_matte(bright, hint)
    assert (m[band[:, :, 0]] > 0.5).mean() > 0.95 and (m > 0).sum() < 0.75 * hint.sum()
    with pytest.raises(ValueError, match="hint shape"):
        matte.refine_wire_matte(bright, hint[:10])
    with pytest.raises(ValueError, match="float32"):
        matte.refine_wire_matte(bright.astype(np.float64), hint)


def test_fill_spatial_keeps_known_pixels_and_beats_opencv() -> None:
    import cv2

    img = texture(96, 160, 3)
    mask = np.zeros((96, 160), np.float32)
    mask[44:50, 10:150] = 1.0
    out = spatial.fill_spatial(img, mask)
    np.testing.assert_array_equal(out[mask == 0], img[mask == 0])
    hole = mask > 0
    u8 = np.rint(img * 255).astype(np.uint8)
    telea = cv2.inpaint(u8, hole.astype(np.uint8) * 255, 5, cv2.INPAINT_TELEA).astype(np.float32) / 255
    assert psnr(out[hole], img[hole]) > psnr(telea[hole], img[hole])
    with pytest.raises(ValueError, match="whole image"):
        spatial.fill_spatial(img, np.ones((96, 160), np.float32))


def test_dense_flow_measures_a_shift_and_consistency_flags_occlusion() -> None:
    a = texture(64, 96, 5)
    b = np.roll(a, 3, axis=1)
    f = flow.dense_flow(a, b)
    assert f.shape == (64, 96, 2)
    assert np.median(f[8:-8, 8:-8, 0]) == pytest.approx(3.0, abs=0.3)
    assert np.median(np.abs(f[8:-8, 8:-8, 1])) < 0.3
    back = flow.dense_flow(b, a)
    ok = flow.consistency_mask(f, back)
    assert ok[8:-8, 8:-8].mean() > 0.9
    bad = flow.consistency_mask(f, np.zeros_like(f))
    assert bad[8:-8, 8:-8].mean() < 0.1


def test_dense_flow_on_a_frame_under_32_px_tall_measures_its_shift_and_does_not_crash() -> None:
    """OpenCV's DIS flow faulted (SIGSEGV) on frames 8-31 px tall and 40-600 px wide: run in a child
    process, so a regression fails this test instead of taking pytest down."""
    code = (
        "import numpy as np\n"
        "from inference_server.engines.wire import flow\n"
        "rng = np.random.default_rng(3)\n"
        "for h, w in ((31, 641), (8, 40), (16, 200), (24, 500), (12, 12)):\n"
        "    a = rng.random((h, w)).astype(np.float32)\n"
        "    a = (a + np.roll(a, 1, 1) + np.roll(a, 1, 0)) / 3\n"
        "    f = flow.dense_flow(a, np.roll(a, 2, axis=1), 'fast')\n"
        "    print(h, w, f.shape[0], f.shape[1], float(np.median(f[:, 8:-8, 0])))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=str(Path(flow.__file__).resolve().parents[3]))
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [line.split() for line in done.stdout.splitlines()]
    assert [(int(r[2]), int(r[3])) for r in rows] == [(31, 641), (8, 40), (16, 200), (24, 500), (12, 12)]
    for r in rows[:4]:  # each frame's shift of 2 px, measured through its repeated rows
        assert float(r[4]) == pytest.approx(2.0, abs=0.5), r


def test_two_strokes_in_one_box_one_taller_than_wide_keep_their_own_floors() -> None:
    """A frame 28 px wide: two small strokes over the same rows share the crop the search reads around
    them; one is taller than wide and read transposed. Their floors, kept under one key in the frame's
    memo, had each other's length: the search raised a numpy broadcast error (a hint of scattered
    dots on a narrow frame). Now each is read as on its own, memo or none."""
    img = np.dstack([texture(200, 28, 7)] * 3).astype(np.float32)
    hint = np.zeros((200, 28), np.float32)
    hint[100:102, 3] = 1.0                      # taller than wide
    hint[100, 20:22] = 1.0
    hint[101, 22] = 1.0                         # wider than tall, over the same two rows
    alone = matte.find_wire_matte(img, hint)[0]
    memo: dict[object, object] = {}
    kept = matte.find_wire_matte(img, hint, memo=memo)[0]
    assert kept.shape == (200, 28)
    assert np.array_equal(kept, alone)
    assert sorted(bool(k[-1]) for k in memo) == [False, True]  # type: ignore[index]


def test_fill_temporal_static_recovers_exact_background() -> None:
    truth, plates, hints = wire_shot(3, drift=8.0)
    mts = [matte.refine_wire_matte(p, h) for p, h in zip(plates, hints, strict=True)]
    tf = fill_temporal(plates[1], mts[1], [plates[0], plates[2]], [mts[0], mts[2]], [-1, 1], mode="static")
    hole = mts[1] > 0
    assert tf.static and (tf.weight[hole] > 0).all()
    assert psnr(tf.fill[hole], truth[1][hole]) > 45


def test_a_neighbour_that_shows_only_its_wire_fringe_yields_to_one_that_shows_the_background() -> None:
    """The nearest neighbours' wires lie beside the hole, so the hole falls in the feather of their mattes
    (their pixels still hold the wire's fringe); the next pair shows the background clean. The fill must
    come from the clean pair: the search goes on to it, and a fringe candidate weighs little beside it."""
    h, w = 32, 48
    background = np.full((h, w, 3), 0.2, np.float32)
    fringe = np.full((h, w, 3), 0.2, np.float32)
    fringe[14:18, 8:40] = 0.8                           # the neighbours' wire fringe over the hole's rows
    hole = np.zeros((h, w), np.float32)
    hole[14:18, 8:40] = 1.0
    target = np.where(hole[:, :, None] > 0, 0.9, background).astype(np.float32)
    feather = np.where(hole > 0, 0.85, 0.0).astype(np.float32)  # below CAND_MATTE: usable, but part wire
    clean = np.zeros((h, w), np.float32)
    tf = fill_temporal(target, hole, [fringe, fringe, background, background], [feather, feather, clean, clean],
                       [-1, 1, -2, 2], mode="static")
    inside = hole > 0
    assert float(np.abs(tf.fill[inside] - 0.2).max()) < 0.03  # taking the nearest pair alone gives 0.8
    assert float(tf.clean[inside].min()) > 0.9
    only_fringe = fill_temporal(target, hole, [fringe, fringe], [feather, feather], [-1, 1], mode="static")
    assert float(np.abs(only_fringe.clean[inside] - 0.15).max()) < 1e-5  # said, when there is nothing better


def test_a_neighbours_wire_seen_past_its_hint_is_never_lent() -> None:
    """The nearest neighbours' wire lies where the target's hole is, outside their own hints (so not
    in their mattes) but seen there (``neighbour_seen``): they must lend nothing there; the next pair
    shows the background. Their flow guides are not changed by it (the mattes given stay as they are)."""
    h, w = 32, 48
    background = np.full((h, w, 3), 0.2, np.float32)
    wired = background.copy()
    wired[14:18, 8:40] = 0.8
    hole = np.zeros((h, w), np.float32)
    hole[14:18, 8:40] = 1.0
    target = np.where(hole[:, :, None] > 0, 0.9, background).astype(np.float32)
    none = np.zeros((h, w), np.float32)
    args = (target, hole, [wired, wired, background, background], [none] * 4, [-1, 1, -2, 2])
    blind = fill_temporal(*args, mode="static")
    inside = hole > 0
    assert float(np.abs(blind.fill[inside] - 0.8).max()) < 1e-5  # unseen, the wire is lent
    tf = fill_temporal(*args, mode="static", neighbour_seen=[hole, hole, none, none])
    assert float(np.abs(tf.fill[inside] - 0.2).max()) < 1e-5
    with pytest.raises(ValueError, match="3 neighbour_seen masks for 4 neighbours"):
        fill_temporal(*args, mode="static", neighbour_seen=[hole, hole, none])


def test_a_panning_neighbours_wire_seen_past_its_hint_is_never_lent() -> None:
    """The same over a pan (flow, not the same pixel): the neighbours' wire, drawn where the target's
    hole is once aligned, is outside their mattes but seen; their flow guides keep it (it moves with
    the background), and only the warp's sub-pixel blend at the wire's edge row may be lent."""
    h, w = 64, 96
    big = texture(h, w + 16, seed=5)
    frames = [np.ascontiguousarray(big[:, 8 + 2 * d: 8 + 2 * d + w]) for d in (-1, 0, 1)]  # 2 px a frame
    hole = np.zeros((h, w), np.float32)
    hole[30:34, 20:76] = 1.0
    target = np.where(hole[:, :, None] > 0, 0.03, frames[1]).astype(np.float32)
    wired, seen = [], []
    for d, f in ((-1, frames[0]), (1, frames[2])):
        s = np.zeros((h, w), np.float32)
        s[30:34, 20 - 2 * d:76 - 2 * d] = 1.0  # where the target's hole lies in that frame
        wired.append(np.where(s[:, :, None] > 0, 0.03, f).astype(np.float32))
        seen.append(s)
    none = np.zeros((h, w), np.float32)
    inside = hole > 0
    blind = fill_temporal(target, hole, wired, [none, none], [-1, 1], mode="temporal")
    assert not blind.static and (blind.weight[inside] > 0).all()
    assert float(blind.fill[inside].mean()) < 0.15  # unseen, the wire is lent over the whole hole
    tf = fill_temporal(target, hole, wired, [none, none], [-1, 1], mode="temporal", neighbour_seen=seen)
    assert not (tf.weight[31:34, 20:76] > 0).any()
    assert float((tf.weight[inside] > 0).mean()) <= 0.25


def test_grain_estimate_and_synthesis_match_level_dependence() -> None:
    rng = np.random.default_rng(2)
    ramp = np.repeat(np.linspace(0.1, 0.9, 200, dtype=np.float32)[None, :, None], 120, 0).repeat(3, 2)
    sigma = 0.005 + 0.03 * ramp
    noisy = (ramp + sigma * rng.standard_normal(ramp.shape)).astype(np.float32)
    model = regrain.estimate_grain(noisy)
    np.testing.assert_allclose(model.sigma[1], 0.005 + 0.03 * model.levels, rtol=0.15)
    mask = np.zeros((120, 200), np.float32)
    mask[:, 100:] = 1
    out = regrain.apply_grain(ramp.copy(), mask, model, 1.0, seed=4)
    np.testing.assert_array_equal(out[:, :100], ramp[:, :100])
    added = (out - ramp)[:, 150:190, 0]
    assert added.std() == pytest.approx(float(np.mean(sigma[:, 150:190, 0])), rel=0.2)
    again = regrain.apply_grain(ramp.copy(), mask, model, 1.0, seed=4)
    np.testing.assert_array_equal(out, again)


def test_hint_bands_follow_the_wire_not_the_frame() -> None:
    hint = np.zeros((2160, 3840), np.float32)
    for x in range(3840):
        y = int(200 + x * 0.4)
        hint[y - 6:y + 6, x] = 1
    bands = hint_bands(hint, 24, 256)
    area = sum((c[1] - c[0]) * (c[3] - c[2]) for c, _ in bands)
    assert len(bands) == 15 and area < 0.15 * hint.size
    covered = np.zeros(hint.shape, bool)
    for c, _ in bands:
        covered[c[0]:c[1], c[2]:c[3]] = True
    assert covered[hint > 0].all()


@pytest.mark.parametrize("method", ["auto", "temporal", "static", "spatial"])
def test_repair_leaves_outside_of_hint_bit_exact(method: str) -> None:
    truth, plates, hints = wire_shot(4, pan=2.0, noise=0.01, drift=5.0)
    u16 = [np.rint(p * 65535).astype(np.uint16) for p in plates]
    rem = WireRemover(lambda i: u16[i], lambda i: hints[i], 4, WireSettings(method=method, window=2))
    for i in range(4):
        out, m = rem.repair(i)
        assert out.dtype == np.uint16
        outside = hints[i] == 0
        np.testing.assert_array_equal(out[outside], u16[i][outside])
        assert not (m[outside] > 0).any()
        hole = hints[i] > 0
        gain = 4 if method in ("spatial", "static") else 10  # static mode on a panning plate falls back to spatial
        assert psnr(out[hole].astype(np.float32) / 65535, truth[i][hole]) > psnr(plates[i][hole], truth[i][hole]) + gain


def test_static_camera_is_repaired_nearly_exactly_by_temporal_mode() -> None:
    truth, plates, hints = wire_shot(6, drift=3.0)
    rem = WireRemover(lambda i: plates[i], lambda i: hints[i], 6, WireSettings(method="static", window=4, regrain=0))
    for i in range(6):
        out, _ = rem.repair(i)
        hole = hints[i] > 0
        assert psnr(out[hole], truth[i][hole]) > 45
        assert np.abs(out - truth[i]).max() < 0.02


@pytest.mark.parametrize(("pan", "far_read"), [(0.0, True), (0.3, True), (2.0, False)])
def test_a_slow_wire_over_a_still_shot_is_filled_from_frames_beyond_the_window(pan: float, far_read: bool,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A wire drifting 0.6 px a frame over a locked-off shot: the frames within the window (2) hide its
    core too, the ones up to twice the window show it. They lend, and only there: a slow pan (0.3 px a
    frame, still-looking a frame away) is checked at the farthest frame and lends nothing from them
    (they lent 1.3 dB worse than the near ones here); a panning shot's far frames are never fetched.
    The frame's own repair is measured: no other frame's repair averaged in (``steady``)."""
    monkeypatch.setattr(steady, "STEADY", 0)
    truth, plates, hints = wire_shot(12, pan=pan, noise=0.01, drift=0.6)
    asked: set[int] = set()

    def plate(i: int) -> np.ndarray:
        asked.add(i)
        return plates[i]

    def repair(far: bool) -> tuple[float, set[int]]:
        rem = WireRemover(plate, lambda i: hints[i], 12, WireSettings(window=2, regrain=0))
        if not far:
            rem._far_neighbours = lambda i: []  # type: ignore[method-assign]
        for j in range(12):
            rem._matte_u8(j)  # every matte first: what the fill reads is counted alone
        asked.clear()
        out, m = rem.repair(6)
        return psnr(out[m > 0], truth[6][m > 0]), set(asked)

    with_far, read = repair(True)
    near_only, _ = repair(False)
    assert (read - {4, 5, 6, 7, 8} != set()) is far_read
    if pan == 0.0:
        assert read == set(range(2, 11))
        assert with_far > near_only + 3.0  # measured 38.9 against 34.7 dB: the core is shown, not painted
    else:
        assert with_far == near_only


def test_far_frames_are_few_and_the_frames_read_bound_them() -> None:
    """The far offsets are the nearest few beyond the near ones (their plates are held at once, so a
    16-frame window adds 5 a side, not 27), and ``frames_read`` (a farm chunk's handles) covers both, and
    the ``2 * steady.STEADY`` nearest frames whose repairs a frame's fill is averaged with (at a shot's
    end, all on one side)."""
    assert neighbour_steps(4, "auto") == ([1, 2, 4], [3, 5, 6, 7, 8])
    assert neighbour_steps(16, "auto") == ([1, 2, 4, 8, 16], [3, 5, 6, 7, 9])
    assert neighbour_steps(16, "static")[1] == [17, 18, 19, 20, 21]
    assert steady.STEADY == 4
    assert [frames_read(w) for w in (0, 1, 2, 4, 16)] == [8, 10, 12, 16, 29]


def test_frames_numbered_below_zero_are_regrained() -> None:
    truth, plates, hints = wire_shot(4, noise=0.01)
    rem = WireRemover(lambda i: plates[i], lambda i: hints[i], 4, WireSettings(window=1, regrain=1.0),
                      number=lambda i: i - 3)  # frames -3..0
    outs = [rem.repair(i)[0] for i in range(4)]
    assert all(np.isfinite(o).all() and not np.array_equal(o, p) for o, p in zip(outs, plates, strict=True))


def test_anchored_grain_belongs_to_the_frame_not_to_the_crop() -> None:
    model = regrain.GrainModel(np.array([0.0, 1.0], np.float32), np.full((3, 2), 0.05, np.float32), 0.8, 0.5)
    flat = np.full((40, 60, 3), 0.5, np.float32)
    ones = np.ones((40, 60), np.float32)
    a = regrain.apply_grain(flat, ones, model, seed=3, anchor=(100, 200))
    b = regrain.apply_grain(flat, ones, model, seed=3, anchor=(110, 215))  # the same frame, 10 rows and 15 columns on
    np.testing.assert_allclose(a[10:, 15:], b[:30, :45], atol=1e-6)
    assert 0.04 < float((a - flat).std()) < 0.06  # the model's grain, sized and normalised
    unanchored = regrain.apply_grain(flat, ones, model, seed=3)
    assert float(np.abs(unanchored - a).mean()) > 0.02


def _crawl(noise: float, pan: float = 0.0, renewal: float | None = None) -> tuple[float, float, list[float]]:
    """A regrained repair of ``wire_shot`` (8 frames, the wire drifting 0.6 px a frame): (its mean
    frame-to-frame change inside both frames' mattes, the clean plate's there, the renewing shares the fill
    measured). ``renewal`` replaces what it measures."""
    truth, plates, hints = wire_shot(8, drift=0.6, noise=noise, pan=pan)
    rem = WireRemover(lambda i: plates[i], lambda i: hints[i], 8, WireSettings(window=2, regrain=1.0))
    seen: list[float] = []
    real = temporal._renewal

    def spy(*a: object) -> float:
        seen.append(real(*a) if renewal is None else renewal)  # type: ignore[arg-type]
        return seen[-1]

    temporal._renewal = spy  # type: ignore[assignment]
    try:
        outs, mattes = zip(*[rem.repair(i) for i in range(8)], strict=True)
    finally:
        temporal._renewal = real
    both = [(mattes[t] > 0) & (mattes[t - 1] > 0) for t in range(3, 6)]
    return (float(np.mean([np.abs(outs[t] - outs[t - 1])[b].mean() for t, b in zip(range(3, 6), both)])),
            float(np.mean([np.abs(truth[t] - truth[t - 1])[b].mean() for t, b in zip(range(3, 6), both)])), seen)


def test_a_still_plate_gets_grain_that_holds_still_and_renews_what_the_plate_renews() -> None:
    """A locked-off plate whose texture holds still from frame to frame (as a compressed static shot):
    the repair's grain must not crawl. With grain that renews every frame, the repair's must renew as
    much. The renewing share is measured around the hole (``TemporalFill.renewal``); the painted core
    gets the rest as grain fixed to its place in the frame."""
    assert _crawl(0.0)[0] < 0.01                # measured 0.003; the plate itself: 0
    assert _crawl(0.0, renewal=1.0)[0] > 0.03   # every frame its own grain (the old behaviour): 0.04
    ours, plate, _ = _crawl(0.02)
    assert 0.8 < ours / plate < 1.25            # measured 0.90 (renewal 0.65: fine texture reads as grain too)


def test_a_panning_plate_gets_as_much_renewing_grain_as_it_renews() -> None:
    """A pan over a compressed plate: its fine detail moves with the scene and does not renew, so grain
    renewed in full every frame over the fill crawls (the tennis clay: flicker x1.25 with regrain on,
    x1.03 without). The renewing share is measured against the neighbour as the fill aligned it, in a
    moving shot as in a still one; a plate whose own noise renews still gets it back."""
    ours, plate, renewals = _crawl(0.0, pan=2.0)
    assert max(renewals) < 0.2 and ours / plate < 1.1  # measured 0.02-0.03 and 0.95 (renewed in full: 1.28)
    assert _crawl(0.0, pan=2.0, renewal=1.0)[0] / plate > 1.2  # what renewing in full did: 1.28
    ours, plate, renewals = _crawl(0.03, pan=2.0)
    assert min(renewals) > 0.5 and 0.8 < ours / plate < 1.25  # measured 0.67-0.73 and 0.97


def test_settings_reject_unknown_method() -> None:
    with pytest.raises(ValueError, match="method 'magic'"):
        WireSettings(method="magic")


def test_wire_over_clipped_sky_is_repaired_not_blacked_out() -> None:
    """A wire against a blown-out (flat, clipped) sky: the grain model must not produce NaN."""
    from inference_server.frames import Frame
    from inference_server.runner import run_local

    h, w = 256, 384
    rng = np.random.default_rng(5)
    plates, hints = [], []
    for t in range(3):
        plate = np.full((h, w, 3), 255, np.uint8)
        plate[h // 2:] = rng.integers(60, 120, (h - h // 2, w, 3), dtype=np.uint8)
        y = 60 + t
        plate[y:y + 3, :] = 20
        hint = np.zeros((h, w, 1), np.uint8)
        hint[y - 5:y + 8, :] = 255
        plates.append(Frame(plate, 1001 + t))
        hints.append(Frame(hint, 1001 + t))
    out: list[Frame] = []
    run_local("wire_removal", {"plate": plates, "hint": hints}, {}, None, None, lambda n, f: out.append(f), None, None)
    assert len(out) == 3
    for t, frame in enumerate(out):
        y = 60 + t
        assert frame.pixels.dtype == np.uint8
        assert int(frame.pixels[y:y + 3, 5:-5].min()) >= 250, "the wire over a clipped sky must come back white"


@pytest.mark.parametrize("method", ["auto", "spatial"])
def test_bands_worked_side_by_side_give_the_same_frames_as_one_at_a_time(
        method: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The bands of a frame run in threads (``BAND_WORKERS``); what they read of other frames is
    # fetched first, and each band writes only its own core: the frames must not change by a bit,
    # and the plate and hint accessors must only be called on the calling thread.
    import threading

    from inference_server.engines.wire import repair as rp

    _, plates, hints = wire_shot(n=6, h=96, w=320, pan=2.0, noise=0.01, seed=4)
    main = threading.get_ident()
    off_thread: list[str] = []

    def plate(i: int) -> np.ndarray:
        if threading.get_ident() != main:
            off_thread.append(f"plate {i}")
        return plates[i]

    def hint(i: int) -> np.ndarray:
        if threading.get_ident() != main:
            off_thread.append(f"hint {i}")
        return hints[i]

    runs = {}
    for workers in (1, 3):
        monkeypatch.setattr(rp, "BAND_WORKERS", workers)
        rem = WireRemover(plate, hint, len(plates), WireSettings(method=method, band=64, regrain=1.0, seed=2))
        assert len(hint_bands(hints[2], rem.settings.margin, rem.settings.band)) >= 3
        runs[workers] = [rem.repair(i) for i in range(len(plates))]
    for (a, ma), (b, mb) in zip(runs[1], runs[3], strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(ma, mb)
    assert off_thread == []


def test_compiled_loops_give_what_their_python_source_gives() -> None:
    """The path search and the rays' march and interpolation run compiled (numba, without the GIL);
    their Python sources are the readable definition and must give the same answers."""
    from inference_server.engines.wire import paths

    rng = np.random.default_rng(5)
    gt = np.round(rng.random((60, 40)) * 4).astype(np.float32)  # ties included
    np.testing.assert_array_equal(paths._best_path(gt, 2, np.float32(1.5)), paths._best_path_py(gt, 2, np.float32(1.5)))
    state = np.full((30 + 2 * 6, 50 + 2 * 6), 2, np.int8)  # 2: off the image, around it
    state[6:-6, 6:-6] = rng.choice(np.array([0, 1, 1, 1], np.int8), size=(30, 50))
    state = state.ravel()
    ys, xs = np.nonzero(rng.random((30, 50)) < 0.2)
    start = ((ys + 6) * 62 + (xs + 6)).astype(np.int64)
    steps = np.arange(1, 7)
    oys = np.stack([np.rint(s * steps * np.sin(a)).astype(np.int64) for a in (0.0, 0.8, 1.6) for s in (1.0, -1.0)])
    oxs = np.stack([np.rint(s * steps * np.cos(a)).astype(np.int64) for a in (0.0, 0.8, 1.6) for s in (1.0, -1.0)])
    smooth = rng.random((30 * 50, 3)).astype(np.float32)
    got = spatial._rays(state, start, oys, oxs, 62, 50, smooth, np.float32(0.2))
    want = spatial._rays_py(state, start, oys, oxs, 62, 50, smooth, np.float32(0.2))
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    assert (got[1] > 0).any() and (got[1] == 0).any()  # rays that reach known pixels both ways, and none


def test_compiled_ridge_loops_give_what_numpy_and_their_python_source_give() -> None:
    """The ridge strength of one scale and the keeping of the most over the scales run compiled
    (numba: fused, without some 25 full-size temporaries); they must give, bit for bit, what the
    numpy expressions they replaced gave, and what their Python sources give."""
    import cv2

    rng = np.random.default_rng(11)
    lum = cv2.GaussianBlur(rng.random((24, 40), dtype=np.float32), (0, 0), 1.0)
    lum[10:12] -= 0.3  # a dark line, so that ridges are there to find
    s = 1.2
    lxx, lyy, lxy, sx, sy = (cv2.Sobel(cv2.GaussianBlur(lum, (0, 0), s), cv2.CV_32F, a, b, ksize=3)
                             for a, b in ((2, 0), (0, 2), (1, 1), (1, 0), (0, 1)))
    # the numpy expression (float32 throughout), as ridge_responses computed it until stop 47
    half, root = 0.5 * (lxx + lyy), np.sqrt((0.5 * (lxx - lyy)) ** 2 + lxy**2)
    big, small = half + root, half - root
    gx, gy = sx * np.float32(0.125), sy * np.float32(0.125)
    q = (lxx - lyy) / np.maximum(4.0 * root, 1e-12)
    c2 = np.clip(0.5 + q, 0.0, 1.0)
    mixed = gx * gy * lxy / np.maximum(root, 1e-12)
    across_big = np.maximum(gx * gx * c2 + gy * gy * (1.0 - c2) + mixed, 0.0)
    across_small = np.maximum(gx * gx * (1.0 - c2) + gy * gy * c2 - mixed, 0.0)
    norm, weight = np.float32(s * s), np.float32(ridges.EDGE_WEIGHT * s)
    d0 = np.maximum(norm * np.maximum(big - np.abs(small), 0.0) - weight * np.sqrt(across_big), 0.0)
    b0 = np.maximum(norm * np.maximum(-small - np.abs(big), 0.0) - weight * np.sqrt(across_small), 0.0)
    for fn in (ridges._ridge_terms, ridges._ridge_terms_py):
        got = [np.empty_like(lxx) for _ in range(3)]
        fn(lxx, lyy, lxy, sx, sy, norm, weight, *got)
        for g, want in zip(got, (d0, b0, q), strict=True):
            np.testing.assert_array_equal(g, want)
    assert d0.max() > 0.01 and b0.max() > 0.0
    for along in (-1, 0, 1):
        kept = []
        for fn in (ridges._keep, ridges._keep_py):
            acc = [np.full(lxx.shape, 0.004, np.float32) for _ in range(2)] + [np.full(lxx.shape, 0.8, np.float32)
                                                                              for _ in range(2)]
            acc += [np.zeros(lxx.shape, np.float32) for _ in range(2)]
            fn(d0, b0, 0.5 * d0, 0.5 * b0, q, q, along, np.float32(1), np.float32(0), np.float32(s), *acc)
            kept.append(acc)
        for a, b in zip(*kept, strict=True):
            np.testing.assert_array_equal(a, b)
        dark, _, dark_s, _, whole_d, _ = kept[0]
        cos2 = np.clip(0.5 - q, 0.0, 1.0)
        w = 1.0 if along < 0 else (cos2 if along == 0 else 1.0 - cos2) ** 2
        np.testing.assert_array_equal(whole_d, np.maximum(0.0, d0 * w))
        np.testing.assert_array_equal(dark, np.maximum(0.004, 0.5 * d0 * w))
        assert set(np.unique(dark_s)) == {np.float32(0.8), np.float32(s)}
    # along a direction (2): at 0 degrees it is the x axis, bit for bit; at 90 the y axis
    r = (lxy / np.maximum(2.0 * np.sqrt((0.5 * (lxx - lyy)) ** 2 + lxy**2), 1e-12)).astype(np.float32)
    for cos2, sin2, axis in ((1.0, 0.0, 0), (-1.0, 0.0, 1), (0.0, 1.0, -1)):  # 0, 90 and 45 degrees
        got = {}
        for along, fn in ((2, ridges._keep), (2, ridges._keep_py), (axis, ridges._keep)):
            acc = [np.zeros(lxx.shape, np.float32) for _ in range(2)] + [np.full(lxx.shape, 0.8, np.float32)
                                                                         for _ in range(2)]
            acc += [np.zeros(lxx.shape, np.float32) for _ in range(2)]
            fn(d0, b0, d0, b0, q, r, along, np.float32(cos2), np.float32(sin2), np.float32(s), *acc)
            got[(along, fn)] = acc
        direction, python, by_axis = got.values()
        for a, b, c in zip(direction, python, by_axis, strict=True):
            np.testing.assert_array_equal(a, b)
            if axis == 0:
                np.testing.assert_array_equal(a, c)
            elif axis == 1:  # 1 - (0.5 - q) against 0.5 + q: the last bit may differ
                np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-7)
        if axis < 0:  # 45 degrees: the weight is cos^4 of the angle to it, read from r (sin 2 alpha / 2)
            w45 = np.clip(0.5 - r, 0.0, 1.0) ** 2
            np.testing.assert_allclose(direction[4], np.maximum(0.0, d0 * w45), rtol=1e-5, atol=1e-7)


def test_a_loop_numba_cannot_cache_is_still_compiled_and_run() -> None:
    """A function with no source file on disk (as a read-only install without a user cache is to
    numba's cache) cannot be cached: it is compiled for the process all the same."""
    from inference_server.engines.wire.compiled import compiled

    space: dict[str, object] = {}
    exec("def total(a):\n    s = 0.0\n    for v in a:\n        s += v\n    return s\n", space)  # noqa: S102
    fast = compiled(space["total"])  # type: ignore[arg-type]
    assert fast(np.arange(5, dtype=np.float64)) == 10.0
    assert fast.__wrapped__ is space["total"]  # type: ignore[attr-defined]


def test_a_moving_bands_still_background_is_taken_as_the_neighbour_holds_it() -> None:
    """In a band where someone walks past, the candidate is warped by flow, and around the hole the
    flow is the least sure. Where the neighbour's own pixels match the target's surroundings better
    than the warped ones (the still wall), they are taken as they are; where the scene moved (the
    right half, 2 px), the warped candidate stays."""
    h, w = 40, 96
    truth = texture(h, w, seed=7)
    nb = truth.copy()
    nb[:, 48:] = np.roll(truth, 2, axis=1)[:, 48:]           # the right half moved 2 px
    warped = truth.copy()
    warped[:, :48] = np.roll(truth, 1, axis=0)[:, :48]       # flow a pixel off over the still half
    hole = np.zeros((h, w), np.float32)
    hole[18:22, 4:-4] = 1.0
    target = np.where(hole[:, :, None] > 0, 0.95, truth).astype(np.float32)
    region = temporal._region(target, hole)
    none = np.zeros((h, w), np.float32)
    cand, ok, cand_m = temporal._still_where_it_matches(target, warped, np.ones((h, w), bool), none, nb, none, region)
    assert np.array_equal(cand[18:22, 8:40], truth[18:22, 8:40])   # the still half: the neighbour's own pixels
    assert np.array_equal(cand[18:22, 56:88], truth[18:22, 56:88])  # the moved half: the warped ones
    assert ok.all() and not cand_m.any()
    wire = none.copy()
    wire[18:22, :] = 1.0                                      # the neighbour's own wire lies there: still excluded
    _, _, cand_m = temporal._still_where_it_matches(target, warped, np.ones((h, w), bool), none, nb, wire, region)
    assert (cand_m[18:22, 8:40] == 1.0).all()
