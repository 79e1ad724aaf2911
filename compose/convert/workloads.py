"""Each service as a ``Deployment``, or a ``Job`` for a one-shot others wait on.

A service whose restart policy is ``no`` or ``on-failure`` and that another
service waits on with ``service_completed_successfully`` is a Job (``restart:
no`` never retries, ``on-failure[:N]`` retries N times); every other service is a
Deployment (whose pods always restart: an explicit ``restart: no`` there is
reported).  ``depends_on`` becomes init containers run in order:

- ``service_started``/``service_healthy``: wait until the dependency's headless
  Service resolves, which it does once one of its pods is ready, and a pod with
  a healthcheck is ready only when its readiness probe (the healthcheck) passes;
- ``service_completed_successfully``: ``kubectl wait`` for the Job to exist, then
  to complete, with a service account allowed to read Jobs; waiting for a Job to
  have started is waiting for it to exist (its pod may have finished already).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from common.durations import parse_duration
from compose.convert.base import ConvertError, ConvertOptions, Manifest, Notes, obj
from compose.convert.configdata import literal
from compose.convert.names import dns_label
from compose.convert.probes import seconds

ALWAYS = ("always", "unless-stopped")
WAITER_ROLE = "pycompose-job-reader"


def effective_restart(config: Mapping[str, Any]) -> str:
    """``restart``, else the one ``deploy.restart_policy`` implies, else ``no``."""
    if config.get("restart"):
        return str(config["restart"])
    policy = (config.get("deploy") or {}).get("restart_policy") or {}
    condition = policy.get("condition")
    if condition == "any":
        return "always"
    if condition == "on-failure":
        attempts = policy.get("max_attempts")
        return f"on-failure:{attempts}" if attempts else "on-failure"
    return "no"


def job_services(services: Mapping[str, Mapping[str, Any]], notes: Notes) -> frozenset[str]:
    """Services that become Jobs: one-shots that others wait on to complete."""
    awaited = {dep for config in services.values()
               for dep, entry in (config.get("depends_on") or {}).items()
               if (entry or {}).get("condition") == "service_completed_successfully"}
    jobs = set()
    for name in sorted(awaited):
        if name not in services:
            continue
        if effective_restart(services[name]).split(":")[0] in ALWAYS:
            notes.warn(name, "restart", "others wait for it to complete, but it restarts "
                                        "always: it becomes a Deployment, and they wait for "
                                        "it to be ready instead")
        else:
            jobs.add(name)
    return frozenset(jobs)


def replicas(service: str, config: Mapping[str, Any], options: ConvertOptions) -> int:
    if service in options.scale:
        return options.scale[service]
    deploy_replicas = (config.get("deploy") or {}).get("replicas")
    if deploy_replicas is not None:
        return int(deploy_replicas)
    return int(config["scale"]) if config.get("scale") is not None else 1


def image(service: str, project: str, config: Mapping[str, Any], options: ConvertOptions,
          notes: Notes) -> str:
    if config.get("image"):
        if config.get("build"):
            notes.warn(service, "build", f"Kubernetes does not build: push {config['image']} "
                                         "to a registry the cluster pulls from")
        return str(config["image"])
    if config.get("build") and options.image_prefix:
        name = f"{options.image_prefix.rstrip('/')}/{project}-{service}"
        notes.warn(service, "build", f"Kubernetes does not build: push the image as {name}")
        return name
    if config.get("build"):
        raise ConvertError(f"services.{service}: only build is given; name the image with "
                           "image: or pass --image-prefix REGISTRY")
    raise ConvertError(f"services.{service}: no image")


_PULL = {"always": "Always", "never": "Never", "missing": "IfNotPresent",
         "if_not_present": "IfNotPresent"}


def container(service: str, project: str, config: Mapping[str, Any],
              options: ConvertOptions, notes: Notes) -> dict[str, Any]:
    """The container fields that come straight from the service."""
    result: dict[str, Any] = {"name": dns_label(service),
                              "image": image(service, project, config, options, notes)}
    entrypoint, command = config.get("entrypoint"), config.get("command")
    if entrypoint:
        result["command"] = [literal(str(word)) for word in entrypoint]
    elif entrypoint is not None and command is None:
        notes.warn(service, "entrypoint", "an empty entrypoint cannot be expressed; the "
                                          "image's entrypoint is kept")
    if command is not None:
        result["args"] = [literal(str(word)) for word in command]
    if config.get("working_dir"):
        result["workingDir"] = str(config["working_dir"])
    if config.get("tty"):
        result["tty"] = True
    if config.get("stdin_open"):
        result["stdin"] = True
    policy = config.get("pull_policy")
    if policy in _PULL:
        result["imagePullPolicy"] = _PULL[str(policy)]
    elif policy:
        notes.warn(service, "pull_policy", f"{policy!r} cannot be expressed; ignored")
    lifecycle: dict[str, Any] = {}
    for key, hook in (("post_start", "postStart"), ("pre_stop", "preStop")):
        hooks = config.get(key) or []
        if hooks:
            lifecycle[hook] = {"exec": {"command": [str(w) for w in hooks[0]["command"]]}}
            if len(hooks) > 1 or any(set(h) - {"command"} for h in hooks):
                notes.warn(service, key, "only the first hook's command is expressed")
    if lifecycle:
        result["lifecycle"] = lifecycle
    return result


def waits(service: str, config: Mapping[str, Any], services: Mapping[str, Any],
          jobs: frozenset[str], options: ConvertOptions,
          notes: Notes) -> tuple[list[dict[str, Any]], bool]:
    """Init containers for ``depends_on``, and whether they read Jobs from the API."""
    result: list[dict[str, Any]] = []
    reads_jobs = False
    for dep, entry in (config.get("depends_on") or {}).items():
        condition = (entry or {}).get("condition", "service_started")
        if dep not in services:
            notes.warn(service, f"depends_on.{dep}", "not in the converted services; "
                                                     "not waited for")
            continue
        name = dns_label(dep)
        if dep not in jobs and replicas(dep, services[dep], options) == 0:
            continue  # docker compose does not wait for a service scaled to 0
        if (entry or {}).get("restart"):
            notes.warn(service, f"depends_on.{dep}.restart", "Kubernetes does not restart "
                                                             "dependents with it; ignored")
        if (entry or {}).get("required") is False:
            notes.warn(service, f"depends_on.{dep}.required", "false: waited for all the "
                                                              "same (an init container "
                                                              "cannot give up)")
        if dep in jobs:  # a Job's pod may be gone already: ask the API about the Job
            reads_jobs = True
            steps = [("created", "--for=create")]
            if condition == "service_completed_successfully":
                steps.append(("done", "--for=condition=complete"))
            for step, check in steps:
                result.append({
                    "name": dns_label(f"wait-{dep}-{step}"), "image": options.kubectl_image,
                    # the image's entrypoint is kubectl (registry.k8s.io/kubectl, bitnami/kubectl)
                    "args": ["wait", check, f"job/{name}", "--timeout=-1s"],
                })
            continue
        if condition == "service_healthy" and not (services[dep].get("healthcheck") or {}) \
                .get("test"):
            notes.warn(service, f"depends_on.{dep}", "service_healthy, but it has no "
                                                     "healthcheck: waits for it to be ready")
        fqdn = f"{name}.$(POD_NAMESPACE).svc.{options.cluster_domain}"
        result.append({
            "name": dns_label(f"wait-{dep}"), "image": options.wait_image,
            "command": ["sh", "-c", f"until nslookup {fqdn} >/dev/null 2>&1; do "
                                    f"echo 'waiting for {name}'; sleep 2; done"],
            "env": [{"name": "POD_NAMESPACE",
                     "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}],
        })
    return result, reads_jobs


def strategy(service: str, config: Mapping[str, Any], exclusive_claims: bool,
             notes: Notes) -> dict[str, Any]:
    """The Deployment's rollout from ``deploy.update_config``; ``Recreate`` for a pod
    that holds a ReadWriteOnce claim (two pods cannot mount it on two nodes)."""
    update = (config.get("deploy") or {}).get("update_config")
    if not update:
        return {"strategy": {"type": "Recreate"}} if exclusive_claims else {}
    if exclusive_claims:
        notes.warn(service, "deploy.update_config", "a rolling update of a pod holding a "
                                                    "ReadWriteOnce claim may stall")
    parallelism = update.get("parallelism")
    step: int | str = "100%" if parallelism == 0 else int(parallelism or 1)
    start_first = update.get("order") == "start-first"
    result: dict[str, Any] = {"strategy": {"type": "RollingUpdate", "rollingUpdate": {
        "maxSurge": step if start_first else 0,
        "maxUnavailable": 0 if start_first else step}}}
    if update.get("delay"):
        result["minReadySeconds"] = seconds(update["delay"], 0, service,
                                            "deploy.update_config.delay", notes)
    for key in ("failure_action", "monitor", "max_failure_ratio"):
        if update.get(key):
            notes.warn(service, f"deploy.update_config.{key}", "cannot be expressed in a "
                                                               "rolling update; ignored")
    if (config.get("deploy") or {}).get("rollback_config"):
        notes.warn(service, "deploy.rollback_config", "cannot be expressed; ignored")
    return result


@dataclass(frozen=True)
class Workload:
    service: str
    project: str
    config: Mapping[str, Any]
    pod: dict[str, Any]
    labels: Mapping[str, str]
    selector: Mapping[str, str]
    annotations: Mapping[str, str]


def grace_period(service: str, config: Mapping[str, Any], notes: Notes) -> int:
    value = config.get("stop_grace_period")
    return max(0, round(parse_duration(value))) if value is not None else 10


def controller(work: Workload, is_job: bool, exclusive_claims: bool,
               options: ConvertOptions, notes: Notes) -> Manifest:
    service, config = work.service, work.config
    template: dict[str, Any] = {"metadata": {"labels": dict(work.labels)}, "spec": work.pod}
    if work.annotations:
        template["metadata"]["annotations"] = dict(work.annotations)
    count = replicas(service, config, options)
    restart = effective_restart(config)
    kind, _, attempts = restart.partition(":")
    if is_job:
        made = obj("batch/v1", "Job", dns_label(service), work.project, options,
                   {"pycompose.io/service": dns_label(service)})
        work.pod["restartPolicy"] = "OnFailure" if kind == "on-failure" else "Never"
        spec: dict[str, Any] = {"backoffLimit": int(attempts) if attempts else
                                (0 if kind == "no" else 6), "template": template}
        if kind == "on-failure" and not attempts:
            notes.warn(service, "restart", "on-failure without a limit: the Job retries "
                                           "6 times (Kubernetes' default)")
        if count != 1:
            spec.update(completions=count, parallelism=count)
        made["spec"] = spec
        return made
    if "restart" in config and kind not in ALWAYS:
        notes.warn(service, "restart", f"{restart!r}: a Deployment's pods always restart")
    made = obj("apps/v1", "Deployment", dns_label(service), work.project, options,
               {"pycompose.io/service": dns_label(service)})
    deploy_labels = (config.get("deploy") or {}).get("labels") or {}
    if deploy_labels:
        made["metadata"]["annotations"] = {str(k): str(v) for k, v in
                                           sorted(deploy_labels.items())}
    work.pod["restartPolicy"] = "Always"
    made["spec"] = {"replicas": count, "selector": {"matchLabels": dict(work.selector)},
                    **strategy(service, config, exclusive_claims, notes),
                    "template": template}
    return made


def waiter_rbac(project: str, options: ConvertOptions, notes: Notes) -> list[Manifest]:
    """The service account init containers use to wait for Jobs, allowed to read Jobs."""
    account = obj("v1", "ServiceAccount", WAITER_ROLE, project, options)
    role = obj("rbac.authorization.k8s.io/v1", "Role", WAITER_ROLE, project, options)
    role["rules"] = [{"apiGroups": ["batch"], "resources": ["jobs"],
                      "verbs": ["get", "list", "watch"]}]
    binding = obj("rbac.authorization.k8s.io/v1", "RoleBinding", WAITER_ROLE, project, options)
    if not options.namespace:
        notes.warn(None, "depends_on", "the RoleBinding for waiting on Jobs names namespace "
                                       "'default'; pass --namespace to apply elsewhere")
    binding["roleRef"] = {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                          "name": WAITER_ROLE}
    binding["subjects"] = [{"kind": "ServiceAccount", "name": WAITER_ROLE,
                            "namespace": options.namespace or "default"}]
    return [account, role, binding]
