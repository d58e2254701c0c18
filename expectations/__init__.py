"""Great Expectations suites as code, one module per layer, one function per dataset/model.

A suite's name is `<layer>.<model>`. Each expectation is critical (a failure stops the run
before publish) unless its meta says `{"severity": "warning"}` (published, reported).
Modules here never read data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from expectations import intermediate, marts, raw, staging

if TYPE_CHECKING:
    import great_expectations as gx

SuiteBuilder = Callable[[], "gx.ExpectationSuite"]

SUITES: dict[str, list[SuiteBuilder]] = {
    "raw": raw.BUILDERS,
    "staging": staging.BUILDERS,
    "intermediate": intermediate.BUILDERS,
    "marts": marts.BUILDERS,
}
