"""Wire removal engine: pure numpy functions from a plate and a rough hint to a clean plate.

Modules (import what you need; nothing heavy is imported here):

- ``matte``: ``refine_wire_matte(image, hint)`` -> tight soft wire matte inside the hint;
- ``flow``: ``dense_flow(a, b)`` (H, W, 2), ``consistency_mask(fwd, bwd)``, ``warp(image, flow)``;
- ``temporal``: ``fill_temporal(target, matte, neighbours, neighbour_mattes, offsets, mode)``
  and ``seam_correction`` (low-frequency blend of borrowed pixels into the frame);
- ``spatial``: ``fill_spatial(image, mask)`` for never-revealed pixels, ``push_pull`` diffusion;
- ``regrain``: ``estimate_grain(image, exclude_mask) -> GrainModel``,
  ``apply_grain(image, mask, model, amount, seed)``;
- ``repair``: ``WireRemover`` / ``WireSettings``, the whole shot band by band;
- ``synthetic``: small synthetic wire shots for tests, the demo and benchmarks.

These signatures are shared with the clean-plate and training engines: keep them stable.
"""
