"""The fuzzing budget: small and reproducible in CI, larger on demand (docs/development.md).

``XIAOQU_FUZZ_EXAMPLES`` sets the examples per test (default 30, CI's budget);
``XIAOQU_FUZZ_SEED`` set to a number makes the run random from that seed instead of
derandomized, to look further than the fixed examples CI tries every time.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

EXAMPLES = int(os.environ.get("XIAOQU_FUZZ_EXAMPLES", "30"))
SEED = os.environ.get("XIAOQU_FUZZ_SEED")

FUZZ = settings(
    max_examples=EXAMPLES,
    # The same examples every run unless a seed asks for others: a failure in CI reproduces.
    derandomize=SEED is None,
    database=None,
    deadline=None,
    # The tests share a database world built once per module (fixtures outlive examples on
    # purpose) and some strategies draw long texts.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
    print_blob=True,
)


def seeded(test):
    """Apply ``XIAOQU_FUZZ_SEED`` to a Hypothesis test when it is set."""
    if SEED is None:
        return test
    from hypothesis import seed

    return seed(int(SEED))(test)
