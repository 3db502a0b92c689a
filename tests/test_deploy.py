"""The deployment recipes: Dockerfile, compose.yaml, nginx and the Kubernetes manifests.

No container engine runs in CI, so these read the files as their tools would (YAML,
Dockerfile instructions) and check what the README promises: a non-root image whose
health check needs no curl, three instances sharing one store behind a load balancer
with a token-guarded admin API, and pods probed on /__mockserve/health.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from mockserve import load_spec

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "k8s"


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


def test_the_image_is_slim_non_root_and_checks_its_health_without_curl():
    steps = dockerfile()
    assert re.fullmatch(r"python:3\.\d+-slim", steps["FROM"][0])
    user = steps["USER"][-1].split(":")[0]
    assert user not in ("root", "0")
    assert exec_form(steps["ENTRYPOINT"][0]) == [
        "mockserve",
        "run",
        "/spec/spec.yaml",
        "--host",
        "0.0.0.0",
    ]
    assert exec_form(steps["HEALTHCHECK"][0]) == ["mockserve", "health"]
    assert not any("curl" in step for steps_ in steps.values() for step in steps_)
    assert steps["EXPOSE"] == ["8000"]


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_runs_three_instances_sharing_one_store_behind_nginx():
    services = compose()["services"]
    mocks = {name: s for name, s in services.items() if name.startswith("mock-")}
    assert len(mocks) == 3
    store = services["valkey"]
    assert "healthcheck" in store
    for mock in mocks.values():
        env = mock["environment"]
        assert env["MOCKSERVE_STORE"] == "redis://valkey:6379/0"
        assert env["MOCKSERVE_ADMIN_TOKEN"].startswith("${MOCKSERVE_ADMIN_TOKEN:?")
        assert mock["depends_on"]["valkey"]["condition"] == "service_healthy"
        assert mock["entrypoint"][:2] == ["mockserve", "run"]
        assert mock["entrypoint"][-2:] == ["--host", "0.0.0.0"]
    nginx = services["nginx"]
    assert nginx["ports"] == ["8000:8000"]
    assert set(nginx["depends_on"]) == set(mocks)
    mounted = nginx["volumes"][0].split(":")[0]
    config = (ROOT / mounted).read_text()
    assert re.findall(r"server (mock-\d):8000", config) == sorted(mocks)


def test_compose_serves_a_spec_of_the_repository():
    mock = compose()["services"]["mock-1"]
    folder = re.search(r":-([^}]+)}", mock["volumes"][0]).group(1)  # ${DIR:-./specs}:/spec
    name = re.search(r":-([^}]+)}", mock["entrypoint"][2]).group(1)
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


def test_the_deployment_serves_the_configmap_spec_with_a_readiness_probe_on_health():
    deployment = find("Deployment", "mockserve")
    assert deployment["spec"]["replicas"] > 1
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert env["MOCKSERVE_STORE"]["value"] == "redis://mockserve-valkey:6379/0"
    assert env["MOCKSERVE_ADMIN_TOKEN"]["valueFrom"]["secretKeyRef"]["name"] == "mockserve-admin"
    probe = container["readinessProbe"]["exec"]["command"]
    assert probe[:2] == ["mockserve", "health"]  # asks /__mockserve/health in the pod
    assert container["volumeMounts"][0]["mountPath"] == "/spec"
    volume = pod["volumes"][0]["configMap"]["name"]
    assert "spec.yaml" in find("ConfigMap", volume)["data"]
    service = find("Service", "mockserve")
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    store = find("Service", "mockserve-valkey")
    assert store["spec"]["ports"][0]["port"] == 6379


def test_the_configmap_spec_is_a_valid_spec(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(find("ConfigMap", "mockserve-spec")["data"]["spec.yaml"])
    assert load_spec(spec).stateful


@pytest.mark.parametrize("path", ["compose.yaml", *[f"deploy/k8s/{p.name}" for p in K8S.glob("*")]])
def test_every_recipe_is_yaml(path):
    assert list(yaml.safe_load_all((ROOT / path).read_text()))
