"""docker compose's ``deploy`` struct (and the device requests ``gpus`` shares), as
``gomodel`` specs, in Go declaration order."""

from __future__ import annotations

from typing import Any

from compose.spec.golang import values as govalues
from compose.spec.golang.structs import (
    Context,
    Struct,
    duration,
    duration_value,
    field,
    float32,
    integer,
    labels,
    list_of,
    size,
    string,
    strings,
)


def _device_count(value: Any, ctx: Context) -> Any:
    return -1 if str(value) == "all" else govalues.to_int(value)


DEVICE_REQUEST = Struct(
    field("capabilities", strings), field("driver", string), field("count", _device_count),
    field("device_ids", strings), field("options", labels),
)


def gpus(value: Any, ctx: Context) -> Any:
    if value == "all":
        return [{"count": -1}]
    return list_of(DEVICE_REQUEST)(value, ctx)


_UPDATE = Struct(
    field("parallelism", integer, pointer=True), field("delay", duration_value),
    field("failure_action", string), field("monitor", duration_value),
    field("max_failure_ratio", float32), field("order", string),
)
_GENERIC_RESOURCE = Struct(field("discrete_resource_spec", Struct(
    field("kind", string), field("value", integer)), pointer=True))
_RESOURCE = Struct(
    field("cpus", float32), field("memory", size), field("pids", integer),
    field("devices", list_of(DEVICE_REQUEST)),
    field("generic_resources", list_of(_GENERIC_RESOURCE)),
)
DEPLOY = Struct(
    field("mode", string), field("replicas", integer, pointer=True), field("labels", labels),
    field("update_config", _UPDATE, pointer=True),
    field("rollback_config", _UPDATE, pointer=True),
    field("resources", Struct(field("limits", _RESOURCE, pointer=True),
                              field("reservations", _RESOURCE, pointer=True))),
    field("restart_policy", Struct(
        field("condition", string), field("delay", duration, pointer=True),
        field("max_attempts", integer, pointer=True), field("window", duration, pointer=True),
    ), pointer=True),
    field("placement", Struct(
        field("constraints", strings),
        field("preferences", list_of(Struct(field("spread", string)))),
        field("max_replicas_per_node", integer),
    )),
    field("endpoint_mode", string),
)
