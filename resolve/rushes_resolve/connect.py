"""Find the Resolve scripting object: the injected ``resolve``, or ``DaVinciResolveScript``.

A script run from Workspace > Scripts is handed ``resolve`` (and ``fusion``/``bmd``) in
its globals. Outside Resolve, ``DaVinciResolveScript`` is imported from
``$RESOLVE_SCRIPT_API/Modules`` and loads ``$RESOLVE_SCRIPT_LIB``. When neither works the
error says exactly why, including that since Resolve 21.1 scripting needs Resolve Studio.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from fusionscript import Resolve

STUDIO_NOTE = ("Since DaVinci Resolve 21.1 the scripting API is only available in "
               "DaVinci Resolve Studio; the free edition does not offer it.")

DEFAULT_API = {
    "linux": "/opt/resolve/Developer/Scripting",
    "darwin": "/Library/Application Support/Blackmagic Design/DaVinci Resolve/Developer/Scripting",
    "win32": "%PROGRAMDATA%\\Blackmagic Design\\DaVinci Resolve\\Support\\Developer\\Scripting",
}
DEFAULT_LIB = {
    "linux": "/opt/resolve/libs/Fusion/fusionscript.so",
    "darwin": "/Applications/DaVinci Resolve/DaVinci Resolve.app/Contents/Libraries/Fusion/fusionscript.so",
    "win32": "C:\\Program Files\\Blackmagic Design\\DaVinci Resolve\\fusionscript.dll",
}


class ResolveUnavailable(RuntimeError):
    """Resolve's scripting API could not be reached; ``str(err)`` says why and what to do."""


def _platform_key(system: str) -> str:
    if system.startswith("win"):
        return "win32"
    return "darwin" if system == "darwin" else "linux"


def env_help(system: str | None = None) -> str:
    """One sentence naming the two environment variables and this OS's usual values."""
    key = _platform_key(system if system is not None else sys.platform)
    return (f"set RESOLVE_SCRIPT_API={DEFAULT_API[key]} and RESOLVE_SCRIPT_LIB={DEFAULT_LIB[key]}, "
            "and add $RESOLVE_SCRIPT_API/Modules to PYTHONPATH")


def get_resolve(script_globals: Mapping[str, Any] | None = None,
                env: Mapping[str, str] | None = None,
                system: str | None = None) -> Resolve:
    """Return the Resolve object, or raise ResolveUnavailable saying exactly why.

    Order: ``resolve`` in the calling script's globals (Scripts menu), then
    ``bmd.scriptapp("Resolve")``, then ``DaVinciResolveScript.scriptapp("Resolve")``.
    """
    script_globals = script_globals or {}
    env = os.environ if env is None else env
    injected = script_globals.get("resolve")
    if injected is not None:
        return cast("Resolve", injected)
    bmd = script_globals.get("bmd")
    if bmd is not None and hasattr(bmd, "scriptapp"):
        app = bmd.scriptapp("Resolve")
        if app is not None:
            return cast("Resolve", app)
    module = _import_dvr(env, system)
    app = module.scriptapp("Resolve")
    if app is None:
        raise ResolveUnavailable(
            "DaVinciResolveScript loaded but DaVinci Resolve did not answer: start Resolve, "
            "and for scripts run outside Resolve set Preferences > System > General > "
            "External scripting using to Local. " + STUDIO_NOTE)
    return cast("Resolve", app)


def _import_dvr(env: Mapping[str, str], system: str | None) -> Any:
    api = env.get("RESOLVE_SCRIPT_API", "")
    lib = env.get("RESOLVE_SCRIPT_LIB", "")
    if api:
        modules = os.path.join(api, "Modules")
        if modules not in sys.path:
            sys.path.append(modules)
    try:
        return importlib.import_module("DaVinciResolveScript")
    except ImportError as exc:
        unset = [name for name, value in (("RESOLVE_SCRIPT_API", api), ("RESOLVE_SCRIPT_LIB", lib))
                 if not value]
        if unset:
            why = f"{' and '.join(unset)} {'is' if len(unset) == 1 else 'are'} not set"
        else:
            why = f"DaVinciResolveScript could not be imported from {api}/Modules ({exc})"
        raise ResolveUnavailable(
            f"DaVinci Resolve's scripting API is unavailable: {why}. Run this from Workspace > "
            f"Scripts inside Resolve, or {env_help(system)}. {STUDIO_NOTE}") from exc
    except Exception as exc:  # fusionscript's loader raises plain errors when the library is missing
        raise ResolveUnavailable(
            f"DaVinci Resolve's scripting API is unavailable: loading RESOLVE_SCRIPT_LIB={lib!r} "
            f"failed ({exc}). {STUDIO_NOTE}") from exc
