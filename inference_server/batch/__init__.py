"""`rushes batch`: a night's plan (TOML) turned into per-shot tasks on an existing engine.

- ``plan``: read and check the plan; every error names the table and key, before anything runs.
- ``graph``: the plan as tasks (ingest -> train -> repairs and looks, per shot and frame chunk),
  each a `rushes` command line with the files it reads and writes.
- ``execute``: one task, idempotent: a claim (lock) per task, outputs staged then renamed,
  a completion record that ``--resume`` trusts.
- ``local`` / ``ray_engine``: run the tasks here or on a Ray cluster.
- ``openjd`` / ``opencue``: export the tasks as an Open Job Description template or an OpenCue job.
- ``report``: report.json and report.html for the morning.

Nothing here imports Ray, OpenJD or OpenCue at import time.
"""
