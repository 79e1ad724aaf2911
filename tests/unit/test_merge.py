"""compose/spec/load/merge.py, unicity.py and rebase.py: docker compose's merge rules
on raw data."""

from __future__ import annotations

from typing import Any

import pytest

from compose.spec.load.merge import MergeError, as_sequence, discard, go_text, merge
from compose.spec.load.rebase import rebase_paths
from compose.spec.load.unicity import UnicityError, enforce_unicity, volume_target


def _service(base: dict[str, Any], override: dict[str, Any]) -> Any:
    """Merge two definitions of service ``s`` and de-duplicate, as between two files."""
    merged = merge({"services": {"s": base}}, {"services": {"s": override}})
    return enforce_unicity(merged)["services"]["s"]


# --- generic rules --------------------------------------------------------------------


def test_mappings_merge_by_key_and_scalars_are_replaced() -> None:
    assert merge({"a": 1, "b": {"c": 1, "d": 2}}, {"b": {"d": 3, "e": 4}, "f": 5}) == {
        "a": 1, "b": {"c": 1, "d": 3, "e": 4}, "f": 5}


def test_null_keeps_the_earlier_value() -> None:
    assert merge({"a": 1}, {"a": None}) == {"a": 1}


def test_scalar_type_may_change() -> None:
    assert _service({"mem_limit": 1}, {"mem_limit": "256m"}) == {"mem_limit": "256m"}


def test_sequences_are_appended() -> None:
    assert merge({"x-list": [1, 2]}, {"x-list": [2, 3]}) == {"x-list": [1, 2, 2, 3]}


def test_extension_mappings_merge_by_key() -> None:
    assert merge({"x-e": {"a": 1}}, {"x-e": {"b": 2}}) == {"x-e": {"a": 1, "b": 2}}


@pytest.mark.parametrize(("base", "override"), [({"k": [1]}, {"k": "x"}),
                                                ({"k": {"a": 1}}, {"k": [1]})])
def test_list_or_mapping_cannot_become_something_else(base: Any, override: Any) -> None:
    with pytest.raises(MergeError) as info:
        merge({"services": {"s": base}}, {"services": {"s": override}})
    assert info.value.path == ("services", "s", "k")
    assert info.value.message == "cannot override services.s.k"


def test_inputs_are_not_modified() -> None:
    base = {"services": {"s": {"ports": ["1:1"], "environment": {"A": "1"}}}}
    override = {"services": {"s": {"ports": ["2:2"], "environment": ["B=2"]}}}
    merged = merge(base, override)
    merged["services"]["s"]["ports"].append("3:3")
    assert base == {"services": {"s": {"ports": ["1:1"], "environment": {"A": "1"}}}}
    assert override == {"services": {"s": {"ports": ["2:2"], "environment": ["B=2"]}}}


# --- special rules --------------------------------------------------------------------


@pytest.mark.parametrize("key", ["command", "entrypoint"])
def test_commands_are_replaced(key: str) -> None:
    assert _service({key: ["a", "b"]}, {key: ["c"]}) == {key: ["c"]}
    assert _service({key: "a b"}, {key: None}) == {key: None}


def test_healthcheck_test_is_replaced_other_keys_merge() -> None:
    merged = _service({"healthcheck": {"test": ["CMD", "a"], "interval": "1s"}},
                      {"healthcheck": {"test": ["CMD", "b"]}})
    assert merged == {"healthcheck": {"test": ["CMD", "b"], "interval": "1s"}}


