"""Stages, target selection, ARG scope and the config instructions."""

from __future__ import annotations

import pytest

from common.errors import BuildError
from runtime.build.dockerfile import parse
from runtime.build.stages import (
    StageState,
    apply_config,
    config_text,
    declare_args,
    meta_scope,
    needed_stages,
    parse_mount,
    stages,
)


def state(config: dict[str, object] | None = None) -> StageState:
    return StageState({"config": dict(config or {})}, [])


def apply(st: StageState, *lines: str) -> StageState:
    for instruction in parse("\n".join(lines)).instructions:
        apply_config(st, instruction)
    return st


def names(text: str, target: str | None = None, meta: dict[str, str] | None = None) -> list[str]:
    parsed = stages(parse(text))
    return [s.name or str(s.index) for s in needed_stages(parsed, target, meta or {})]


MULTI = """\
FROM busybox AS base
RUN a
FROM base AS build
RUN b
FROM busybox AS unused
RUN c
FROM busybox AS final
COPY --from=build /x /x
"""


def test_stages_split_and_names() -> None:
    parsed = stages(parse(MULTI))
    assert [s.name for s in parsed.stages] == ["base", "build", "unused", "final"]
    assert [len(s.instructions) for s in parsed.stages] == [1, 1, 1, 1]
    assert parsed.find("BUILD") is parsed.stages[1]
    assert parsed.find("2") is parsed.stages[2]
    assert parsed.find("nope") is None


def test_needed_stages_skip_unused() -> None:
    assert names(MULTI) == ["base", "build", "final"]


def test_target_selects_its_dependencies() -> None:
    assert names(MULTI, "build") == ["base", "build"]
    assert names(MULTI, "unused") == ["unused"]


def test_unknown_target() -> None:
    with pytest.raises(BuildError, match="target stage 'nope'"):
        names(MULTI, "nope")


def test_copy_from_by_index() -> None:
    text = "FROM a\nRUN x\nFROM b\nRUN y\nFROM c\nCOPY --from=0 /x /x\n"
    assert names(text) == ["0", "2"]


def test_a_later_stage_copied_from_is_built_first() -> None:
    text = "FROM a AS first\nCOPY --from=later /x /x\nFROM b AS later\n"
    assert names(text, "first") == ["later", "first"]


def test_stage_cycle() -> None:
    text = "FROM a AS one\nCOPY --from=two /x /x\nFROM b AS two\nCOPY --from=one /y /y\n"
    with pytest.raises(BuildError, match="cycle"):
        names(text)


def test_run_mount_from_stage_is_a_dependency() -> None:
    text = "FROM a AS s\nFROM b\nRUN --mount=type=bind,from=s,target=/s ls\n"
    assert names(text) == ["s", "1"]


def test_from_stage_via_meta_arg() -> None:
    text = "ARG BASE=first\nFROM busybox AS first\nFROM ${BASE}\n"
    assert names(text, meta={"BASE": "first"}) == ["first", "1"]


def test_no_from() -> None:
    with pytest.raises(BuildError, match="no FROM"):
        stages(parse("ARG x\n"))


def test_instruction_before_from() -> None:
    with pytest.raises(BuildError, match="before the first FROM"):
        stages(parse("RUN x\nFROM a\n"))


def test_duplicate_stage_names() -> None:
    with pytest.raises(BuildError, match="duplicate stage"):
        stages(parse("FROM a AS x\nFROM b AS X\n"))


def test_bad_from() -> None:
    with pytest.raises(BuildError, match="FROM takes"):
        stages(parse("FROM a b\n"))


def test_meta_scope() -> None:
    meta = stages(parse("ARG A=1\nARG B\nARG C=${A}2\nFROM x\n")).meta_args
    assert meta_scope(meta, {}, {}) == {"A": "1", "C": "12"}
    assert meta_scope(meta, {"A": "9", "B": "b"}, {}) == {"A": "9", "B": "b", "C": "92"}


def test_stage_args_need_redeclaring() -> None:
    st = state()
    consumed: set[str] = set()
    meta = {"V": "global"}
    instruction = parse("ARG V").instructions[0]
    declare_args(st, instruction, {}, meta, consumed)
    assert st.args == {"V": "global"}
    assert consumed == {"V"}


def test_stage_arg_default_and_build_arg() -> None:
    st = state({"Env": ["E=env"]})
    declare_args(st, parse("ARG X=$E-x Y").instructions[0], {"Y": "y"}, {}, set())
    assert st.args == {"X": "env-x", "Y": "y"}
    declare_args(st, parse("ARG X=other").instructions[0], {"X": "cli"}, {}, set())
    assert st.args["X"] == "cli"


def test_env_overrides_arg_in_expansion() -> None:
    st = state({"Env": ["V=from-env"]})
    st.args["V"] = "from-arg"
    assert st.expansion_env()["V"] == "from-env"
    assert "V=from-env" in st.run_env()
    assert st.run_env().count("V=from-env") == 1


def test_args_reach_run_env_but_not_config() -> None:
    st = state({"Env": ["PATH=/bin"]})
    st.args["TOKEN"] = "t"
    assert "TOKEN=t" in st.run_env()
    assert st.config["Env"] == ["PATH=/bin"]


def test_run_env_default_path() -> None:
    assert any(e.startswith("PATH=/usr/local/sbin") for e in state().run_env())


def test_env_instruction() -> None:
    st = apply(state({"Env": ["PATH=/bin", "A=old"]}), "ENV A=new B=$A", "ENV C ${B}-legacy")
    assert st.config["Env"] == ["PATH=/bin", "A=new", "B=old", "C=old-legacy"]


