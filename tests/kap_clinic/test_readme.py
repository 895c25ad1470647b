"""The README is the newcomer's manual: it must list every setting and the real demo logins."""

import re

from kap_clinic.demo import DEMO_LOGINS
from tests.conftest import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text()


def test_the_readme_gives_the_two_commands_first() -> None:
    assert README.index("make run") < README.index("## Demo logins")
    assert "make test" in README


def test_every_environment_variable_of_the_settings_is_in_the_readme_table() -> None:
    settings_source = (PROJECT_ROOT / "kap_clinic" / "settings.py").read_text()
    names = set(re.findall(r'env_[a-z_]+\(\s*"([A-Z_]+)"', settings_source))
    assert len(names) > 10
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", README, flags=re.MULTILINE))
    assert names - documented == set()


def test_the_demo_logins_in_the_readme_are_the_seeded_ones() -> None:
    for login in DEMO_LOGINS:
        assert f"| {login.role.label} | {login.email} | {login.password} |" in README
