"""runtime/oci/exec.py: an exec's process spec inherits the container's."""

from __future__ import annotations

from compose.cli.invocation import parse_env
from runtime.oci.exec import exec_process
from runtime.ocispec.users import ProcessUser

CONFIG = {"process": {
    "user": {"uid": 1000, "gid": 1000, "additionalGids": [29]},
    "env": ["PATH=/bin", "HOSTNAME=h", "A=1"],
    "cwd": "/srv",
    "noNewPrivileges": True,
    "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"],
                     "permitted": ["CAP_KILL"]},
}}


def test_inherits_the_container() -> None:
    assert exec_process(CONFIG, ["sh", "-c", "x"]) == {
        "terminal": False, "user": {"uid": 1000, "gid": 1000, "additionalGids": [29]},
        "args": ["sh", "-c", "x"], "env": ["PATH=/bin", "HOSTNAME=h", "A=1"], "cwd": "/srv",
        "noNewPrivileges": True, "capabilities": CONFIG["process"]["capabilities"]}


def test_overrides() -> None:
    process = exec_process(CONFIG, ["id"], user=ProcessUser(0, 0), env={"A": "2", "B": "3"},
                           cwd="/tmp", tty=True)
    assert process["user"] == {"uid": 0, "gid": 0}
    assert process["env"] == ["PATH=/bin", "HOSTNAME=h", "A=2", "TERM=xterm", "B=3"]
    assert process["cwd"] == "/tmp" and process["terminal"] is True


def test_parse_env() -> None:
    assert parse_env(["A=1", "B=", "C", "D"], {"C": "from host"}) == {
        "A": "1", "B": "", "C": "from host"}


def test_privileged_capabilities_replace_the_containers() -> None:
    """A privileged hook gets the capabilities it is given, in every set runc sets."""
    process = exec_process(CONFIG, ["id"], capabilities=["CAP_KILL", "CAP_SYS_ADMIN"])
    assert process["capabilities"] == {k: ["CAP_KILL", "CAP_SYS_ADMIN"]
                                       for k in ("bounding", "effective", "permitted")}
