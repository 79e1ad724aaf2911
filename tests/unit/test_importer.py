"""runtime/images/importer.py: ``--change`` instructions applied to an image config."""

from __future__ import annotations

import pytest

from common.errors import ImageError
from runtime.build.importer import apply_changes


def test_changes() -> None:
    config = apply_changes({"Env": ["PATH=/bin", "A=1"]}, [
        'CMD ["nginx", "-g", "daemon off;"]', "ENTRYPOINT /docker-entrypoint.sh",
        "ENV A=2 B=\"two words\"", "ENV LEGACY some value", "WORKDIR /srv", "USER www",
        "EXPOSE 80 53/udp", 'VOLUME ["/data"]', "LABEL org.example=yes", "STOPSIGNAL SIGQUIT",
    ])
    assert config == {
        "Cmd": ["nginx", "-g", "daemon off;"],
        "Entrypoint": ["/bin/sh", "-c", "/docker-entrypoint.sh"],
        "Env": ["PATH=/bin", "A=2", "B=two words", "LEGACY=some value"],
        "WorkingDir": "/srv", "User": "www",
        "ExposedPorts": {"80/tcp": {}, "53/udp": {}}, "Volumes": {"/data": {}},
        "Labels": {"org.example": "yes"}, "StopSignal": "SIGQUIT",
    }


def test_changes_do_not_touch_the_input() -> None:
    original = {"Env": ["A=1"]}
    apply_changes(original, ["ENV A=2"])
    assert original == {"Env": ["A=1"]}


@pytest.mark.parametrize(("change", "message"), [
    ("RUN make", "RUN is not supported"), ("ONBUILD RUN x", "not supported"),
    ("CMD", "needs an argument"), ("ENV =x", "is not KEY=VALUE"),
])
def test_bad_changes(change: str, message: str) -> None:
    with pytest.raises(ImageError, match=message):
        apply_changes({}, [change])


def test_a_list_of_non_strings_is_not_exec_form() -> None:
    """The Dockerfile parser's rule (``dockerfile.json_list``), as a build reads CMD."""
    config = apply_changes({}, ['CMD ["a", 1]', 'ENTRYPOINT ["run"]', 'VOLUME ["/v", 2]'])
    assert config["Cmd"] == ["/bin/sh", "-c", '["a", 1]']
    assert config["Entrypoint"] == ["run"]
    assert config["Volumes"] == {'["/v",': {}, "2]": {}}
