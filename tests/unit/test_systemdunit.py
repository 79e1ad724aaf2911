"""The systemd unit ``pycompose systemd`` writes."""

from __future__ import annotations

import pytest

from common.errors import UsageError
from compose.cli.views.systemdunit import UnitSpec, unit_name, unit_text

SPEC = UnitSpec(project="shop", working_dir="/srv/my shop",
                config_files=["/srv/my shop/compose.yaml", "/srv/my shop/prod.yaml"],
                executable=["/opt/pycompose/.venv/bin/pycompose"],
                environment={"PYCOMPOSE_ROOT": "/var/lib/pycompose", "COMPOSE_PROFILES": "a,b"},
                env_files=["/srv/my shop/.env.prod"], profiles=["debug"])


def test_unit_runs_up_at_boot_and_stop_at_shutdown_with_the_same_project() -> None:
    text = unit_text(SPEC)
    project = ('-p shop --project-directory "/srv/my shop" -f "/srv/my shop/compose.yaml" '
               '-f "/srv/my shop/prod.yaml" --env-file "/srv/my shop/.env.prod" '
               '--profile debug')
    assert f"ExecStart=/opt/pycompose/.venv/bin/pycompose {project} up -d --remove-orphans\n" \
        in text
    assert f"ExecStop=/opt/pycompose/.venv/bin/pycompose {project} stop\n" in text
    assert "WorkingDirectory=/srv/my shop\n" in text  # a path setting: quotes would stay
    assert "Environment=COMPOSE_PROFILES=a,b\nEnvironment=PYCOMPOSE_ROOT=/var/lib/pycompose\n" \
        in text
    assert "Type=oneshot\nRemainAfterExit=yes\n" in text
    assert text.endswith("[Install]\nWantedBy=multi-user.target\n")
    assert unit_name("shop") == "pycompose-shop.service"


def test_percent_and_quotes_are_escaped_for_systemd() -> None:
    spec = UnitSpec(project="p", working_dir='/srv/100% "x"', config_files=[],
                    executable=["/bin/pycompose"], environment={})
    text = unit_text(spec)
    assert 'WorkingDirectory=/srv/100%% "x"\n' in text
    assert 'Description=pycompose project p (/srv/100%% "x")\n' in text


def test_a_newline_cannot_add_a_directive_and_dollars_stay_literal() -> None:
    hostile = UnitSpec(project="p", working_dir="/srv/x\nExecStartPre=/bin/sh -c evil",
                       config_files=[], executable=["/bin/pycompose"], environment={})
    with pytest.raises(UsageError, match="newline") as caught:
        unit_text(hostile)
    assert "\n" not in str(caught.value).replace("\\n", "")
    spec = UnitSpec(project="p", working_dir="/srv/$HOME", config_files=[],
                    executable=["/bin/pycompose"], environment={"X": "$y"})
    text = unit_text(spec)
    assert '--project-directory "/srv/$$HOME" up' in text
    assert 'Environment="X=$y"\n' in text  # no expansion there: kept as written
