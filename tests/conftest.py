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
