"""Runs every benchmark module of this package (each exposes ``run()``), or the ones named.

.venv/bin/python -m bench                 # all of them
.venv/bin/python -m bench member_list     # one
.venv/bin/python -m bench pages           # issue 17: CPU per request of the load test's pages
.venv/bin/python -m bench national        # issue 17: the widest lists at 0.1, 1 and 5.6 M members
"""

import importlib
import pkgutil
import sys
from pathlib import Path


def available() -> list[str]:
    return sorted(
        info.name
        for info in pkgutil.iter_modules([str(Path(__file__).parent)])
        if not info.name.startswith("_")
    )


def main(argv: list[str]) -> int:
    names = argv or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        print(f"Unknown benchmark(s): {', '.join(unknown)}. Available: {', '.join(available())}")
        return 2
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        if not hasattr(module, "run"):
            continue
        print(f"== {name} ==")
        module.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
