"""The daemon as a user service: systemd user unit, launchd agent, Windows scheduled task.

``service_plan`` renders the template for the layout's OS (``installers/systemd``,
``installers/launchd``, ``installers/windows``) into a ``Plan``: the service file, the log
folder, and the commands that register and start it (run only on that OS, unless
``--no-start``). The daemon is started as ``<python> -m inference_server.cli serve ...
--log-file <platform log folder>/rushes.log``.
"""

from __future__ import annotations

import getpass
import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import PureWindowsPath
from string import Template
from xml.sax.saxutils import escape

from inference_server.install.manifest import Plan
from inference_server.install.paths import SERVICE_LABEL, SERVICE_TASK, SERVICE_UNIT, Layout, current_os, local
from inference_server.install.sources import Sources


def default_python(layout: Layout, python: str | None) -> str:
    """The interpreter the service runs: ``--python``, else this one (pythonw.exe on Windows)."""
    if python:
        return python
    import sys

    if layout.os != current_os():   # a dry run for another OS: the usual venv place there
        if layout.os == "windows":
            return str(layout.data_dir / "venv" / "Scripts" / "pythonw.exe")
        return str(layout.data_dir / "venv" / "bin" / "python")
    exe = sys.executable
    if layout.os == "windows":
        win = PureWindowsPath(exe)
        if win.name.lower() == "python.exe":
            exe = str(win.with_name("pythonw.exe"))
    return exe


def serve_argv(python: str, layout: Layout, *, listen: str | None = None, device: str | None = None,
               store: str | None = None, extra: Sequence[str] = ()) -> list[str]:
    """The daemon's command line as a list of arguments."""
    argv = [python, "-m", "inference_server.cli", "serve"]
    if listen:
        argv += ["--listen", listen]
    if device:
        argv += ["--device", device]
    if store:
        argv += ["--store", store]
    argv += ["--log-file", str(layout.log_file), *extra]
    return argv


def systemd_quote(arg: str) -> str:
    """One ExecStart word: ``%`` and ``$`` escaped, quoted when it holds spaces or quotes."""
    word = arg.replace("%", "%%").replace("$", "$$")
    if word and not any(c in word for c in " \t\"'\\;"):
        return word
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'


def windows_user(env: Mapping[str, str]) -> str:
    user = env.get("USERNAME") or getpass.getuser()
    domain = env.get("USERDOMAIN")
    return f"{domain}\\{user}" if domain else user


def render_service(layout: Layout, sources: Sources, argv: Sequence[str], env: Mapping[str, str]) -> str:
    """The service file's text for ``layout.os``."""
    if layout.os == "linux":
        return Template(sources.template("systemd/rushes.service.in")).substitute(
            version=sources.version, exec_start=" ".join(systemd_quote(a) for a in argv))
    if layout.os == "macos":
        args = "\n".join(f"        <string>{escape(a)}</string>" for a in argv)
        return Template(sources.template("launchd/com.rushes.daemon.plist.in")).substitute(
            version=sources.version, label=SERVICE_LABEL, program_arguments=args, home=escape(str(layout.home)),
            stdout_log=escape(str(layout.log_dir / "rushes.out.log")),
            stderr_log=escape(str(layout.log_dir / "rushes.err.log")))
    return Template(sources.template("windows/rushes-daemon.xml.in")).substitute(
        version=sources.version, task_name=escape(SERVICE_TASK), user=escape(windows_user(env)),
        command=escape(argv[0]), arguments=escape(subprocess.list2cmdline(list(argv[1:]))),
        home=escape(str(layout.home)))


def encode_service(layout: Layout, text: str) -> bytes:
    """Windows Task Scheduler wants UTF-16 with a BOM; the others UTF-8."""
    return text.encode("utf-16") if layout.os == "windows" else text.encode("utf-8")


def service_commands(layout: Layout) -> tuple[list[list[str]], list[list[str]]]:
    """(commands that register + start the service, commands that stop + unregister it)."""
    path = str(layout.service_file)
    if layout.os == "linux":
        return ([["systemctl", "--user", "daemon-reload"], ["systemctl", "--user", "enable", "--now", SERVICE_UNIT]],
                [["systemctl", "--user", "disable", "--now", SERVICE_UNIT]])
    if layout.os == "macos":
        domain = f"gui/{os.getuid()}" if hasattr(os, "getuid") else "gui/501"
        return ([["launchctl", "bootout", f"{domain}/{SERVICE_LABEL}"], ["launchctl", "bootstrap", domain, path]],
                [["launchctl", "bootout", f"{domain}/{SERVICE_LABEL}"]])
    return ([["schtasks", "/Create", "/TN", SERVICE_TASK, "/XML", path, "/F"], ["schtasks", "/Run", "/TN", SERVICE_TASK]],
            [["schtasks", "/End", "/TN", SERVICE_TASK], ["schtasks", "/Delete", "/TN", SERVICE_TASK, "/F"]])


def service_plan(layout: Layout, sources: Sources, *, python: str | None = None, listen: str | None = None,
                 device: str | None = None, store: str | None = None,
                 env: Mapping[str, str] | None = None) -> Plan:
    """Everything ``rushes install service`` writes and runs for ``layout``."""
    environ = os.environ if env is None else env
    argv = serve_argv(default_python(layout, python), layout, listen=listen, device=device, store=store)
    text = render_service(layout, sources, argv, environ)
    start, stop = service_commands(layout)
    plan = Plan(kind="service", root=local(layout.service_file), dirs=[local(layout.log_dir)],
                commands=start, uninstall_commands=stop,
                info={"argv": argv, "log_file": str(layout.log_file), "version": sources.version})
    plan.add_file(local(layout.service_file), data=encode_service(layout, text))
    if layout.os == "linux":
        plan.notes.append("farm nodes without a login session: `loginctl enable-linger` starts it at boot")
    return plan


def run_commands(commands: Sequence[Sequence[str]], *, ignore_first_failure: bool = False) -> list[str]:
    """Run each command; return one line per failure (the service files stay written)."""
    problems: list[str] = []
    for i, cmd in enumerate(commands):
        try:
            done = subprocess.run(list(cmd), capture_output=True, text=True, timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            problems.append(f"{' '.join(cmd)}: {exc}")
            continue
        if done.returncode != 0 and not (ignore_first_failure and i == 0):
            detail = (done.stderr or done.stdout).strip().splitlines()
            problems.append(f"{' '.join(cmd)} exited {done.returncode}: {detail[-1] if detail else ''}")
    return problems
