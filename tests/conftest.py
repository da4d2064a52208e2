"""Shared fixtures: the real dev corpus beside the repo (../shared), and small posts of our own."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("KG_SHARED", ROOT.parent / "shared"))
DEV = SHARED / "corpus" / "dev"
GOLD = SHARED / "eval" / "gold-dev.jsonl"
FIXTURES = Path(__file__).parent / "fixtures"


def _need(path: Path) -> Path:
    if path.exists():
        return path
    reason = f"{path} is missing: these tests need the shared dev corpus beside the repository"
    if os.environ.get("KG_REQUIRE_SHARED"):
        pytest.fail(reason + " (KG_REQUIRE_SHARED is set, so this is a failure)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def dev_dir() -> Path:
    """The 27 real posts of the dev corpus."""
    return _need(DEV)


@pytest.fixture(scope="session")
def gold_path() -> Path:
    """Gold annotations of the dev corpus."""
    return _need(GOLD)


@pytest.fixture(scope="session")
def dev_built(tmp_path_factory, dev_dir):
    """The dev corpus built once into a temporary outputs folder."""
    from kg.build import build

    out = tmp_path_factory.mktemp("dev-outputs")
    build([dev_dir], out)
    return out


@pytest.fixture(scope="session")
def dev_scores(tmp_path_factory, dev_dir, gold_path):
    """shared/eval/score.py's figures for `kg extract` over the dev corpus (run once)."""
    import importlib.util

    from click.testing import CliRunner

    from kg.cli import cli

    spec = importlib.util.spec_from_file_location("kg_score", SHARED / "eval" / "score.py")
    score = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(score)
    r = CliRunner().invoke(cli, ["extract", str(dev_dir), "--format", "jsonl"])
    assert r.exit_code == 0, r.output
    system = tmp_path_factory.mktemp("scores") / "system.jsonl"
    system.write_text(r.output, encoding="utf-8")
    return score.score(score.load(str(gold_path)), score.load(str(system)))