@pytest.mark.parametrize(
    ("base", "override", "expected"),
    [
        (["FOO=BAR"], ["QIX=ZOT", "EMPTY=", "NIL"], ["FOO=BAR", "QIX=ZOT", "EMPTY=", "NIL"]),
        ({"FOO": "BAR"}, {"QIX": "ZOT", "EMPTY": "", "NIL": None},
         ["FOO=BAR", "EMPTY=", "NIL", "QIX=ZOT"]),
        ({"FOO": "BAR"}, ["QIX=ZOT"], ["FOO=BAR", "QIX=ZOT"]),
        ({"FOO": 1}, {"FOO": 3}, ["FOO=3"]),
        (["A=1", "B=2"], {"A": True}, ["A=true", "B=2"]),
    ],
)
def test_environment_and_labels_merge_as_sequences(base: Any, override: Any,
                                                    expected: list[str]) -> None:
    for key in ("environment", "labels", "annotations", "sysctls"):
        assert _service({key: base}, {key: override}) == {key: expected}
    assert _service({"build": {"args": base}}, {"build": {"args": override}}) == {
        "build": {"args": expected}}


def test_a_key_only_one_file_has_keeps_its_form() -> None:
    assert _service({"image": "x"}, {"environment": {"A": "1"}}) == {
        "image": "x", "environment": {"A": "1"}}


def test_string_or_list_attributes_become_lists() -> None:
    assert _service({"tmpfs": "/foo"}, {"tmpfs": "/bar"}) == {"tmpfs": ["/foo", "/bar"]}
    assert _service({"dns": ["8.8.8.8", "10.10.10.10"]}, {"dns": "9.9.9.9"}) == {
        "dns": ["8.8.8.8", "10.10.10.10", "9.9.9.9"]}
    assert _service({"env_file": "foo.env"}, {"env_file": ["bar.env", "foo.env"]}) == {
        "env_file": ["foo.env", "bar.env"]}


def test_extra_hosts_lists_and_mappings() -> None:
    assert _service({"extra_hosts": {"example.com": "1.2.3.4"}},
                    {"extra_hosts": {"localhost": "127.0.0.1",
                                     "example.com": ["1.2.3.4", "4.3.2.1"]}}) == {
        "extra_hosts": ["example.com=1.2.3.4", "example.com=4.3.2.1", "localhost=127.0.0.1"]}
    assert _service({"extra_hosts": ["example.com=1.2.3.4"]},
                    {"extra_hosts": ["localhost=127.0.0.1", "example.com=1.2.3.4"]}) == {
        "extra_hosts": ["example.com=1.2.3.4", "localhost=127.0.0.1"]}


def test_depends_on_list_becomes_a_mapping() -> None:
    merged = _service({"depends_on": ["db", "cache"]},
                      {"depends_on": {"db": {"condition": "service_healthy", "required": False}}})
    assert merged == {"depends_on": {
        "db": {"condition": "service_healthy", "required": False},
        "cache": {"condition": "service_started", "required": True},
    }}


def test_service_networks_list_and_mapping() -> None:
    merged = _service({"networks": ["front", "net1"]},
                      {"networks": {"net1": {"aliases": ["a"]}, "net2": None}})
    assert merged == {"networks": {"front": None, "net1": {"aliases": ["a"]}, "net2": None}}
    merged = _service({"networks": {"n": {"aliases": ["a1", "a2"]}}},
                      {"networks": {"n": {"aliases": ["a3", "a1"]}}})
    assert merged == {"networks": {"n": {"aliases": ["a1", "a2", "a3"]}}}


def test_build_string_and_mapping() -> None:
    assert _service({"build": "."}, {"build": {"dockerfile": "x"}}) == {
        "build": {"context": ".", "dockerfile": "x"}}
    assert _service({"build": {"context": "."}}, {"build": "src"}) == {
        "build": {"context": "src"}}