def test_label_and_arg_expansion() -> None:
    st = state()
    st.args["VERSION"] = "1.2"
    apply(st, 'LABEL version=$VERSION "a b"="c d"')
    assert st.config["Labels"] == {"version": "1.2", "a b": "c d"}


def test_workdir_relative_to_previous() -> None:
    st = apply(state(), "WORKDIR /a", "WORKDIR b", "WORKDIR ../c")
    assert st.config["WorkingDir"] == "/a/c"
    assert st.workdir() == "/a/c"


def test_workdir_expands_env() -> None:
    st = apply(state({"Env": ["D=/data"]}), "WORKDIR $D/x")
    assert st.config["WorkingDir"] == "/data/x"


def test_user_expands() -> None:
    st = apply(state({"Env": ["U=app"]}), "USER $U:staff")
    assert st.config["User"] == "app:staff"


def test_cmd_shell_and_exec_forms() -> None:
    st = apply(state(), "CMD echo hi")
    assert st.config["Cmd"] == ["/bin/sh", "-c", "echo hi"]
    apply(st, 'CMD ["a", "b"]')
    assert st.config["Cmd"] == ["a", "b"]


def test_shell_instruction_changes_shell_form() -> None:
    st = apply(state(), 'SHELL ["/bin/bash", "-ec"]', "CMD run")
    assert st.config["Cmd"] == ["/bin/bash", "-ec", "run"]
    assert st.shell() == ["/bin/bash", "-ec"]


def test_shell_needs_json() -> None:
    with pytest.raises(BuildError, match="JSON"):
        apply(state(), "SHELL /bin/bash")


def test_entrypoint_resets_inherited_cmd_only() -> None:
    st = apply(state({"Cmd": ["sh"]}), 'ENTRYPOINT ["/init"]')
    assert st.config["Cmd"] is None
    st = apply(state({"Cmd": ["sh"]}), 'CMD ["x"]', 'ENTRYPOINT ["/init"]')
    assert st.config["Cmd"] == ["x"]


def test_expose_volume_stopsignal() -> None:
    st = apply(state({"Env": ["P=8080"]}), "EXPOSE 80 $P/udp", 'VOLUME ["/data", "/logs"]',
               "VOLUME /more /other", "STOPSIGNAL SIGQUIT")
    assert st.config["ExposedPorts"] == {"80/tcp": {}, "8080/udp": {}}
    assert st.config["Volumes"] == {"/data": {}, "/logs": {}, "/more": {}, "/other": {}}
    assert st.config["StopSignal"] == "SIGQUIT"


def test_expose_ranges_and_errors() -> None:
    st = apply(state(), "EXPOSE 7000-7002/UDP 53/sctp")
    assert list(st.config["ExposedPorts"]) == ["7000/udp", "7001/udp", "7002/udp", "53/sctp"]
    for bad in ("EXPOSE http", "EXPOSE 0", "EXPOSE 70000", "EXPOSE 80/icmp", "EXPOSE 9-3"):
        with pytest.raises(BuildError, match="invalid port"):
            apply(state(), bad)


def test_onbuild_recorded() -> None:
    st = apply(state(), "ONBUILD RUN echo hi", "ONBUILD COPY . /app")
    assert st.config["OnBuild"] == ["RUN echo hi", "COPY . /app"]


def test_healthcheck() -> None:
    st = apply(state(), "HEALTHCHECK --interval=5s --timeout=2s --retries=3 "
                        "--start-period=1m CMD wget -q localhost")
    assert st.config["Healthcheck"] == {
        "Test": ["CMD-SHELL", "wget -q localhost"], "Interval": 5_000_000_000,
        "Timeout": 2_000_000_000, "StartPeriod": 60_000_000_000, "Retries": 3}
    apply(st, 'HEALTHCHECK CMD ["true"]')
    assert st.config["Healthcheck"] == {"Test": ["CMD", "true"]}
    apply(st, "HEALTHCHECK NONE")
    assert st.config["Healthcheck"] == {"Test": ["NONE"]}


def test_healthcheck_errors() -> None:
    with pytest.raises(BuildError, match="CMD or NONE"):
        apply(state(), "HEALTHCHECK wget")
    with pytest.raises(BuildError, match="unknown flag"):
        apply(state(), "HEALTHCHECK --bogus=1 CMD true")
    with pytest.raises(BuildError, match="retries"):
        apply(state(), "HEALTHCHECK --retries=x CMD true")


def test_maintainer() -> None:
    st = apply(state(), "MAINTAINER someone")
    assert st.image["author"] == "someone"


def test_chain_key_changes_with_parts() -> None:
    a, b = state(), state()
    a.chain("run", "x")
    b.chain("run", "y")
    assert a.key != b.key and len(a.key) == 64
    c = state()
    c.chain("run", "x")
    assert c.key == a.key


def test_copy_is_independent() -> None:
    st = apply(state(), "ENV A=1")
    other = st.copy()
    apply(other, "ENV A=2")
    assert st.config["Env"] == ["A=1"]


def test_parse_mount() -> None:
    assert parse_mount("type=cache,target=/root/.cache,id=pip", 1) == {
        "type": "cache", "target": "/root/.cache", "id": "pip"}
    assert parse_mount("type=secret,id=tok", 1) == {"type": "secret", "id": "tok"}
    assert parse_mount("dst=/x", 1) == {"type": "bind", "target": "/x"}
    with pytest.raises(BuildError, match="not supported"):
        parse_mount("type=ssh", 1)
    with pytest.raises(BuildError, match="target"):
        parse_mount("type=cache", 1)


def test_config_text() -> None:
    instruction = parse("FROM a\nCOPY --chown=1 a b\n").instructions[1]
    assert config_text(instruction) == "COPY --chown=1 a b"
