"""The README documents every command, and CI runs exactly the README's test command."""

import re

import pytest
from click.testing import CliRunner

from kg.cli import cli

from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_command_documented_with_help_and_example(name):
    assert f"`kg {name}" in README, f"kg {name} is not in the README"
    r = CliRunner().invoke(cli, [name, "--help"])
    assert r.exit_code == 0 and "Example" in r.output


def test_every_named_query_in_readme():
    from kg.query import named_queries

    for name in named_queries():
        assert f"`{name}`" in README


def test_ci_runs_the_readme_test_command():
    blocks = re.findall(r"```bash\n(.*?)```", README, re.S)
    quick = blocks[1].strip()
    assert quick == 'pip install -e ".[test]" && python -m pytest'
    assert quick in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
