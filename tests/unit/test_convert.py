"""The pure parts of ``pycompose convert``, one key at a time, through the real loader."""

from __future__ import annotations

import base64
import textwrap
from pathlib import Path
from typing import Any

import pytest

from compose.cli.commands.convert import LocalHost, convert_project, explicit_environment
from compose.convert import names, probes, security, storage
from compose.convert.base import ConvertError, ConvertOptions, Notes
from compose.convert.core import Conversion
from compose.spec.loader import LoadOptions, load_project
from tests.convert_checks import round_trip, validate_all


def run(tmp_path: Path, text: str, files: dict[str, str] | None = None,
        **options: Any) -> Conversion:
    (tmp_path / "compose.yaml").write_text(textwrap.dedent(text))
    for name, content in (files or {}).items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    load = LoadOptions(cwd=str(tmp_path), environ={"SECRET_VALUE": "s3cret"},
                       project_name="t")
    conversion, _ = convert_project(load, ConvertOptions(**options))
    validate_all(conversion.manifests)
    round_trip(load_project(load).canonical, conversion.manifests, conversion.warnings)
    return conversion


def find(conversion: Conversion, kind: str, name: str) -> dict[str, Any]:
    return next(dict(m) for m in conversion.manifests
                if m["kind"] == kind and m["metadata"]["name"] == name)


def pod(conversion: Conversion, name: str, kind: str = "Deployment") -> dict[str, Any]:
    result: dict[str, Any] = find(conversion, kind, name)["spec"]["template"]["spec"]
    return result


def main(conversion: Conversion, name: str, kind: str = "Deployment") -> dict[str, Any]:
    result: dict[str, Any] = pod(conversion, name, kind)["containers"][0]
    return result


# names -------------------------------------------------------------------------------

@pytest.mark.parametrize(("given", "label"), [
    ("web", "web"), ("my_db", "my-db"), ("My.App", "my-app"), ("1st", "x-1st"),
    ("_x_", "x"), ("a" * 70, "a" * 54 + "-" + names.dns_label("a" * 70)[-8:]),
])
def test_dns_label(given: str, label: str) -> None:
    assert names.dns_label(given) == label
    assert len(names.dns_label(given)) <= 63


def test_renamed_service_is_warned(tmp_path: Path) -> None:
    conversion = run(tmp_path, """
        services:
          my_db: {image: postgres}
    """)
    assert find(conversion, "Deployment", "my-db")
    assert any(w.startswith("services.my_db.name: named 'my-db'") for w in conversion.warnings)


def test_services_clashing_after_renaming_are_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConvertError, match="would both be named 'a-b'"):
        run(tmp_path, """
            services:
              a_b: {image: x}
              a.b: {image: x}
        """)


# workloads ---------------------------------------------------------------------------

def test_replicas_from_deploy_scale_and_flag(tmp_path: Path) -> None:
    text = """
        services:
          a: {image: x, deploy: {replicas: 3}}
          b: {image: x, scale: 2}
          c: {image: x}
    """
    conversion = run(tmp_path, text)
    assert [find(conversion, "Deployment", n)["spec"]["replicas"] for n in "abc"] == [3, 2, 1]
    conversion = run(tmp_path, text, scale={"a": 5, "c": 0})
    assert find(conversion, "Deployment", "a")["spec"]["replicas"] == 5
    assert find(conversion, "Deployment", "c")["spec"]["replicas"] == 0


def test_one_shot_awaited_for_completion_is_a_job(tmp_path: Path) -> None:
    conversion = run(tmp_path, """
        services:
          migrate: {image: x, restart: "no"}
          seed: {image: x, restart: "on-failure:4"}
          app:
            image: x
            depends_on:
              migrate: {condition: service_completed_successfully}
              seed: {condition: service_completed_successfully}
    """, namespace="prod")
    job = find(conversion, "Job", "migrate")
    assert job["spec"]["backoffLimit"] == 0
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    seed = find(conversion, "Job", "seed")
    assert seed["spec"]["backoffLimit"] == 4
    assert seed["spec"]["template"]["spec"]["restartPolicy"] == "OnFailure"
    app = pod(conversion, "app")
    assert [c["name"] for c in app["initContainers"]] == [
        "wait-migrate-created", "wait-migrate-done", "wait-seed-created", "wait-seed-done"]
    assert app["initContainers"][1]["args"] == [
        "wait", "--for=condition=complete", "job/migrate", "--timeout=-1s"]
    assert app["serviceAccountName"] == "pycompose-job-reader"
    role = find(conversion, "Role", "pycompose-job-reader")
    assert role["rules"][0]["resources"] == ["jobs"]
    assert find(conversion, "RoleBinding", "pycompose-job-reader")["subjects"][0][
        "namespace"] == "prod"
    assert app["restartPolicy"] == "Always"


