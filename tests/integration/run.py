#!/usr/bin/env python3
"""Runs the integration tests against a built binary.

    SERVICEDESK_BIN=build/servicedesk python3 tests/integration/run.py [-q] [NAME ...]

NAME is a module, class or test (e.g. test_tickets, test_ops.ShutdownTests,
test_security.SecurityTests.test_role_table); without names every test_*.py in this
folder runs. SD_TEST_BACKEND=postgres with SD_TEST_PG_ADMIN_URL runs them on
PostgreSQL (see tests/pg/start.sh). Exits non-zero when anything fails.
"""

import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv):
    quiet = "-q" in argv
    names = [a for a in argv if a != "-q"]
    binary = os.environ.get("SERVICEDESK_BIN")
    if not binary or not os.access(binary, os.X_OK):
        print("run.py: set SERVICEDESK_BIN to the servicedesk binary "
              f"(got {binary!r})", file=sys.stderr)
        return 2
    backend = os.environ.get("SD_TEST_BACKEND", "sqlite")
    if backend == "postgres" and not (os.environ.get("SD_TEST_PG_ADMIN_URL") or
                                      os.environ.get("SD_TEST_PG_DIR")):
        print("run.py: SD_TEST_BACKEND=postgres needs SD_TEST_PG_ADMIN_URL or SD_TEST_PG_DIR",
              file=sys.stderr)
        return 2
    sys.path.insert(0, HERE)
    loader = unittest.TestLoader()
    if names:
        suite = loader.loadTestsFromNames(names)
    else:
        suite = loader.discover(start_dir=HERE, pattern="test_*.py", top_level_dir=HERE)
    print(f"servicedesk integration tests: {binary} on {backend}", flush=True)
    started = time.monotonic()
    result = unittest.TextTestRunner(verbosity=1 if quiet else 2, stream=sys.stdout).run(suite)
    print(f"took {time.monotonic() - started:.1f}s", flush=True)
    if result.testsRun == 0:
        print("run.py: no tests ran", file=sys.stderr)
        return 1
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
