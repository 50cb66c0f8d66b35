"""hostbridge's shared host helpers: default URL and start hint, atomic write, CDL parsing
(path-or-bytes frames: test_frames.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hostbridge import DEFAULT_URL
from hostbridge.cdl import parse_cdl, read_cdl
from hostbridge.files import atomic_write
from hostbridge.local import default_url, not_running

CCC = b"""<ColorCorrectionCollection xmlns="urn:ASC:CDL:v1.01">
<ColorCorrection id="A001"><SOPNode><Slope>1.1 1 0.9</Slope><Offset>0.01 0 -0.02</Offset><Power>1 1.2 1</Power>
</SOPNode><SatNode><Saturation>0.8</Saturation></SatNode></ColorCorrection>
<ColorCorrection id="A002"><SOPNode><Slope>2 2 2</Slope><Offset>0 0 0</Offset><Power>1 1 1</Power></SOPNode>
</ColorCorrection></ColorCorrectionCollection>"""


def test_default_url_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RUSHES_SERVER", raising=False)
    assert default_url() == DEFAULT_URL == "tcp://127.0.0.1:5557"
    assert default_url(fallback="tcp://127.0.0.1:6000") == "tcp://127.0.0.1:6000"
    monkeypatch.setenv("RUSHES_SERVER", " tcp://10.0.0.2:5557 ")
    assert default_url(fallback="tcp://127.0.0.1:6000") == "tcp://10.0.0.2:5557"
    assert default_url("ipc:///tmp/r.sock") == "ipc:///tmp/r.sock"
    assert not_running("tcp://h:1") == ("not running at tcp://h:1; start it with `rushes serve` "
                                        "(or install the service: `rushes install service`)")


def test_atomic_write_replaces_whole_and_leaves_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "new" / "a.json"
    atomic_write(target, b"one")
    atomic_write(str(target), b"two", mode=0o600)
    assert target.read_bytes() == b"two" and (target.stat().st_mode & 0o777) == 0o600
    assert os.listdir(target.parent) == ["a.json"]
    (tmp_path / "dir.json").mkdir()                       # os.replace cannot put a file over a folder
    with pytest.raises(OSError) as info:
        atomic_write(tmp_path / "dir.json", b"x")
    assert info.value.filename == str(tmp_path / "dir.json")
    assert sorted(os.listdir(tmp_path)) == ["dir.json", "new"] and os.listdir(tmp_path / "dir.json") == []


def test_parse_cdl_first_or_named_correction(tmp_path: Path) -> None:
    assert parse_cdl(CCC) == {"slope": [1.1, 1.0, 0.9], "offset": [0.01, 0.0, -0.02], "power": [1.0, 1.2, 1.0],
                              "saturation": 0.8}
    assert parse_cdl(CCC, "A002") == {"slope": [2.0] * 3, "offset": [0.0] * 3, "power": [1.0] * 3, "saturation": 1.0}
    with pytest.raises(ValueError, match="no ColorCorrection with id 'B9'"):
        parse_cdl(CCC, "B9")
    with pytest.raises(ValueError, match="no valid Power: 'x' in 'x 1 1' is not a number"):
        parse_cdl(CCC.replace(b"<Power>1 1.2 1</Power>", b"<Power>x 1 1</Power>"))
    with pytest.raises(ValueError, match="no valid Slope: 'nan 1 1' is not finite"):
        parse_cdl(CCC.replace(b"1.1 1 0.9", b"nan 1 1"))
    with pytest.raises(ValueError, match="no valid Offset"):
        parse_cdl(b"<ColorCorrection><Slope>1 1 1</Slope><Power>1 1 1</Power></ColorCorrection>")
    with pytest.raises(ValueError, match=f"cannot read the CDL {tmp_path / 'none.cc'}"):
        read_cdl(str(tmp_path / "none.cc"))


def test_the_helpers_work_without_pyzmq_or_msgpack() -> None:
    """A host whose Python lacks pyzmq and msgpack can still name the daemon, parse a CDL and write files."""
    import subprocess
    import sys

    code = ("import sys; sys.modules['zmq'] = None; sys.modules['msgpack'] = None\n"
            "import hostbridge, hostbridge.cdl, hostbridge.files\n"
            "from hostbridge import DEFAULT_URL\n"
            "from hostbridge.local import not_running\n"
            "print(not_running(DEFAULT_URL), hostbridge.cdl.parse_cdl(sys.argv[1].encode())['saturation'])\n"
            "try:\n    from hostbridge import Client\nexcept ImportError as exc:\n    print('client:', exc)\n")
    out = subprocess.run([sys.executable, "-c", code, CCC.decode()], capture_output=True, text=True, timeout=60,
                         cwd=str(Path(__file__).resolve().parents[2]))
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [f"{not_running(DEFAULT_URL)} 0.8", "client: import of zmq halted; None in sys.modules"]
