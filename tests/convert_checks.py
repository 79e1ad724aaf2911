"""Checks every convert test shares: offline validation against the Kubernetes
OpenAPI schemas, and the round trip (each service's name, ports, probes, env,
volumes and dependencies can be found in the manifests)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import kubernetes_validate

from compose.convert.base import ConvertOptions, Notes
from compose.convert.names import dns_label
from compose.convert.probes import exec_command
from compose.convert.services import container_ports
from compose.convert.workloads import replicas

KUBERNETES = "1.33.0"  # the schemas kubernetes-validate==1.37.0 ships for this version


def validate_all(manifests: Sequence[Mapping[str, Any]]) -> None:
    for manifest in manifests:
        try:
            kubernetes_validate.validate(dict(manifest), KUBERNETES, strict=True)
        except kubernetes_validate.ValidationError as exc:
            name = f"{manifest['kind']}/{manifest['metadata']['name']}"
            raise AssertionError(f"{name}: {str(exc).splitlines()[0]}") from None


def _by(manifests: Sequence[Mapping[str, Any]], kind: str) -> dict[str, Mapping[str, Any]]:
    return {m["metadata"]["name"]: m for m in manifests if m["kind"] == kind}


def round_trip(canonical: Mapping[str, Any], manifests: Sequence[Mapping[str, Any]],
               warnings: Sequence[str]) -> None:
    """Everything each service says is in the output, or warned about."""
    workloads = {**_by(manifests, "Deployment"), **_by(manifests, "Job")}
    k8s_services = _by(manifests, "Service")
    config_maps = _by(manifests, "ConfigMap")
    for name, config in canonical["services"].items():
        label = dns_label(name)
        assert label in workloads, f"{name}: no workload"
        assert label in k8s_services, f"{name}: no Service"
        pod = workloads[label]["spec"]["template"]["spec"]
        container = next(c for c in pod["containers"] if c["name"] == label)
        # ports
        listed = {(p["containerPort"], p["protocol"]) for p in container.get("ports", [])}
        service_ports = {(p["port"], p["protocol"])
                         for p in k8s_services[label]["spec"].get("ports", [])}
        for port in container_ports(name, config, Notes()):
            assert port in listed and port in service_ports, f"{name}: port {port}"
        outside = k8s_services.get(f"{label}-published", {"spec": {"ports": []}})
        targets = {p["targetPort"] for p in outside["spec"]["ports"]}
        for index, port in enumerate(config.get("ports") or []):
            warned = any(w.startswith(f"services.{name}.ports[{index}]:") for w in warnings)
            assert warned or int(port["target"]) in targets, f"{name}: ports[{index}]"
        # probes
        test = (config.get("healthcheck") or {}).get("test")
        command = exec_command(list(test)) if test else None
        if command and not config["healthcheck"].get("disable"):
            for probe in ("readinessProbe", "livenessProbe"):
                assert container[probe]["exec"]["command"] == command, f"{name}: {probe}"
        # environment
        env = {e["name"]: e["value"].replace("$$", "$") for e in container.get("env", [])}
        for source in container.get("envFrom", []):
            env.update(config_maps[source["configMapRef"]["name"]]["data"])
        for key, value in (config.get("environment") or {}).items():
            if value is not None:
                assert env.get(key) == str(value), f"{name}: environment {key}"
        # volumes, secrets, configs and tmpfs: mounted where Compose mounts them
        mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
        for index, volume in enumerate(config.get("volumes") or []):
            left_out = any(w.startswith(f"services.{name}.volumes[{index}]") and
                           ("left out" in w) for w in warnings)
            assert left_out or volume["target"] in mounts, f"{name}: volume {volume['target']}"
        for kind in ("secrets", "configs"):
            for index, ref in enumerate(config.get(kind) or []):
                left_out = any(w.startswith(f"services.{name}.{kind}[{index}]") and
                               "left out" in w for w in warnings)
                target = ref.get("target") or f"/{ref['source']}"
                if not target.startswith("/"):  # relative: under /run/secrets for secrets
                    target = f"/run/secrets/{target}" if kind == "secrets" else f"/{target}"
                assert left_out or target in mounts, f"{name}: {kind} {target}"
        for entry in config.get("tmpfs") or []:
            assert str(entry).split(":")[0] in mounts, f"{name}: tmpfs {entry}"
        # dependencies: an init container per dependency, in order
        waits = [c["name"] for c in pod.get("initContainers", [])]
        for dep in config.get("depends_on") or {}:
            scaled_to_zero = dep in canonical["services"] and replicas(
                dep, canonical["services"][dep], ConvertOptions()) == 0
            if dep in canonical["services"] and not scaled_to_zero:
                assert any(w.startswith(dns_label(f"wait-{dep}")) for w in waits), \
                    f"{name}: depends_on {dep}"
