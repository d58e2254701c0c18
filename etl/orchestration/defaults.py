"""What every DAG of the project shares (imported at DAG parse time: keep it light)."""

from __future__ import annotations

import pendulum

# two retries, 30 s apart, and a 30-minute cap on any one task
DEFAULT_ARGS = {
    "retries": 2,
    "retry_delay": pendulum.duration(seconds=30),
    "execution_timeout": pendulum.duration(minutes=30),
}
