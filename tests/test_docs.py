"""The documentation cannot drift: the configuration page is generated from Settings, every page is
in the site's navigation, and the README stays a new user's page."""

from __future__ import annotations

import subprocess
import sys

import yaml  # type: ignore[import-untyped]

from tests.conftest import ROOT


def test_the_configuration_page_lists_every_setting_as_the_code_declares_it() -> None:
    check = subprocess.run(
        [sys.executable, "scripts/gen_config_docs.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr


def test_every_setting_has_a_meaning_of_its_own_not_only_its_section() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    import gen_config_docs

    from core.settings import Settings

    comments = gen_config_docs._comments((ROOT / "core" / "settings.py").read_text(encoding="utf-8"))
    bare = [
        name
        for name, field in Settings.model_fields.items()
        if not field.description and (not comments.get(name) or comments[name].startswith("("))
    ]
    assert bare == []


def _nav_pages(nav: list) -> set[str]:  # type: ignore[type-arg]
    pages: set[str] = set()
    for item in nav:
        for value in item.values():
            pages |= _nav_pages(value) if isinstance(value, list) else {value}
    return pages


def test_every_docs_page_is_in_the_sites_navigation() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    pages = {p.name for p in (ROOT / "docs").glob("*.md")}
    assert pages == _nav_pages(config["nav"])


def test_the_readme_stays_a_new_users_page_with_the_two_set_up_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) < 250
    assert "make run" in readme and "make test" in readme
    for link in ("docs/configuration.md", "docs/extraction.md", "docs/benchmarks.md"):
        assert link in readme and (ROOT / link).is_file()