def test_always_restarting_dependency_stays_a_deployment(tmp_path: Path) -> None:
    conversion = run(tmp_path, """
        services:
          init: {image: x, restart: always}
          app:
            image: x
            depends_on: {init: {condition: service_completed_successfully}}
    """)
    assert find(conversion, "Deployment", "init")
    assert pod(conversion, "app")["initContainers"][0]["name"] == "wait-init"
    assert any(w.startswith("services.init.restart: others wait for it to complete")
               for w in conversion.warnings)


def test_started_and_healthy_wait_for_the_service_name(tmp_path: Path) -> None:
    conversion = run(tmp_path, """
        services:
          db: {image: x, healthcheck: {test: [CMD, pg_isready]}}
          cache: {image: x}
          app:
            image: x
            depends_on:
              db: {condition: service_healthy}
              cache: {condition: service_started}
    """, cluster_domain="example.internal")
    waits = pod(conversion, "app")["initContainers"]
    assert [w["name"] for w in waits] == ["wait-cache", "wait-db"]
    assert "nslookup db.$(POD_NAMESPACE).svc.example.internal" in waits[1]["command"][2]
    assert waits[1]["env"][0]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.namespace"
    assert find(conversion, "Service", "db")["spec"]["clusterIP"] == "None"
    assert "serviceAccountName" not in pod(conversion, "app")


def test_healthy_without_healthcheck_is_warned(tmp_path: Path) -> None:
    conversion = run(tmp_path, """
        services:
          db: {image: x}
          app: {image: x, depends_on: {db: {condition: service_healthy}}}
    """)
    assert "services.app.depends_on.db: service_healthy, but it has no healthcheck: " \
           "waits for it to be ready" in conversion.warnings


def test_explicit_restart_no_on_a_deployment_is_warned(tmp_path: Path) -> None:
    conversion = run(tmp_path, """
        services:
          a: {image: x, restart: "no"}
          b: {image: x, restart: unless-stopped}
          c: {image: x}
    """)
    restart = [w for w in conversion.warnings if ".restart:" in w]
    assert restart == ["services.a.restart: 'no': a Deployment's pods always restart"]


def test_command_entrypoint_and_dollars(tmp_path: Path) -> None:
    conversion = run(tmp_path, """
        services:
          a:
            image: x
            entrypoint: [/bin/sh, -c]
            command: ["echo $$HOME $$(VAR)"]
            working_dir: /srv
            tty: true
            stdin_open: true
            pull_policy: always
            environment: {PRICE: "$$5"}
    """)
    container = main(conversion, "a")
    assert container["command"] == ["/bin/sh", "-c"]
    assert container["args"] == ["echo $$HOME $$(VAR)"]  # Kubernetes turns $$ back into $
    assert container["env"] == [{"name": "PRICE", "value": "$$5"}]
    assert (container["workingDir"], container["tty"], container["stdin"]) == ("/srv", True,
                                                                               True)
    assert container["imagePullPolicy"] == "Always"


def test_build_only_service_needs_an_image_name(tmp_path: Path) -> None:
    text = """
        services:
          app: {build: .}
    """
    with pytest.raises(ConvertError, match=r"services\.app: only build is given"):
        run(tmp_path, text)
    conversion = run(tmp_path, text, image_prefix="registry.example.com/team/")
    assert main(conversion, "app")["image"] == "registry.example.com/team/t-app"


