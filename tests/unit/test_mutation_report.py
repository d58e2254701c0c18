"""`bench/mutation.py` scores what mutmut reported honestly: a survivor without a one-line
justification keeps a module below target, and a module with no result is shown as not run,
never folded into the total."""

from __future__ import annotations

from bench.mutation import render, score_module


def entry(total: int, killed: int, timeout: int, not_killed: dict[str, str]) -> dict:
    return {
        "command": "mutmut run",
        "date": "2026-12-03",
        "diffs": {name: ["-a", "+b"] for name in not_killed},
        "killed": killed,
        "not_killed": not_killed,
        "tests": ["tests/unit/test_lock.py"],
        "timeout": timeout,
        "total": total,
    }


def test_a_survivor_without_justification_is_listed_and_fails_the_module():
    # etl/lock.py has no justification file: every survivor is unjustified
    score = score_module("etl/lock.py", entry(10, 8, 1, {"etl.lock.x_f__mutmut_3": "survived"}))
    assert (score.killed, score.survived, score.justified) == (9, 1, [])
    assert score.unjustified == [("etl.lock.x_f__mutmut_3", "survived")]
    assert round(score.score, 2) == 0.9 and not score.ok


def test_justified_survivors_count_towards_the_score():
    # a survivor named in docs/mutation/justified/etl.scenarios.toml
    name = "etl.scenarios.x_load_scenarios__mutmut_34"
    score = score_module("etl/scenarios.py", entry(4, 3, 0, {name: "survived"}))
    assert score.justified == [name] and score.unjustified == [] and score.score == 1.0
    assert score.ok


def test_modules_without_a_result_are_shown_as_not_run_and_left_out_of_the_total():
    results = {"etl/lock.py": entry(10, 10, 0, {})}
    text, scores = render(results, ["etl/lock.py", "etl/runs.py"])
    assert "| `etl/runs.py` | – | – | – | – | – | – | – | **not run** | |" in text
    assert "The 1 of 2 modules with a result: 10 mutants, 10 killed (100.0%)" in text
    assert "Not run (no entry in results.json), so not shown to meet the target: `etl/runs.py`" in (
        text
    )
    assert [s.total for s in scores] == [10, 0]
