"""The conversion, part by part: ``convert(canonical, options, host)``.

Input is the loader's canonical model (what ``pycompose config`` prints, as
data); output is a sorted list of Kubernetes objects and the warnings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from compose.convert import (
    configdata,
    keys,
    names,
    policies,
    probes,
    scheduling,
    security,
    services,
    storage,
)
from compose.convert.base import (
    PART_OF,
    SERVICE_LABEL,
    ConvertError,
    ConvertOptions,
    Host,
    Manifest,
    Notes,
    obj,
)
from compose.convert.names import dns_label
from compose.convert.workloads import (
    Workload,
    container,
    controller,
    grace_period,
    job_services,
    waiter_rbac,
    waits,
)

KIND_ORDER = ("Namespace", "ServiceAccount", "Role", "RoleBinding", "ConfigMap", "Secret",
              "PersistentVolumeClaim", "Service", "NetworkPolicy", "Job", "Deployment")


@dataclass(frozen=True)
class Conversion:
    manifests: tuple[Manifest, ...]
    warnings: tuple[str, ...]


def convert(canonical: Mapping[str, Any], options: ConvertOptions, host: Host) -> Conversion:
    project = str(canonical["name"])
    notes = Notes()
    all_services: Mapping[str, Mapping[str, Any]] = canonical.get("services") or {}
    _check_names(all_services, notes)
    jobs = job_services(all_services, notes)
    files = configdata.FileObjects(project, options, host, notes)
    objects: list[Manifest] = []
    users = _volume_users(all_services, options)
    exclusive = {k for k, n in users.items() if n == 1}
    reads_jobs = False
    taken_names: dict[str, str] = {dns_label(name): name for name in all_services}
    for name, config in sorted(all_services.items()):
        keys.unexpressed(name, config, notes)
        made, waits_for_jobs = _service(name, config, canonical, project, jobs, files,
                                        exclusive, taken_names, options, host, notes)
        objects.extend(made)
        reads_jobs = reads_jobs or waits_for_jobs
    objects.extend(files.objects())
    objects.extend(storage.claims(canonical, users, project, options, notes))
    policies.network_warnings(canonical, notes)
    if reads_jobs:
        objects.extend(waiter_rbac(project, options, notes))
    if options.namespace:
        namespace = obj("v1", "Namespace", options.namespace, project, options)
        del namespace["metadata"]["namespace"]
        objects.append(namespace)
    return Conversion(tuple(_sorted(objects)), tuple(notes.lines))


def _sorted(objects: list[Manifest]) -> list[Manifest]:
    seen: dict[tuple[str, str], Manifest] = {}
    for made in objects:
        key = (made["kind"], made["metadata"]["name"])
        if key in seen and seen[key] != made:
            raise ConvertError(f"two {key[0]}s would be named {key[1]!r}; rename one of "
                               "the Compose objects they come from")
        seen[key] = made
    return sorted(seen.values(), key=lambda m: (KIND_ORDER.index(m["kind"]),
                                                m["metadata"]["name"]))


def _check_names(all_services: Mapping[str, Any], notes: Notes) -> None:
    seen: dict[str, str] = {}
    for name in sorted(all_services):
        label = dns_label(name)
        if label in seen:
            raise ConvertError(f"services {seen[label]!r} and {name!r} would both be named "
                               f"{label!r} in Kubernetes; rename one")
        seen[label] = name
        if label != name:
            notes.warn(name, "name", f"named {label!r} in Kubernetes (names there are "
                                     "lower-case letters, digits and '-'): peers must use "
                                     "that name")


def _volume_users(all_services: Mapping[str, Mapping[str, Any]],
                  options: ConvertOptions) -> dict[str, int]:
    """Per named volume, how many pods mount it (a scaled service counts per replica)."""
    from compose.convert.workloads import replicas

    users: dict[str, int] = {}
    for name, config in all_services.items():
        count = max(1, replicas(name, config, options))
        mounted = list(config.get("volumes") or [])
        for source, _ in storage.volumes_from_sources(config):
            mounted.extend((all_services.get(source) or {}).get("volumes") or [])
        for volume in mounted:
            if volume.get("type") == "volume" and volume.get("source"):
                users[volume["source"]] = users.get(volume["source"], 0) + count
    return users


def _service(name: str, config: Mapping[str, Any], canonical: Mapping[str, Any],
             project: str, jobs: frozenset[str], files: configdata.FileObjects,
             exclusive: set[str], taken_names: dict[str, str], options: ConvertOptions,
             host: Host, notes: Notes) -> tuple[list[Manifest], bool]:
    label = dns_label(name)
    selector = {PART_OF: project, SERVICE_LABEL: label}
    labels = dict(selector)
    for network in sorted(config.get("networks") or {}):
        labels[policies.network_label(network)] = "true"
    made: list[Manifest] = []

    main = container(name, project, config, options, notes)
    ports = services.container_ports(name, config, notes)
    if ports:
        main["ports"] = [{"containerPort": p, "protocol": proto} for p, proto in ports]
    env, env_objects = configdata.environment(name, config, project, options)
    main.update(env)
    made.extend(env_objects)
    pod_storage = storage.pod_storage(name, config, canonical, project, options, host, notes)
    configdata.mount_files(name, config, canonical, files, pod_storage)
    made.extend(pod_storage.objects)
    if pod_storage.mounts:
        main["volumeMounts"] = pod_storage.mounts
    main.update(security.resources(name, config, notes))
    main.update(security.container_security(name, config, notes))
    main.update(probes.probes(name, config.get("healthcheck"), notes))
    if config.get("stop_signal") not in (None, "SIGTERM", "TERM", "15"):
        notes.warn(name, "stop_signal", f"{config['stop_signal']}: Kubernetes stops with "
                                        "SIGTERM")

    pod: dict[str, Any] = {"containers": [main]}
    init, reads_jobs = waits(name, config, canonical.get("services") or {}, jobs, options,
                             notes)
    if init:
        pod["initContainers"] = init
    if reads_jobs:
        pod["serviceAccountName"] = "pycompose-job-reader"
    if pod_storage.volumes:
        pod["volumes"] = pod_storage.volumes
    pod["terminationGracePeriodSeconds"] = grace_period(name, config, notes)
    pod.update(_pod_network(name, config, notes))
    pod.update(security.pod_security(name, config, notes))
    pod.update(scheduling.scheduling(name, config, notes))

    annotations = {}
    for key in ("labels", "annotations"):
        for given, value in sorted((config.get(key) or {}).items()):
            if names.annotation_key(str(given)):
                annotations[str(given)] = str(value)
            else:
                notes.warn(name, f"{key}.{given}", "not a valid Kubernetes annotation "
                                                   "name; left out")
    work = Workload(name, project, config, pod, labels, selector, annotations)
    claims_held = any(v.get("persistentVolumeClaim", {}).get("claimName") in
                      {dns_label(k) for k in exclusive} for v in pod_storage.volumes)
    made.append(controller(work, name in jobs, claims_held, options, notes))

    peer = services.peer_spec(ports)
    head = obj("v1", "Service", label, project, options, {SERVICE_LABEL: label})
    head["spec"] = {"selector": dict(selector), **peer}
    made.append(head)
    for alias, key in services.aliases(name, config) + [
            (a, k) for a, _, k in services.link_aliases(
                canonical.get("services") or {}).get(name, [])]:
        alias_label = dns_label(alias)
        if alias_label in taken_names:
            if taken_names[alias_label] != name:
                notes.warn(name, key, f"{alias!r} is already the name of "
                                      f"{taken_names[alias_label]!r}; no Service for it")
            continue
        taken_names[alias_label] = name
        extra = obj("v1", "Service", alias_label, project, options, {SERVICE_LABEL: label})
        extra["spec"] = {"selector": dict(selector), **peer}
        made.append(extra)
    published = services.published_service(name, config, project, options, selector, notes)
    if published is not None:
        made.append(published)
    made.append(policies.policy(name, config, project, options, selector))
    return made, reads_jobs


def _pod_network(name: str, config: Mapping[str, Any], notes: Notes) -> dict[str, Any]:
    result: dict[str, Any] = {}
    mode = config.get("network_mode")
    if mode == "host":
        result["hostNetwork"] = True
    elif mode not in (None, "", "none", "bridge", "default"):
        notes.warn(name, "network_mode", f"{mode!r}: pods cannot share another's network; "
                                         "the pod gets its own")
    if config.get("hostname"):
        given = str(config["hostname"])
        result["hostname"] = dns_label(given.split(".")[0])
        if result["hostname"] != given:
            notes.warn(name, "hostname", f"{given!r} becomes {result['hostname']!r} (a pod's "
                                         "hostname is one DNS label)")
    dns: dict[str, Any] = {}
    if config.get("dns"):
        dns["nameservers"] = [str(s) for s in config["dns"]]
    if config.get("dns_search"):
        dns["searches"] = [str(s) for s in config["dns_search"]]
    if config.get("dns_opt"):
        options = []
        for option in config["dns_opt"]:
            key, _, value = str(option).partition(":")
            options.append({"name": key, **({"value": value} if value else {})})
        dns["options"] = options
    if dns:
        result["dnsConfig"] = dns
    hosts: dict[str, list[str]] = {}
    for entry in config.get("extra_hosts") or []:
        host, _, address = str(entry).partition("=")
        if address == "host-gateway":
            notes.warn(name, "extra_hosts", f"{host}=host-gateway cannot be expressed; ignored")
            continue
        hosts.setdefault(address, []).append(host)
    if hosts:
        result["hostAliases"] = [{"ip": ip, "hostnames": names}
                                 for ip, names in sorted(hosts.items())]
    return result
