"""The deployment recipes: Dockerfile, compose.yaml, nginx and the Kubernetes manifests.

These read the files as their tools would (YAML, Dockerfile instructions, the Kubernetes
API's own schemas) and check what the README promises: a non-root image whose health
check needs no curl and follows the server it checks, three instances sharing one store
behind a load balancer on this machine only, and pods that wait for their store, write
only to their own volume and are probed on /__mockserve/health. The image itself is
built and run by `deploy/smoke.sh` (CI runs it after this suite).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
import requests
import yaml
from click.testing import CliRunner
from conftest import RedisServer

from mockserve import load_spec
from mockserve.cli import main

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "k8s"
KUBERNETES = "1.33"  # the schemas kubernetes-validate ships for this version


def dockerfile() -> dict[str, list[str]]:
    """Each instruction of the Dockerfile (continuations joined), by keyword."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    instructions: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.setdefault(keyword.upper(), []).append(rest.strip())
    return instructions


def exec_form(text: str) -> list[str]:
    return json.loads(text[text.index("[") :])


def image_env() -> dict[str, str]:
    env = dict(re.findall(r"(\w+)=(\S+)", " ".join(dockerfile()["ENV"])))
    return env


def test_the_image_runs_any_command_under_an_init_as_a_user_with_its_own_group():
    steps = dockerfile()
    assert exec_form(steps["ENTRYPOINT"][0]) == ["tini", "--", "mockserve"]
    assert exec_form(steps["CMD"][0]) == ["run"]  # `docker run IMAGE validate FILE` works too
    assert steps["USER"][-1] == "10001:10001"
    setup = " ".join(steps["RUN"])
    assert "groupadd --gid 10001 mockserve" in setup
    assert "useradd --uid 10001 --gid 10001" in setup
    assert exec_form(steps["HEALTHCHECK"][0]) == ["mockserve", "health"]
    assert not any("curl" in step for steps_ in steps.values() for step in steps_)
    assert steps["EXPOSE"] == ["8000"]


def test_the_image_serves_the_spec_it_names_and_writes_only_to_its_cache_volume():
    env = image_env()
    assert env["MOCKSERVE_SPEC"] == "/spec/spec.yaml"
    assert env["MOCKSERVE_HOST"] == "0.0.0.0"
    assert env["MOCKSERVE_CACHE_DIR"] == env["TMPDIR"] == "/cache"
    assert dockerfile()["VOLUME"] == ["/cache"]  # writable even with --read-only


def test_the_build_copies_the_licence_and_takes_a_ca_bundle_only_as_a_secret():
    steps = dockerfile()
    copied = " ".join(steps["COPY"])
    assert "LICENSE" in copied
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert "!LICENSE" in ignored
    install = next(step for step in steps["RUN"] if "pip install" in step)
    assert "--mount=type=secret,id=ca_bundle,required=false" in install
    assert not any("ca" in argument.lower() for argument in steps.get("ARG", []))
    assert steps["FROM"][-1] == "python"  # the published stage never saw the secret


def test_the_dockerfile_header_commands_match_the_recipes():
    header = (ROOT / "Dockerfile").read_text().split("\nARG", 1)[0]
    assert "docker build -t mockserve:local ." in header
    assert "-p 127.0.0.1:8000:8000" in header
    folder, spec = re.search(
        r'-v "\$PWD/(\w+):/spec:ro".*\n.*MOCKSERVE_SPEC=/spec/(\S+)', header
    ).groups()
    assert load_spec(ROOT / folder / spec)  # the example serves a spec that exists
    assert compose()["services"]["mock"]["image"] == "mockserve:local"
    assert (
        find("Deployment", "mockserve")["spec"]["template"]["spec"]["containers"][0]["image"]
        == "mockserve:local"
    )


# -- what the image asks of the product -------------------------------------------------

MOVED_ADMIN = """\
mockserve: 1
settings: {admin: /_admin}
routes:
  - path: /hello
    response: {json: {hello: world}}
"""


