"""``ls`` rows like docker compose's."""

from __future__ import annotations

from common.records import ContainerRecord
from common.status import ContainerStatus
from compose.cli.views.projectlist import ls_table, project_rows


def status(project: str, service: str, state: str, files: str = "/srv/a/compose.yaml"
           ) -> ContainerStatus:
    record = ContainerRecord(
        id=f"{project}{service}", name=f"{project}-{service}-1", project=project,
        service=service, number=1, image="busybox", image_id="i", config_hash="h",
        created=0.0, command=(), hostname=service, runtime="runc",
        labels={"com.docker.compose.project.config_files": files})
    return ContainerStatus(record, state)


PROJECTS = {
    "web": (status("web", "a", "running"), status("web", "b", "exited"),
            status("web", "c", "running")),
    "batch": (status("batch", "a", "exited", "/srv/b/compose.yaml,/srv/b/override.yaml"),),
    "empty": (),
}


def test_running_projects_only_by_default() -> None:
    rows = project_rows(PROJECTS)
    assert [(r.name, r.status) for r in rows] == [("web", "exited(1), running(2)")]
    assert ls_table(rows) == (
        "NAME   STATUS                  CONFIG FILES\n"
        "web    exited(1), running(2)   /srv/a/compose.yaml"
    )


def test_all_projects_and_name_filter() -> None:
    rows = project_rows(PROJECTS, all_projects=True)
    assert [r.to_json() for r in rows] == [
        {"Name": "batch", "Status": "exited(1)",
         "ConfigFiles": "/srv/b/compose.yaml,/srv/b/override.yaml"},
        {"Name": "web", "Status": "exited(1), running(2)", "ConfigFiles": "/srv/a/compose.yaml"},
    ]
    assert [r.name for r in project_rows(PROJECTS, all_projects=True, names=["batch"])] == \
        ["batch"]
