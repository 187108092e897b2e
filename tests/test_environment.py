"""environment.yml lists exactly the dependencies of pyproject.toml, with the same version bounds."""

from __future__ import annotations

import re
import tomllib

import yaml

from tests.conftest import ROOT


def _normalise(requirement: str) -> tuple[str, str]:
    match = re.match(r"\s*([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*(.*)", requirement)
    return match.group(1).lower().replace("_", "-"), match.group(3).replace(" ", "")


def test_environment_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = dict(_normalise(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))["dependencies"]
    listed: dict[str, str] = {}
    for entry in env:
        items = entry["pip"] if isinstance(entry, dict) else [entry]
        for item in items:
            if item.startswith("-e") or item.split()[0] in ("python", "pip"):
                continue
            name, spec = _normalise(item)
            listed[name] = spec
    assert listed == wanted