def mockserve(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockserve", *args],
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_health_checks_the_server_run_starts_from_the_same_environment(cli, tmp_path):
    """As in the image: HTTPS and the spec's admin path come from MOCKSERVE_*, not flags."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(MOVED_ADMIN)
    env = {"MOCKSERVE_HTTPS": "true", "MOCKSERVE_SPEC": str(spec)}
    run = cli(["--port", "0"], env={**env, "MOCKSERVE_CACHE_DIR": str(tmp_path / "cache")})
    run.serving()
    assert run.url.startswith("https://127.0.0.1:")
    env["MOCKSERVE_PORT"] = run.url.rsplit(":", 1)[1]
    healthy = CliRunner().invoke(main, ["health"], env=env)
    assert (healthy.exit_code, healthy.stdout) == (0, "ok\n")
    # The same server asked at the default admin path answers 404: the spec is what says.
    elsewhere = CliRunner().invoke(main, ["health", "--admin", "/__mockserve"], env=env)
    assert elsewhere.exit_code == 1
    assert f"{run.url}/__mockserve/health answered 404" in elsewhere.stderr
    assert run.stop() == 0


def test_https_without_a_writable_cache_says_so_in_one_line(tmp_path):
    """The image's user had no home: the local CA could not be written (was a traceback)."""
    (tmp_path / "spec.yaml").write_text(MOVED_ADMIN)
    (tmp_path / "file").write_text("not a folder")
    env = {"MOCKSERVE_CACHE_DIR": str(tmp_path / "file" / "cache")}
    answer = mockserve("run", str(tmp_path / "spec.yaml"), "--https", "--port", "0", env=env)
    assert answer.returncode == 2
    (line,) = answer.stderr.splitlines()
    assert line.startswith(f"mockserve: cannot make the local CA in {tmp_path}/file/cache/ca: ")
    assert line.endswith("(set MOCKSERVE_CACHE_DIR to a writable folder, or give --cert and --key)")


def test_store_wait_serves_once_a_store_that_starts_later_answers(cli, tmp_path):
    """Kubernetes starts the pods and their store together: wait for it, do not crash-loop."""
    store = RedisServer(tmp_path / "redis")
    store.folder.mkdir()
    run = cli(
        [ROOT / "specs" / "todo.yaml", "--port", "0", "--store", store.url, "--store-wait", "60"]
    )
    waiting = run.read_until("mockserve: ")[-1]
    assert f"the store {store.url} is unreachable" in waiting
    assert waiting.endswith("waiting up to 60 s for it")
    store.start()
    try:
        run.serving()
        assert requests.get(run.url + "/todos", timeout=10).status_code == 200
        assert run.stop() == 0
    finally:
        store.kill()


def test_store_wait_gives_up_after_its_seconds(cli, tmp_path):
    run = cli(
        [
            ROOT / "specs" / "todo.yaml",
            "--store",
            f"unix://{tmp_path}/none.sock",
            "--store-wait",
            "0.5",
        ]
    )
    assert run.process.wait(timeout=30) == 2
    run.stop()  # reads what it printed
    assert run.lines[-1].endswith("after waiting 0.5 s; not serving.")


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_builds_one_image_for_three_instances_sharing_one_store_behind_nginx():
    services = compose()["services"]
    builds = [name for name, service in services.items() if "build" in service]
    assert builds == ["mock"]
    mock = services["mock"]
    assert mock["deploy"]["replicas"] == 3
    assert "healthcheck" in services["valkey"]
    env = mock["environment"]
    assert env["MOCKSERVE_STORE"] == "redis://valkey:6379/0"
    assert float(env["MOCKSERVE_STORE_WAIT"]) > 0
    assert mock["depends_on"]["valkey"]["condition"] == "service_healthy"
    assert mock["read_only"] is True
    nginx = services["nginx"]
    assert nginx["depends_on"]["mock"]["condition"] == "service_healthy"
    mounted = nginx["volumes"][0].split(":")[0]
    config = (ROOT / mounted).read_text()
    assert re.findall(r"server (\S+):8000", config) == ["mock"]


def test_compose_publishes_on_this_machine_only_and_needs_no_variable():
    (published,) = compose()["services"]["nginx"]["ports"]
    assert published == "${MOCKSERVE_PUBLISH:-127.0.0.1:8000}:8000"
    text = (ROOT / "compose.yaml").read_text()
    assert ":?" not in text  # `docker compose down` works without any variable set
    assert "${MOCKSERVE_ADMIN_TOKEN:-}" in text
    assert "MOCKSERVE_ADMIN_TOKEN=choose-one > .env" in text


def test_compose_serves_a_spec_of_the_repository():
    mock = compose()["services"]["mock"]
    folder = re.search(r":-([^}]+)}", mock["volumes"][0]).group(1)  # ${DIR:-./specs}:/spec
    name = re.search(r":-([^}]+)}", mock["environment"]["MOCKSERVE_SPEC"]).group(1)
    assert load_spec(ROOT / folder / name).resources  # a stateful spec: why it needs a store


def manifests() -> list[dict]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        docs += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return docs


def find(kind: str, name: str) -> dict:
    for doc in manifests():
        if doc["kind"] == kind and doc["metadata"]["name"] == name:
            return doc
    raise AssertionError(f"no {kind} {name} in deploy/k8s")


def test_the_kustomization_lists_every_manifest():
    listed = yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]
    assert sorted(listed) == sorted(p.name for p in K8S.glob("*.yaml") if p.stem != "kustomization")