def test_stop_grace_period_and_update_config(tmp_path: Path) -> None:
    conversion = run(tmp_path, """
        services:
          a:
            image: x
            stop_grace_period: 1m30s
            deploy:
              update_config: {parallelism: 2, delay: 10s, order: start-first,
                              failure_action: rollback}
          b: {image: x, deploy: {update_config: {parallelism: 1}}}
          c: {image: x}
    """)
    a = find(conversion, "Deployment", "a")
    assert a["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 90
    assert a["spec"]["strategy"] == {"type": "RollingUpdate",
                                     "rollingUpdate": {"maxSurge": 2, "maxUnavailable": 0}}
    assert a["spec"]["minReadySeconds"] == 10
    assert find(conversion, "Deployment", "b")["spec"]["strategy"]["rollingUpdate"] == {
        "maxSurge": 0, "maxUnavailable": 1}
    assert pod(conversion, "c")["terminationGracePeriodSeconds"] == 10  # Docker's default
    assert "services.a.deploy.update_config.failure_action: cannot be expressed in a " \
           "rolling update; ignored" in conversion.warnings


# Services and network policies ---------------------------------------------------------

def test_ports_expose_and_published_service(tmp_path: Path) -> None:
    text = """
        services:
          web:
            image: x
            ports: ["8080:80", "127.0.0.1:53:53/udp", "9000"]
            expose: ["3000", "4000-4001/udp"]
          worker: {image: x}
    """
    conversion = run(tmp_path, text)
    peer = find(conversion, "Service", "web")["spec"]
    assert peer["clusterIP"] == "None"
    assert [(p["port"], p["protocol"]) for p in peer["ports"]] == [
        (80, "TCP"), (53, "UDP"), (9000, "TCP"), (3000, "TCP"), (4000, "UDP"), (4001, "UDP")]
    published = find(conversion, "Service", "web-published")["spec"]
    assert published["type"] == "ClusterIP"
    assert [(p["port"], p["targetPort"]) for p in published["ports"]] == [
        (8080, 80), (53, 53), (9000, 9000)]
    assert find(conversion, "Service", "worker")["spec"] == {
        "clusterIP": "None",
        "selector": {"app.kubernetes.io/part-of": "t", "pycompose.io/service": "worker"}}
    assert any(w.startswith("services.web.ports[1].host_ip: 127.0.0.1")
               for w in conversion.warnings)
    balanced = run(tmp_path, text, service_type="LoadBalancer")
    assert find(balanced, "Service", "web-published")["spec"]["type"] == "LoadBalancer"


def test_node_ports_in_range_are_kept(tmp_path: Path) -> None:
    conversion = run(tmp_path, """
        services:
          web: {image: x, ports: ["30080:80", "8080:81"]}
    """, service_type="NodePort")
    ports = find(conversion, "Service", "web-published")["spec"]["ports"]
    assert ports[0]["nodePort"] == 30080
    assert "nodePort" not in ports[1]


def test_aliases_links_and_container_name_become_services(tmp_path: Path) -> None:
    conversion = run(tmp_path, """
        services:
          db:
            image: x
            container_name: the_db
            networks: {back: {aliases: [database, db]}}
          app:
            image: x
            links: ["db:sql"]
            networks: [back]
        networks: {back: {}}
    """)
    for alias in ("database", "the-db", "sql"):
        assert find(conversion, "Service", alias)["spec"]["selector"][
            "pycompose.io/service"] == "db"


def test_network_policies_follow_shared_networks(tmp_path: Path) -> None:
    conversion = run(tmp_path, """
        services:
          api: {image: x, networks: [back]}
          web: {image: x, networks: [front, back], ports: ["80:8080"]}
          lonely: {image: x, network_mode: none}
        networks: {front: {}, back: {internal: true}}
    """)
    api = find(conversion, "NetworkPolicy", "api")["spec"]
    assert api["ingress"] == [{"from": [{"podSelector": {"matchLabels": {
        "app.kubernetes.io/part-of": "t", "network.pycompose.io/back": "true"}}}]}]
    web = find(conversion, "NetworkPolicy", "web")["spec"]
    assert len(web["ingress"][0]["from"]) == 2
    assert web["ingress"][1] == {"ports": [{"port": 8080, "protocol": "TCP"}]}
    assert find(conversion, "NetworkPolicy", "lonely")["spec"]["ingress"] == []
    labels = find(conversion, "Deployment", "web")["spec"]["template"]["metadata"]["labels"]
    assert labels["network.pycompose.io/front"] == labels["network.pycompose.io/back"] == "true"
    assert "networks.back.internal: outgoing traffic is not restricted (no egress policy " \
           "is written)" in conversion.warnings


# probes ------------------------------------------------------------------------------

def test_probes_from_healthcheck() -> None:
    notes = Notes()
    got = probes.probes("db", {"test": ["CMD-SHELL", "pg_isready -U x"], "interval": "10s",
                               "timeout": "3s", "retries": 5, "start_period": "1m",
                               "start_interval": "2s"}, notes)
    ready = got["readinessProbe"]
    assert ready == {"exec": {"command": ["/bin/sh", "-c", "pg_isready -U x"]},
                     "periodSeconds": 10, "timeoutSeconds": 3, "failureThreshold": 5,
                     "successThreshold": 1}
    assert got["livenessProbe"] == ready
    assert got["startupProbe"]["periodSeconds"] == 2
    assert got["startupProbe"]["failureThreshold"] == 30 + 5
    assert notes.lines == []


def test_probe_defaults_are_dockers() -> None:
    got = probes.probes("a", {"test": ["CMD", "true"]}, Notes())
    assert (got["livenessProbe"]["periodSeconds"], got["livenessProbe"]["timeoutSeconds"],
            got["livenessProbe"]["failureThreshold"]) == (30, 30, 3)
    assert "startupProbe" not in got


@pytest.mark.parametrize("healthcheck", [
    None, {"disable": True, "test": ["CMD", "x"]}, {"test": ["NONE"]}])
def test_no_probes(healthcheck: dict[str, Any] | None) -> None:
    assert probes.probes("a", healthcheck, Notes()) == {}


def test_subsecond_durations_are_rounded_up_with_a_warning() -> None:
    notes = Notes()
    got = probes.probes("a", {"test": ["CMD", "x"], "interval": "500ms"}, notes)
    assert got["readinessProbe"]["periodSeconds"] == 1
    assert notes.lines == ["services.a.healthcheck.interval: 500ms is rounded up to 1s "
                           "(Kubernetes counts whole seconds, at least 1)"]


# storage, env, secrets, configs ------------------------------------------------------

def test_named_volumes_become_claims(tmp_path: Path) -> None:
    conversion = run(tmp_path, """
        services:
          db: {image: x, volumes: ["data:/var/lib/db", "/anon"]}
          a: {image: x, volumes: ["shared:/s:ro"]}
          b: {image: x, volumes: ["shared:/s"]}
          c: {image: x, volumes: ["outside:/o"]}
        volumes:
          data:
            labels: {pycompose.k8s.size: 5Gi, pycompose.k8s.storage-class: fast}
          shared: {}
          outside: {external: true, name: their-claim}
    """)
    data = find(conversion, "PersistentVolumeClaim", "data")["spec"]
    assert data == {"accessModes": ["ReadWriteOnce"], "storageClassName": "fast",
                    "resources": {"requests": {"storage": "5Gi"}}}
    shared = find(conversion, "PersistentVolumeClaim", "shared")["spec"]
    assert shared["accessModes"] == ["ReadWriteMany"]
    assert not [m for m in conversion.manifests if m["metadata"]["name"] == "their-claim"]
    assert pod(conversion, "c")["volumes"][0]["persistentVolumeClaim"] == {
        "claimName": "their-claim"}
    db = pod(conversion, "db")
    assert db["volumes"][1] == {"name": "anonymous-1", "emptyDir": {}}
    assert find(conversion, "Deployment", "db")["spec"]["strategy"] == {"type": "Recreate"}
    assert main(conversion, "a")["volumeMounts"][0]["readOnly"] is True
    assert any("volumes.outside: external" in w for w in conversion.warnings)


def test_tmpfs_and_shm_are_memory(tmp_path: Path) -> None:
    conversion = run(tmp_path, """
        services:
          a:
            image: x
            tmpfs: ["/run:size=64m"]
            shm_size: 128m
            volumes: [{type: tmpfs, target: /cache, tmpfs: {size: 1048576}}]
    """)
    volumes = {v["name"]: v for v in pod(conversion, "a")["volumes"]}
    assert volumes["tmpfs-0"]["emptyDir"] == {"medium": "Memory", "sizeLimit": "67108864"}
    assert volumes["shm"]["emptyDir"] == {"medium": "Memory", "sizeLimit": "134217728"}
    assert volumes["tmpfs-v0"]["emptyDir"] == {"medium": "Memory", "sizeLimit": "1048576"}


def test_bind_mounts_files_become_configmaps_directories_are_warned(tmp_path: Path) -> None:
    conversion = run(tmp_path, """
        services:
          web:
            image: x
            volumes: ["./nginx.conf:/etc/nginx/nginx.conf:ro", "./site:/srv", "./nope:/n"]
    """, {"nginx.conf": "events {}\n", "site/index.html": "hi"})
    config_map = find(conversion, "ConfigMap", "web-nginx-conf")
    assert config_map["data"] == {"nginx.conf": "events {}\n"}
    mount = main(conversion, "web")["volumeMounts"][0]
    assert mount == {"name": "file-nginx-conf", "mountPath": "/etc/nginx/nginx.conf",
                     "subPath": "nginx.conf", "readOnly": True}
    warnings = "\n".join(conversion.warnings)
    assert "services.web.volumes[0]: bind mount of file" in warnings
    assert f"services.web.volumes[1]: bind mount of directory {tmp_path}/site cannot be " \
           "expressed" in warnings
    assert "services.web.volumes[2]: bind mount source" in warnings


def test_environment_and_env_file(tmp_path: Path) -> None:
    conversion = run(tmp_path, """
        services:
          a:
            image: x
            env_file: app.env
            environment: {B: override, C: null}
    """, {"app.env": "A=1\nB=2\n"})
    container = main(conversion, "a")
    assert container["env"] == [{"name": "B", "value": "override"}]
    assert container["envFrom"] == [{"configMapRef": {"name": "a-env"}}]
    assert find(conversion, "ConfigMap", "a-env")["data"] == {"A": "1"}


def test_explicit_environment_keys() -> None:
    assert explicit_environment({"a": {"environment": ["X=1", "Y"]},
                                 "b": {"environment": {"Z": None}}, "c": {}}) == {
        "a": frozenset({"X", "Y"}), "b": frozenset({"Z"}), "c": frozenset()}


def test_secrets_and_configs_mounted_at_the_same_paths(tmp_path: Path) -> None:
    conversion = run(tmp_path, """
        services:
          a:
            image: x
            secrets: [pw, {source: token, target: /etc/token, mode: 0400}]
            configs: [cfg, {source: app, target: /etc/app.ini}]
        secrets:
          pw: {file: ./pw.txt}
          token: {environment: SECRET_VALUE}
        configs:
          cfg: {content: "hello"}
          app: {file: ./app.ini}
    """, {"pw.txt": "hunter2", "app.ini": "[x]\n"})
    assert find(conversion, "Secret", "pw")["data"] == {
        "pw": base64.b64encode(b"hunter2").decode()}
    assert find(conversion, "Secret", "token")["data"] == {
        "token": base64.b64encode(b"s3cret").decode()}
    assert find(conversion, "ConfigMap", "cfg")["data"] == {"cfg": "hello"}
    assert find(conversion, "ConfigMap", "app")["data"] == {"app": "[x]\n"}
    mounts = {m["mountPath"]: m for m in main(conversion, "a")["volumeMounts"]}
    assert set(mounts) == {"/run/secrets/pw", "/etc/token", "/cfg", "/etc/app.ini"}
    volumes = {v["name"]: v for v in pod(conversion, "a")["volumes"]}
    assert volumes["secret-token"]["secret"]["items"] == [
        {"key": "token", "path": "token", "mode": 0o400}]


def test_local_host_reads_files(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"\x00\x01")
    host = LocalHost({"V": "1"})
    assert (host.kind(str(tmp_path)), host.kind(str(tmp_path / "f")),
            host.kind(str(tmp_path / "g"))) == ("dir", "file", None)
    assert host.read(str(tmp_path / "f")) == b"\x00\x01"
    assert host.variable("V") == "1"


# resources and security --------------------------------------------------------------

def test_resources() -> None:
    got = security.resources("a", {"mem_limit": "536870912", "cpus": 0.5,
                                   "mem_reservation": "1024",
                                   "deploy": {"resources": {
                                       "limits": {"cpus": 2, "pids": 10},
                                       "reservations": {"cpus": 0.25}}}}, notes := Notes())
    assert got == {"resources": {"limits": {"memory": "536870912", "cpu": "2"},
                                 "requests": {"memory": "1024", "cpu": "250m"}}}
    assert notes.lines == ["services.a.deploy.resources.limits.pids: cannot be expressed as "
                           "container resources; ignored"]


def test_security_context() -> None:
    notes = Notes()
    got = security.container_security("a", {
        "user": "1000:2000", "cap_add": ["NET_ADMIN"], "cap_drop": ["CAP_ALL"],
        "privileged": True, "read_only": True,
        "security_opt": ["no-new-privileges:true", "seccomp:unconfined"]}, notes)
    assert got == {"securityContext": {
        "runAsUser": 1000, "runAsGroup": 2000, "privileged": True,
        "capabilities": {"add": ["NET_ADMIN"], "drop": ["ALL"]},
        "readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False}}
    assert notes.lines == ["services.a.security_opt: 'seccomp:unconfined' cannot be "
                           "expressed; ignored"]
    notes = Notes()
    assert security.container_security("a", {"user": "www-data"}, notes) == {}
    assert "Kubernetes takes numeric ids only" in notes.lines[0]


def test_everything_else_is_warned_by_key(tmp_path: Path) -> None:
    conversion = run(tmp_path, """
        services:
          a:
            image: x
            ulimits: {nofile: 1024}
            cgroup_parent: /x
            stop_signal: SIGQUIT
            logging: {driver: json-file}
    """)
    for key in ("ulimits", "cgroup_parent", "logging"):
        assert f"services.a.{key}: cannot be expressed in Kubernetes; ignored" \
            in conversion.warnings
    assert "services.a.stop_signal: SIGQUIT: Kubernetes stops with SIGTERM" \
        in conversion.warnings


def test_pod_network_fields(tmp_path: Path) -> None:
    conversion = run(tmp_path, """
        services:
          a:
            image: x
            hostname: box.example
            dns: [1.1.1.1]
            dns_search: [corp]
            dns_opt: ["ndots:2", edns0]
            extra_hosts: ["a.example:10.0.0.1", "b.example=10.0.0.1"]
            sysctls: {net.core.somaxconn: 1024}
    """)
    spec = pod(conversion, "a")
    assert spec["hostname"] == "box"
    assert spec["dnsConfig"] == {"nameservers": ["1.1.1.1"], "searches": ["corp"],
                                 "options": [{"name": "ndots", "value": "2"},
                                             {"name": "edns0"}]}
    assert spec["hostAliases"] == [{"ip": "10.0.0.1", "hostnames": ["a.example", "b.example"]}]
    assert spec["securityContext"]["sysctls"] == [{"name": "net.core.somaxconn",
                                                   "value": "1024"}]


def test_tmpfs_size_parsing() -> None:
    assert storage.tmpfs_size("size=64m,mode=1777") == 64 * 1024 * 1024
    assert storage.tmpfs_size("mode=1777") is None
    assert storage.tmpfs_size("size=1000") == 1000
    assert storage.tmpfs_size("size=64kb") == 64 * 1024
    assert storage.tmpfs_size("size=lots") is None


def test_labels_become_annotations_when_valid(tmp_path: Path) -> None:
    conversion = run(tmp_path, """
        services:
          a:
            image: x
            labels: {com.example.team: web, "not valid": x}
            annotations: {example.com/owner: me}
            deploy: {labels: {com.example.tier: front}}
    """)
    template = find(conversion, "Deployment", "a")["spec"]["template"]["metadata"]
    assert template["annotations"] == {"com.example.team": "web", "example.com/owner": "me"}
    assert find(conversion, "Deployment", "a")["metadata"]["annotations"] == {
        "com.example.tier": "front"}
    assert "services.a.labels.not valid: not a valid Kubernetes annotation name; left out" \
        in conversion.warnings


def test_dependency_options_that_cannot_be_kept_are_warned(tmp_path: Path) -> None:
    conversion = run(tmp_path, """
        services:
          db: {image: x}
          app:
            image: x
            depends_on: {db: {condition: service_started, restart: true, required: false}}
    """)
    assert any(w.startswith("services.app.depends_on.db.restart:") for w in conversion.warnings)
    assert any(w.startswith("services.app.depends_on.db.required:")
               for w in conversion.warnings)


@pytest.mark.parametrize(("key", "label"), [
    ("com.example.x", True), ("example.com/owner", True), ("bad key", False),
    ("x" * 64, False), ("Upper.case/name", False)])
def test_annotation_keys(key: str, label: bool) -> None:
    assert names.annotation_key(key) is label


def test_two_bind_files_with_one_name(tmp_path: Path) -> None:
    conversion = run(tmp_path, """
        services:
          a:
            image: x
            volumes: ["./one/app.conf:/etc/one.conf", "./two/app.conf:/etc/two.conf"]
    """, {"one/app.conf": "1", "two/app.conf": "2"})
    assert find(conversion, "ConfigMap", "a-app-conf")["data"] == {"app.conf": "1"}
    assert find(conversion, "ConfigMap", "a-app-conf-1")["data"] == {"app.conf": "2"}
    volumes = pod(conversion, "a")["volumes"]
    assert [v["configMap"]["name"] for v in volumes] == ["a-app-conf", "a-app-conf-1"]
    assert len({v["name"] for v in volumes}) == 2


def test_platform_and_placement_constraints(tmp_path: Path) -> None:
    conversion = run(tmp_path, """
        services:
          a:
            image: x
            platform: linux/arm64
            deploy:
              placement:
                constraints: ["node.labels.disk == ssd", "node.hostname != old-box",
                              "node.role == manager"]
                preferences: [{spread: node.labels.zone}]
    """)
    spec = pod(conversion, "a")
    assert spec["nodeSelector"] == {"kubernetes.io/os": "linux", "kubernetes.io/arch": "arm64",
                                    "disk": "ssd"}
    terms = spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert terms["nodeSelectorTerms"] == [{"matchExpressions": [
        {"key": "kubernetes.io/hostname", "operator": "NotIn", "values": ["old-box"]}]}]
    assert "services.a.deploy.placement.constraints[2]: 'node.role == manager' cannot be " \
           "expressed; ignored" in conversion.warnings
    assert "services.a.deploy.placement.preferences: cannot be expressed; ignored" \
        in conversion.warnings


def test_gpu_reservations() -> None:
    notes = Notes()
    got = security.resources("ml", {"deploy": {"resources": {"reservations": {"devices": [
        {"capabilities": ["gpu"], "driver": "nvidia", "count": 2},
        {"capabilities": ["gpu"], "count": -1}]}}}}, notes)
    assert got == {"resources": {"limits": {"nvidia.com/gpu": "2"}}}
    assert notes.lines == ["services.ml.deploy.resources.reservations.devices[1]: only "
                           "NVIDIA GPUs with a count can be requested; ignored"]


def test_waiting_for_a_job_to_start_is_waiting_for_it_to_exist(tmp_path: Path) -> None:
    conversion = run(tmp_path, """
        services:
          migrate: {image: x}
          app: {image: x, depends_on: {migrate: {condition: service_completed_successfully}}}
          side: {image: x, depends_on: [migrate]}
    """)
    side = pod(conversion, "side")
    assert [c["args"] for c in side["initContainers"]] == [
        ["wait", "--for=create", "job/migrate", "--timeout=-1s"]]
    assert side["serviceAccountName"] == "pycompose-job-reader"


def test_a_dependency_scaled_to_zero_is_not_waited_for(tmp_path: Path) -> None:
    conversion = run(tmp_path, """
        services:
          db: {image: x, deploy: {replicas: 0}}
          app: {image: x, depends_on: [db]}
    """)
    assert "initContainers" not in pod(conversion, "app")


def test_volumes_from_shares_claims_and_files(tmp_path: Path) -> None:
    conversion = run(tmp_path, """
        services:
          db:
            image: x
            volumes: ["data:/data", "/scratch", "./my.cnf:/etc/my.cnf"]
          backup: {image: x, volumes_from: ["db:ro", "container:elsewhere"]}
        volumes: {data: {}}
    """, {"my.cnf": "[mysqld]\n"})
    mounts = main(conversion, "backup")["volumeMounts"]
    assert [(m["mountPath"], m.get("readOnly")) for m in mounts] == [
        ("/data", True), ("/etc/my.cnf", True)]
    assert find(conversion, "PersistentVolumeClaim", "data")["spec"]["accessModes"] == [
        "ReadWriteMany"]
    warnings = "\n".join(conversion.warnings)
    assert "services.backup.volumes_from[0]: db's anonymous volume /scratch cannot be " \
           "shared between pods; left out" in warnings
    assert "services.backup.volumes_from[1]: 'container:elsewhere'" in warnings


def test_deploy_restart_policy_timings_are_warned(tmp_path: Path) -> None:
    conversion = run(tmp_path, """
        services:
          a: {image: x, deploy: {restart_policy: {condition: any, delay: 5s, window: 1m}}}
    """)
    assert pod(conversion, "a")["restartPolicy"] == "Always"
    assert [w for w in conversion.warnings if "restart_policy" in w] == [
        "services.a.deploy.restart_policy.delay: Kubernetes backs off on its own; ignored",
        "services.a.deploy.restart_policy.window: Kubernetes backs off on its own; ignored"]