@pytest.mark.parametrize(
    ("base", "override", "expected"),
    [
        ({"driver": "syslog", "options": {"a": "1"}}, {"driver": "syslog", "options": {"b": "2"}},
         {"driver": "syslog", "options": {"a": "1", "b": "2"}}),
        ({"driver": "local", "options": {"a": "1"}}, {"driver": "syslog", "options": {"b": "2"}},
         {"driver": "syslog", "options": {"b": "2"}}),
        ({"options": {"a": "1"}}, {"options": {"b": 3}}, {"options": {"a": "1", "b": 3}}),
        ({"driver": "local", "options": {"a": "1"}}, {"options": {"b": "2"}},
         {"driver": "local", "options": {"a": "1", "b": "2"}}),
    ],
)
def test_logging_options_merge_only_for_the_same_driver(base: Any, override: Any,
                                                        expected: Any) -> None:
    assert _service({"logging": base}, {"logging": override}) == {"logging": expected}


def test_an_ulimit_is_replaced_whole() -> None:
    merged = _service({"ulimits": {"nofile": {"soft": 1, "hard": 2}, "nproc": 3}},
                      {"ulimits": {"nofile": {"soft": 5}, "core": 0}})
    assert merged == {"ulimits": {"nofile": {"soft": 5}, "nproc": 3, "core": 0}}


def test_ipam_config_merges_by_subnet() -> None:
    base = {"networks": {"n": {"ipam": {"config": [
        {"subnet": "10.0.0.0/16", "gateway": "10.0.0.1", "aux_addresses": {"a": "1", "b": "2"}},
    ]}}}}
    override = {"networks": {"n": {"ipam": {"config": [
        {"subnet": "10.0.0.0/16", "aux_addresses": {"b": "3"}},
        {"subnet": "10.1.0.0/16"},
    ]}}}}
    assert merge(base, override)["networks"]["n"]["ipam"]["config"] == [
        {"subnet": "10.0.0.0/16", "gateway": "10.0.0.1", "aux_addresses": {"a": "1", "b": "3"}},
        {"subnet": "10.1.0.0/16"},
    ]


# --- discard (!reset / !override) -------------------------------------------------------


def test_discard_removes_keys_at_paths_only() -> None:
    data = {"services": {"s": {"image": "x", "ports": ["1:1"]}}, "networks": {"n": {}}}
    assert discard(data, [("services", "s", "ports"), ("networks", "n"), ("nope", "x"),
                          ("services", "s", "ports", 0)]) == {
        "services": {"s": {"image": "x"}}, "networks": {}}
    assert data["services"]["s"]["ports"] == ["1:1"]


# --- conversions ----------------------------------------------------------------------


def test_as_sequence_sorts_mapping_entries() -> None:
    assert as_sequence({"b": 1, "a": None, "c": [1, 2]}) == ["a", "b=1", "c=1", "c=2"]
    assert as_sequence("x") == ["x"]
    assert as_sequence(None) == []


@pytest.mark.parametrize(
    ("value", "text"),
    [(1, "1"), (True, "true"), (False, "false"), ("s", "s"), (1.5, "1.5"), (3.0, "3"),
     (100000.0, "100000"), (1e6, "1e+06"), (1.25e-5, "1.25e-05"), (float("inf"), "+Inf")],
)
def test_go_text(value: Any, text: str) -> None:
    assert go_text(value) == text


# --- unicity --------------------------------------------------------------------------


def test_last_definition_wins_in_place_of_the_first() -> None:
    data = {"services": {"s": {
        "environment": ["FOO=BAR", "BAR=QIX", "QIX=", "ZOT", "FOO=ZOT", "QIX", "ZOT="],
        "volumes": [".:/foo", "foo:/bar", "src:/foo", {"type": "bind", "source": "x",
                                                      "target": "/bar"}],
        "ports": ["9080:80", "9081:81", "9080:80", 5000, "5000"],
        "secrets": ["foo", "bar", {"source": "zot", "target": "/run/secrets/foo"}],
        "devices": ["/dev/sda:/dev/sda", "/dev/nvme0:/dev/sda"],
        "env_file": ["a.env", {"path": "a.env", "required": False}],
        "command": ["a", "a"],
    }}}
    assert enforce_unicity(data)["services"]["s"] == {
        "environment": ["FOO=ZOT", "BAR=QIX", "QIX", "ZOT="],
        "volumes": ["src:/foo", {"type": "bind", "source": "x", "target": "/bar"}],
        "ports": ["9080:80", "9081:81", "5000"],
        "secrets": [{"source": "zot", "target": "/run/secrets/foo"}, "bar"],
        "devices": ["/dev/nvme0:/dev/sda"],
        "env_file": [{"path": "a.env", "required": False}],
        "command": ["a", "a"],
    }