@pytest.mark.parametrize(
    "kind_name",
    ["Deployment/mockserve", "Deployment/mockserve-valkey", "Service/mockserve",
     "Service/mockserve-valkey", "ConfigMap/mockserve-spec"],
)  # fmt: skip
def test_each_manifest_is_valid_against_the_kubernetes_schemas(kind_name):
    kind, name = kind_name.split("/")
    kubernetes_validate.validate(find(kind, name), KUBERNETES, strict=True)


def test_the_schema_check_rejects_a_misspelt_field():
    deployment = find("Deployment", "mockserve")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["readinessprobe"] = container.pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError, match="readinessprobe"):
        kubernetes_validate.validate(deployment, KUBERNETES, strict=True)


def test_the_pods_apply_without_a_secret_and_wait_for_their_store():
    deployment = find("Deployment", "mockserve")
    assert deployment["spec"]["replicas"] > 1
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert env["MOCKSERVE_STORE"]["value"] == "redis://mockserve-valkey:6379/0"
    assert float(env["MOCKSERVE_STORE_WAIT"]["value"]) >= 60
    token = env["MOCKSERVE_ADMIN_TOKEN"]["valueFrom"]["secretKeyRef"]
    assert token["name"] == "mockserve-admin" and token["optional"] is True
    startup = container["startupProbe"]
    waited = startup["periodSeconds"] * startup["failureThreshold"]
    assert waited >= float(env["MOCKSERVE_STORE_WAIT"]["value"])  # no restart while waiting


def test_the_pods_are_probed_on_health_and_write_only_to_their_own_volume():
    deployment = find("Deployment", "mockserve")
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsGroup"] == 10001
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["exec"]["command"] == ["mockserve", "health"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[mounts[image_env()["MOCKSERVE_CACHE_DIR"]]]
    assert "spec.yaml" in find("ConfigMap", volumes[mounts["/spec"]]["configMap"]["name"])["data"]
    service = find("Service", "mockserve")
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]


def test_the_store_pod_is_hardened_and_probed_like_mockserve():
    mockserve = find("Deployment", "mockserve")["spec"]["template"]["spec"]
    valkey = find("Deployment", "mockserve-valkey")["spec"]["template"]["spec"]
    assert valkey["securityContext"]["runAsNonRoot"] is True
    assert (
        valkey["securityContext"]["seccompProfile"]
        == mockserve["securityContext"]["seccompProfile"]
    )
    (container,) = valkey["containers"]
    assert container["securityContext"] == mockserve["containers"][0]["securityContext"]
    assert {"readinessProbe", "livenessProbe"} <= set(container)
    assert find("Service", "mockserve-valkey")["spec"]["ports"][0]["port"] == 6379


def test_the_configmap_spec_is_a_valid_spec(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(find("ConfigMap", "mockserve-spec")["data"]["spec.yaml"])
    assert load_spec(spec).stateful
