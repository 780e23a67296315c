"""Render deploy/helm/distflow with the real Helm engine (Helm v4's Go SDK, shipped in the helm-python-sdk wheel).

No cluster and no helm binary: `helm_python.Chart.render` runs `helm template`'s engine in-process, including the
values.schema.json check that `helm install` does. The result is parsed into manifests for the tests to inspect.
"""
from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import helm_python
import yaml

CHART_DIR = Path(__file__).resolve().parents[2] / "deploy" / "helm" / "distflow"
CI_VALUES = sorted((CHART_DIR / "ci").glob("*-values.yaml"))
RELEASE = "shop"
NAMESPACE = "fulfilment"

Manifest = dict[str, Any]


def ci_values(name: str) -> dict[str, Any]:
    """A ci/*-values.yaml file, parsed by Helm's own values parser (what `helm install -f` does)."""
    return helm_python.values_from_yaml((CHART_DIR / "ci" / name).read_text())


@dataclass
class Rendered:
    manifests: list[Manifest]
    notes: str
    sources: dict[str, str] = field(repr=False)  # template path -> rendered text

    def kinds(self, kind: str) -> list[Manifest]:
        return [m for m in self.manifests if m["kind"] == kind]

    def one(self, kind: str, component: str | None = None) -> Manifest:
        found = [m for m in self.kinds(kind) if component is None or component_of(m) == component]
        assert len(found) == 1, f"expected one {kind} {component or ''}, got {[name_of(m) for m in found]}"
        return found[0]

    def named(self, kind: str, name: str) -> Manifest:
        found = [m for m in self.kinds(kind) if name_of(m) == name]
        assert len(found) == 1, f"expected one {kind} named {name}, got {len(found)}"
        return found[0]

    def hooks(self) -> list[Manifest]:
        return [m for m in self.manifests if "helm.sh/hook" in annotations_of(m)]

    def release_objects(self) -> list[Manifest]:
        """What `helm install` creates as the release itself (hooks excluded)."""
        return [m for m in self.manifests if "helm.sh/hook" not in annotations_of(m)]


def render(values: dict[str, Any] | None = None) -> Rendered:
    with helm_python.Chart.load(CHART_DIR) as chart:
        sources = chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    manifests: list[Manifest] = []
    for path, text in sorted(sources.items()):
        if not path.endswith(".yaml"):
            continue
        manifests.extend(doc for doc in yaml.safe_load_all(text) if doc)
    notes = next((text for path, text in sources.items() if path.endswith("NOTES.txt")), "")
    return Rendered(manifests, notes, sources)


def lint(values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """`helm lint --strict` findings of at least warning severity (info, e.g. 'icon is recommended', is ignored)."""
    report = helm_python.lint(CHART_DIR, values, strict=True, namespace=NAMESPACE)
    return [message for message in report["messages"] if message["severity"] >= 2]


def name_of(manifest: Manifest) -> str:
    return str(manifest["metadata"]["name"])


def annotations_of(manifest: Manifest) -> dict[str, str]:
    return manifest["metadata"].get("annotations") or {}


def component_of(manifest: Manifest) -> str | None:
    return (manifest["metadata"].get("labels") or {}).get("app.kubernetes.io/component")


def pod_spec(workload: Manifest) -> Manifest:
    return workload["spec"] if workload["kind"] == "Pod" else workload["spec"]["template"]["spec"]


def pod_specs(rendered: Rendered) -> Iterator[tuple[str, Manifest]]:
    """Every pod the chart can start: worker, API, topics-apply Job, helm test Pod."""
    for workload in rendered.manifests:
        if workload["kind"] in {"StatefulSet", "Deployment", "Job", "Pod"}:
            yield f"{workload['kind']}/{name_of(workload)}", pod_spec(workload)


def container(workload: Manifest, name: str) -> Manifest:
    return next(c for c in pod_spec(workload)["containers"] if c["name"] == name)


def volume(workload: Manifest, name: str) -> Manifest | None:
    return next((v for v in pod_spec(workload).get("volumes", []) if v["name"] == name), None)


def secret_values(secret: Manifest) -> dict[str, str]:
    return {key: base64.b64decode(value).decode() for key, value in (secret.get("data") or {}).items()}
