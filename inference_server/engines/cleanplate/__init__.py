"""Clean plates and background manipulation over moving cameras.

- ``align``: global camera motion of every frame to a reference frame (ORB/AKAZE features,
  RANSAC homography or affine chosen per shot).
- ``temporal``: robust per-pixel temporal estimate that drops whatever moves.
- ``removal``: object/rig removal under a matte (aligned frames, then spatial fill, regrain).
- ``matte``: foreground matte from the difference against the re-projected clean plate.
- ``plate``: the whole clean-plate build for a shot, and its re-projection onto each frame.
- ``synthetic``: small panning shots with a moving object, for tests and demos.

Images are float32 (H, W, C) in the plate's own colour space (code values 0-1 for integer
files); mattes are float32 (H, W) 0-1. cv2 is imported inside the functions.
"""
