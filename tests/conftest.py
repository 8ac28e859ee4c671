import os

import pytest
from hypothesis import HealthCheck, settings

import postgres

settings.register_profile("fast", max_examples=40, deadline=None)
settings.register_profile(
    "ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "fast")
)


@pytest.fixture(scope="session")
def pg_uri():
    """A real PostgreSQL server for the session (installed by .ci/run), shared by every test
    file that needs one."""
    pytest.importorskip("psycopg")
    if postgres.binaries() is None:
        if os.environ.get("LOGICRM_REQUIRE_POSTGRES"):
            pytest.fail("PostgreSQL is not installed: .ci/run installs Debian's postgresql")
        pytest.skip("PostgreSQL is not installed here (apt-get install postgresql)")
    with postgres.server() as uri:
        yield uri
