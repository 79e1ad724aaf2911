"""``ls`` rows: each project of the state root with its containers' states and
config files, as ``docker compose ls`` shows them (pure)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from common.status import RUNNING, ContainerStatus
from compose.cli.views.texttable import text_table

CONFIG_FILES = "com.docker.compose.project.config_files"


@dataclass(frozen=True)
class ProjectRow:
    name: str
    status: str
    config_files: str

    def to_json(self) -> dict[str, str]:
        return {"Name": self.name, "Status": self.status, "ConfigFiles": self.config_files}


def project_rows(projects: Mapping[str, Sequence[ContainerStatus]], *, all_projects: bool = False,
                 names: Iterable[str] = ()) -> list[ProjectRow]:
    """One row per project with containers (only those with a running one unless
    ``all_projects``), ``running(2), exited(1)``, sorted by name; ``names`` filters."""
    wanted = set(names)
    rows = []
    for name in sorted(projects):
        statuses = projects[name]
        if not statuses or (wanted and name not in wanted):
            continue
        if not all_projects and not any(s.state == RUNNING for s in statuses):
            continue
        counts = Counter(s.state for s in statuses)
        files = dict.fromkeys(f for s in statuses
                              for f in s.record.labels.get(CONFIG_FILES, "").split(",") if f)
        rows.append(ProjectRow(name, ", ".join(f"{state}({counts[state]})"
                                               for state in sorted(counts)), ",".join(files)))
    return rows


def ls_table(rows: Sequence[ProjectRow]) -> str:
    return text_table(["NAME", "STATUS", "CONFIG FILES"],
                      [[r.name, r.status, r.config_files] for r in rows])
