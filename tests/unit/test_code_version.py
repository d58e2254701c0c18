"""A run's manifest names the commit it ran from, however git stores the ref."""

from __future__ import annotations

import subprocess

import pytest

from etl import runs
from etl.settings import Settings


def git(cwd, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    (root / "sql").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (root / "sql" / "a.sql").write_text("select 1\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "one")
    return root


def version_of(root) -> str:
    return runs.code_version(Settings(warehouse=root.parent / "wh", sql_dir=root / "sql"))


def test_loose_ref_packed_ref_detached_head_and_worktree(repo, tmp_path):
    head = git(repo, "rev-parse", "HEAD")
    assert version_of(repo) == head[:12]  # a loose ref
    git(repo, "pack-refs", "--all")  # what `git gc` does
    assert not (repo / ".git" / "refs" / "heads" / "main").exists()
    assert version_of(repo) == head[:12]
    worktree = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", str(worktree), "-b", "other")
    (worktree / "sql" / "b.sql").write_text("select 2\n")
    git(worktree, "add", "-A")
    git(worktree, "commit", "-q", "-m", "two")
    assert version_of(worktree) == git(worktree, "rev-parse", "HEAD")[:12] != head[:12]
    git(repo, "checkout", "-q", "--detach", head)
    assert version_of(repo) == head[:12]


def test_outside_a_repository_the_version_is_unknown(tmp_path):
    (tmp_path / "sql").mkdir()
    assert version_of(tmp_path) == "unknown"
    (tmp_path / ".git").write_text("not a pointer\n")
    assert version_of(tmp_path) == "unknown"


def test_a_repository_without_a_commit_has_an_unknown_version(tmp_path):
    root = tmp_path / "fresh"
    (root / "sql").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")  # HEAD names refs/heads/main, which does not exist
    assert version_of(root) == "unknown"
