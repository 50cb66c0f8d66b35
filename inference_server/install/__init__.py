"""Installing and operating Rushes on a workstation: the service, the host plugins, bundles, doctor.

- ``paths``: per-OS locations (computed for Linux, macOS and Windows on any machine)
- ``manifest``: plans, atomic writes, install manifests, exact uninstall
- ``service``: systemd / launchd / Task Scheduler from ``installers/`` templates
- ``hosts``: Nuke and Resolve layouts; ``wheels``: pyzmq/msgpack per host Python
- ``ops``: install / uninstall one component; ``bundle``: offline bundles
- ``checks``: the rows of ``rushes doctor``
"""

from __future__ import annotations
