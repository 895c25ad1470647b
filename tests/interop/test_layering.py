"""The interop registry lives in the project package and never imports the domain apps."""

from __future__ import annotations

import ast

from tests.conftest import PROJECT_ROOT

DOMAIN_APPS = ("intake", "sessions", "integration")


def test_the_interop_package_imports_no_domain_app():
    offenders = []
    for path in (PROJECT_ROOT / "kap_clinic" / "interop").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.name}: {name}" for name in names if name.split(".")[0] in DOMAIN_APPS
            ]
    assert offenders == []


def test_each_app_maps_its_own_models_in_its_fhir_module():
    for app in DOMAIN_APPS:
        source = (PROJECT_ROOT / app / "fhir.py").read_text()
        assert "fhir_source_register" in source
        assert f"from {app}.models import" in source
