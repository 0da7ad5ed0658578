"""Run every ``bench_*`` module of this package against a fresh test database."""

import importlib
import os
import pkgutil
import sys
from pathlib import Path

import django


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roundtable.settings")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    django.setup()
    from django.db import connection
    from django.test.utils import setup_databases, setup_test_environment, teardown_databases

    from benchmarks.timing import print_table

    # A database of its own, so that a benchmark and the test suite can run side by side.
    if connection.vendor == "postgresql":
        connection.settings_dict["TEST"]["NAME"] = f"bench_{connection.settings_dict['NAME']}"
    setup_test_environment(debug=False)  # no query log: it would weigh on every timing
    databases = setup_databases(verbosity=0, interactive=False)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    try:
        only = set(sys.argv[1:])
        for module_info in pkgutil.iter_modules([str(Path(__file__).parent)]):
            if not module_info.name.startswith("bench_"):
                continue
            if only and module_info.name not in only:
                continue
            module = importlib.import_module(f"benchmarks.{module_info.name}")
            print_table(module.__doc__.strip().splitlines()[0], module.run())
    finally:
        teardown_databases(databases, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