def test_long_ports_are_unique_by_address_published_target_protocol() -> None:
    ports = [
        {"target": 80, "host_ip": "127.0.0.1", "published": "8080", "mode": "host"},
        {"target": 81, "published": "8080"},
        {"target": 80, "host_ip": "127.0.0.2", "published": "8080"},
        {"target": 81, "published": "8080", "protocol": "tcp"},
        {"target": 81, "published": 8080},
    ]
    result = enforce_unicity({"services": {"s": {"ports": ports}}})["services"]["s"]["ports"]
    assert result == [ports[0], ports[3], ports[2], ports[4]]


def test_unicity_error_names_the_entry() -> None:
    with pytest.raises(UnicityError) as info:
        enforce_unicity({"services": {"s": {"volumes": ["ab::c"]}}})
    assert info.value.path == ("services", "s", "volumes", 0)
    assert info.value.message == "invalid spec: ab::c: empty section between colons"


@pytest.mark.parametrize(
    ("spec", "target"),
    [("/data", "/data"), ("vol:/data", "/data"), ("./src:/src:ro", "/src"),
     ("c:/c", "c:/c"), ("a:/a", "a:/a"), ("C:\\data:/data", "/data"),
     ("${SRC:-/dev/null}:/tmp/foo:ro", "/tmp/foo"), ("ab", "ab")],
)
def test_volume_target(spec: str, target: str) -> None:
    assert volume_target(spec) == target


def test_volume_target_rejects_too_many_colons() -> None:
    with pytest.raises(ValueError, match="too many colons"):
        volume_target("vol:/b:ro:x")


# --- rebase (paths of extended and included files) --------------------------------------


def test_rebase_paths_of_a_file_loaded_from_elsewhere() -> None:
    data = {
        "services": {"s": {
            "build": {"context": "ctx", "additional_contexts": ["a=./x", "b=docker-image://i"]},
            "env_file": [{"path": "e.env", "required": False}, "/abs.env"],
            "volumes": [{"type": "bind", "source": "src", "target": "/t"},
                        {"type": "volume", "source": "v", "target": "/v"}, "~/h:/h", "./r:/r:ro"],
            "extends": {"file": "base.yaml", "service": "b"},
        }, "u": {"build": "https://github.com/x/y.git"}},
        "secrets": {"k": {"file": "./k.txt"}, "e": {"environment": "E"}},
        "volumes": {"d": {"driver": "local", "driver_opts": {"o": "bind", "device": "dev"}}},
    }
    assert rebase_paths(data, "/base") == {
        "services": {"s": {
            "build": {"context": "/base/ctx",
                      "additional_contexts": ["a=/base/x", "b=docker-image://i"]},
            "env_file": [{"path": "/base/e.env", "required": False}, "/abs.env"],
            "volumes": [{"type": "bind", "source": "/base/src", "target": "/t"},
                        {"type": "volume", "source": "v", "target": "/v"}, "~/h:/h",
                        "/base/r:/r:ro"],
            "extends": {"file": "/base/base.yaml", "service": "b"},
        }, "u": {"build": "https://github.com/x/y.git"}},
        "secrets": {"k": {"file": "/base/k.txt"}, "e": {"environment": "E"}},
        "volumes": {"d": {"driver": "local", "driver_opts": {"o": "bind", "device": "/base/dev"}}},
    }
    assert data["services"]["s"]["build"]["context"] == "ctx"
