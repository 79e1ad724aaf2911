"""compose/planning/plan.py and volumes: what ``up`` creates and ``down -v`` removes, as text."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

import pytest

from common.errors import UsageError
from common.records import ContainerRecord, VolumeRecord
from common.status import ContainerStatus
from compose.planning import ops, plan
from compose.planning.observed import ObservedState, Surroundings
from compose.spec.model import FileGrant, Mount, Network, Project, Service, Volume
from tests.unit.test_plan import IMAGE_IDS, NOW, ROOT_TAG, RUNTIME, ids
from volumes.local import anonymous_volume

DATA = Volume("data", "demo_data")
EXT = Volume("ext", "shared", external=True)


def project(*volumes: Volume, mounts: tuple[Mount, ...] = ()) -> Project:
    return Project(
        name="demo", working_dir="/srv/demo", config_files=("/srv/demo/compose.yaml",),
        services=MappingProxyType({"db": Service("db", "postgres", mounts=mounts)}),
        networks=MappingProxyType({"default": Network("default", "demo_default")}),
        volumes=MappingProxyType({v.key: v for v in volumes}),
    )


def up(proj: Project, observed: ObservedState, image_volumes: tuple[str, ...] = (),
       start: int = 1) -> ops.Plan:
    return plan.plan_up(proj, IMAGE_IDS, observed, root_tag=ROOT_TAG, new_id=ids(start),
                        now=NOW, runtime=RUNTIME, image_volumes={"db": image_volumes})


def volume_ops(result: ops.Plan) -> list[str]:
    return [op.render() for op in result.ops if isinstance(op, ops.CreateVolume
                                                           | ops.RemoveVolume)]


def test_up_creates_declared_and_anonymous_volumes_before_containers() -> None:
    proj = project(DATA, mounts=(Mount("volume", "/data", "data", volume=DATA),
                                 Mount("volume", "/scratch")))
    result = up(proj, ObservedState("demo"), image_volumes=("/var/lib/db",))
    text = result.render().splitlines()
    assert text[:4] == ["1. create volume demo_data",
                        f"1. create anonymous volume {'2' * 64}",
                        f"1. create anonymous volume {'3' * 64}",
                        "2. create network demo_default bridge=pc797f0e70ec "
                        "subnet=10.89.0.0/24"]
    assert text[4].startswith("2. create container")
    record = next(op.record for op in result.ops if isinstance(op, ops.CreateContainer))
    assert record.volumes == {"/data": "demo_data", "/scratch": "2" * 64,
                              "/var/lib/db": "3" * 64}
    assert record.anonymous_volumes == ("2" * 64, "3" * 64)


def test_existing_volumes_are_kept_external_must_exist() -> None:
    proj = project(DATA, EXT, mounts=(Mount("volume", "/d", "data", volume=DATA),
                                      Mount("volume", "/e", "ext", volume=EXT)))
    with pytest.raises(UsageError, match=r'volumes\.ext: external volume "shared" not found'):
        up(proj, ObservedState("demo"))
    observed = ObservedState("demo", volumes={
        "shared": VolumeRecord("shared"),
        "demo_data": VolumeRecord("demo_data", labels={"com.docker.compose.project": "demo"}),
    })
    assert volume_ops(up(proj, observed)) == []


def test_a_foreign_volume_of_the_same_name_is_a_warning() -> None:
    observed = ObservedState("demo", volumes={"demo_data": VolumeRecord("demo_data")})
    result = up(project(DATA), observed)
    assert result.warnings == ('volume "demo_data" already exists but was not created by '
                               "pycompose. Use `external: true` to use an existing volume",)


def test_unknown_driver_is_an_error() -> None:
    with pytest.raises(UsageError, match="volume driver 'flocker' is not available"):
        up(project(dataclasses.replace(DATA, driver="flocker")), ObservedState("demo"))


def test_recreate_inherits_anonymous_volumes() -> None:
    proj = project(mounts=(Mount("volume", "/scratch"),))
    first = up(proj, ObservedState("demo"))
    old = next(op.record for op in first.ops if isinstance(op, ops.CreateContainer))
    observed = ObservedState("demo", containers=(
        ContainerStatus(dataclasses.replace(old, config_hash="stale"), "running"),),
        volumes={n: anonymous_volume(n, NOW, "demo") for n in old.anonymous_volumes})
    second = up(proj, observed, start=7)
    new = next(op.record for op in second.ops if isinstance(op, ops.CreateContainer))
    assert new.id != old.id
    assert new.volumes == old.volumes and new.anonymous_volumes == old.anonymous_volumes
    assert volume_ops(second) == []


def _record(**kwargs: object) -> ContainerRecord:
    base = ContainerRecord("a" * 64, "demo-db-1", "demo", "db", 1, "postgres", "sha256:db",
                           "h", NOW, (), "h", RUNTIME)
    return dataclasses.replace(base, **kwargs)  # type: ignore[arg-type]


def test_down_v_removes_only_the_projects_volumes() -> None:
    mine = {"com.docker.compose.project": "demo"}
    anon = "b" * 64
    observed = ObservedState(
        "demo",
        containers=(ContainerStatus(_record(volumes={"/x": anon, "/e": "shared"},
                                            anonymous_volumes=(anon,)), "exited"),),
        volumes={
            "demo_data": VolumeRecord("demo_data", labels=mine),
            "demo_busy": VolumeRecord("demo_busy", labels=mine),
            anon: anonymous_volume(anon, NOW),
            "c" * 64: anonymous_volume("c" * 64, NOW, "demo"),  # left by a plain down
            "d" * 64: anonymous_volume("d" * 64, NOW),  # someone else's
            "shared": VolumeRecord("shared"),  # external
            "other_data": VolumeRecord("other_data",
                                       labels={"com.docker.compose.project": "other"}),
        },
        surroundings=Surroundings(containers=(
            _record(id="e" * 64, name="other-x-1", project="other",
                    volumes={"/b": "demo_busy"}),)),
    )
    assert volume_ops(plan.plan_down(observed)) == []
    result = plan.plan_down(observed, remove_volumes=True)
    assert sorted(volume_ops(result)) == sorted([
        f"remove volume {anon}", f"remove volume {'c' * 64}", "remove volume demo_data"])
    assert result.warnings == ("volume demo_busy is in use by other-x-1; it is kept",)
    assert result.render().splitlines()[0] == "1. remove container demo-db-1"


@pytest.mark.parametrize(("grant", "message"), [
    (FileGrant("secret", "s", "/run/secrets/s", external=True),
     "services.db.secrets: secrets.s: external secrets are not supported on a single host"),
    (FileGrant("config", "c", "/c", environment="UNSET"),
     "services.db.configs: configs.c: environment variable UNSET is not set"),
])
def test_ungrantable_files_fail_before_anything_is_made(grant: FileGrant,
                                                         message: str) -> None:
    proj = project()
    proj = dataclasses.replace(proj, services=MappingProxyType(
        {"db": dataclasses.replace(proj.services["db"], files=(grant,))}))
    with pytest.raises(UsageError) as info:
        up(proj, ObservedState("demo"))
    assert str(info.value) == message


def test_renew_anonymous_volumes() -> None:
    proj = project(mounts=(Mount("volume", "/scratch"),))
    old = next(op.record for op in up(proj, ObservedState("demo")).ops
               if isinstance(op, ops.CreateContainer))
    observed = ObservedState("demo", containers=(
        ContainerStatus(dataclasses.replace(old, config_hash="stale"), "running"),))
    renewed = plan.plan_up(proj, IMAGE_IDS, observed, root_tag=ROOT_TAG, new_id=ids(7),
                           now=NOW, runtime=RUNTIME, renew_anonymous=True)
    new = next(op.record for op in renewed.ops if isinstance(op, ops.CreateContainer))
    assert new.anonymous_volumes != old.anonymous_volumes
    assert volume_ops(renewed) == [f"create anonymous volume {new.anonymous_volumes[0]}"]


def test_a_volume_whose_configuration_changed_is_made_again_only_when_asked() -> None:
    """Docker Compose asks first: ``recreate_volumes=False`` is a no."""
    labelled = dataclasses.replace(DATA, labels=MappingProxyType({"v": "2"}))
    mounts = (Mount("volume", "/data", "data", volume=labelled),)
    made = up(project(DATA, mounts=mounts), ObservedState("demo"))
    (volume,) = [op.volume for op in made.ops if isinstance(op, ops.CreateVolume)]
    records = [op.record for op in made.ops if isinstance(op, ops.CreateContainer)]
    observed = ObservedState("demo", containers=tuple(ContainerStatus(r, "running")
                                                      for r in records),
                             volumes={volume.name: volume})
    changed = project(labelled, mounts=mounts)
    assert plan.diverged_volumes(changed, observed) == ["demo_data"]
    again = up(changed, observed)
    kinds = [type(op).__name__ for op in again.ops]
    assert kinds.index("RemoveContainer") < kinds.index("RemoveVolume") < \
        kinds.index("CreateVolume") < kinds.index("CreateContainer")
    kept = plan.plan_up(changed, IMAGE_IDS, observed, root_tag=ROOT_TAG, new_id=ids(5),
                        now=NOW, runtime=RUNTIME, recreate_volumes=False)
    assert not any(isinstance(op, ops.RemoveVolume | ops.CreateVolume) for op in kept.ops)
    assert any("doesn't match the configuration" in w for w in kept.warnings)
    assert plan.diverged_volumes(project(DATA, mounts=mounts), observed) == []
