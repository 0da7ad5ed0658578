"""Mutation testing of the financial maths: each module against its own tests.

``python -m mutation [module ...]`` (or ``make mutation``) copies the project into a scratch
directory per module, lets mutmut mutate that one module, runs each mutant against the module's
own test files (the ``ci`` Hypothesis profile, so a run is reproducible), and prints per module
the mutants run, killed, surviving, the survivors judged equivalent in ``equivalent.toml`` and
the score over the rest. A survivor that is not listed is printed with its diff.

Exits non-zero when a module kills less than ``THRESHOLD`` of its non-equivalent mutants, or
when ``equivalent.toml`` lists a mutant that no longer survives (it was not equivalent, or the
code under it changed): the list stays true to the code.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENT_FILE = Path(__file__).resolve().parent / "equivalent.toml"
THRESHOLD = 0.95

# Each module and the test files that are its own.
MODULES: dict[str, tuple[str, ...]] = {
    "apps/core/money.py": (
        "tests/core/test_money.py",
        "tests/core/test_money_pinned.py",
        "tests/core/test_money_json.py",
    ),
    "apps/deals/waterfall.py": (
        "tests/deals/test_waterfall.py",
        "tests/deals/test_waterfall_pinned.py",
        "tests/deals/test_waterfall_history.py",
    ),
    "apps/deals/interest.py": (
        "tests/deals/test_interest.py",
        "tests/deals/test_interest_pinned.py",
    ),
    "apps/deals/fees.py": (
        "tests/deals/test_fees.py",
        "tests/deals/test_fees_pinned.py",
    ),
    "apps/captable/conversion.py": (
        "tests/captable/test_conversion.py",
        "tests/captable/test_conversion_pinned.py",
    ),
    "apps/captable/proforma.py": (
        "tests/captable/test_proforma.py",
        "tests/captable/test_proforma_pinned.py",
    ),
    "apps/captable/vesting.py": (
        "tests/captable/test_vesting.py",
        "tests/captable/test_vesting_pinned.py",
    ),
}

# What the copy of the project needs beside the tests to run them.
PROJECT_FILES = ("apps", "roundtable", "templates", "static", "manage.py", "pyproject.toml")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "mutants", "media", "staticfiles")

# mutmut's statuses, by what they mean for the score.
KILLED = {"killed", "timeout", "caught by type check", "segfault"}
SURVIVED = {"survived", "no tests", "suspicious", "skipped", "check was interrupted by user"}

MUTANT_NAME = re.compile(r"^(?P<module>[\w.]+)\.x(?:ǁ(?P<cls>\w+)ǁ|_)(?P<func>\w+?)__mutmut_\d+$")


@dataclass(frozen=True)
class Mutation:
    """A survivor as the equivalent list names it: where, and the lines it changes."""

    function: str
    removed: tuple[str, ...]
    added: tuple[str, ...]


@dataclass
class Equivalent:
    module: str
    mutation: Mutation
    reason: str
    matched: bool = False


@dataclass
class Outcome:
    module: str
    run: int = 0
    killed: int = 0
    equivalent: int = 0
    surviving: list[tuple[str, str]] = field(default_factory=list)  # name, diff

    @property
    def score(self) -> float:
        real = self.run - self.equivalent
        return self.killed / real if real else 1.0


def load_equivalents() -> list[Equivalent]:
    data = tomllib.loads(EQUIVALENT_FILE.read_text("utf-8"))
    return [
        Equivalent(
            module=entry["module"],
            mutation=Mutation(
                function=entry["function"],
                removed=tuple(_lines(entry["original"])),
                added=tuple(_lines(entry["mutant"])),
            ),
            reason=entry["reason"],
        )
        for entry in data.get("equivalent", [])
    ]


def _lines(text: str) -> Iterable[str]:
    return (line.strip() for line in text.strip().splitlines() if line.strip())


def function_of(mutant_name: str) -> str:
    match = MUTANT_NAME.match(mutant_name)
    if match is None:
        raise ValueError(f"unexpected mutant name {mutant_name!r}")
    func = match["func"]
    return f"{match['cls']}.{func}" if match["cls"] else func


def mutation_of(mutant_name: str, diff: str) -> Mutation:
    lines = diff.splitlines()
    removed = [line[1:] for line in lines if line.startswith("-") and not line.startswith("---")]
    added = [line[1:] for line in lines if line.startswith("+") and not line.startswith("+++")]
    return Mutation(
        function_of(mutant_name),
        tuple(_lines("\n".join(removed))),
        tuple(_lines("\n".join(added))),
    )


def prepare(scratch: Path, module: str, tests: tuple[str, ...]) -> None:
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, scratch / name, ignore=IGNORED)
        else:
            shutil.copy2(source, scratch / name)
    shutil.copytree(ROOT / "tests", scratch / "tests", ignore=IGNORED)
    missing = [test for test in tests if not (ROOT / test).exists()]
    if missing:
        raise SystemExit(f"{module}: missing test files {', '.join(missing)}")
    selection = ", ".join(f'"{test}"' for test in tests)
    with (scratch / "pyproject.toml").open("a", encoding="utf-8") as pyproject:
        pyproject.write(
            "\n[tool.mutmut]\n"
            'source_paths = ["apps"]\n'
            f'only_mutate = ["{module}"]\n'
            'also_copy = ["roundtable", "templates", "static", "manage.py"]\n'
            f"pytest_add_cli_args_test_selection = [{selection}]\n"
            'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q", "-x"]\n'
        )


def mutmut(scratch: Path, *args: str, env: dict[str, str]) -> str:
    result = subprocess.run(  # noqa: S603 - our own virtualenv's mutmut, fixed arguments
        [str(Path(sys.executable).with_name("mutmut")), *args],
        cwd=scratch,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.stdout.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"mutmut {' '.join(args)} failed in {scratch}")
    return result.stdout


def mutate_module(module: str, equivalents: list[Equivalent], *, workers: int) -> Outcome:
    dotted = module.removesuffix(".py").replace("/", ".")
    env = {**os.environ, "HYPOTHESIS_PROFILE": "ci", "DJANGO_LOG_LEVEL": "WARNING"}
    with tempfile.TemporaryDirectory(prefix="mutation-") as directory:
        scratch = Path(directory)
        prepare(scratch, module, MODULES[module])
        mutmut(scratch, "run", "--max-children", str(workers), env=env)
        outcome = Outcome(module)
        for line in mutmut(scratch, "results", "--all", "true", env=env).splitlines():
            name, _, status = line.strip().rpartition(": ")
            if not name.startswith(dotted + "."):
                continue
            outcome.run += 1
            if status in KILLED:
                outcome.killed += 1
                continue
            if status not in SURVIVED:
                raise SystemExit(f"{name}: unknown mutmut status {status!r}")
            diff = mutmut(scratch, "show", name, env=env)
            mutation = mutation_of(name, diff)
            listed = next(
                (e for e in equivalents if e.module == dotted and e.mutation == mutation), None
            )
            if listed is not None:
                listed.matched = True
                outcome.equivalent += 1
            else:
                outcome.surviving.append((f"{name} ({status})", diff))
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mutation", description=__doc__.split("\n")[0])
    parser.add_argument("modules", nargs="*", help="paths of the modules to mutate (default: all)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--quiet", action="store_true", help="do not print surviving diffs")
    args = parser.parse_args(argv)
    modules = args.modules or list(MODULES)
    unknown = [module for module in modules if module not in MODULES]
    if unknown:
        parser.error(f"not a module under mutation: {', '.join(unknown)}")

    equivalents = load_equivalents()
    outcomes = []
    for module in modules:
        print(f"mutating {module} against {', '.join(MODULES[module])} ...", flush=True)
        outcome = mutate_module(module, equivalents, workers=args.workers)
        outcomes.append(outcome)
        if not args.quiet:
            for name, diff in outcome.surviving:
                print(f"\nsurvived: {name}\n{diff}")

    columns = ("run", "killed", "surviving", "equivalent", "score")
    header = f"{'module':<30}" + "".join(f" {column:>10}" for column in columns)
    print("\n" + header + "\n" + "-" * len(header))
    failed = False
    for outcome in outcomes:
        surviving = outcome.run - outcome.killed
        counts = (outcome.run, outcome.killed, surviving, outcome.equivalent)
        print(
            f"{outcome.module:<30}"
            + "".join(f" {count:>10}" for count in counts)
            + f" {outcome.score:>10.1%}"
        )
        failed |= outcome.score < THRESHOLD
    print(f"score: killed / (run - equivalent); each module must reach {THRESHOLD:.0%}")

    mutated = {module.removesuffix(".py").replace("/", ".") for module in modules}
    stale = [e for e in equivalents if e.module in mutated and not e.matched]
    for entry in stale:
        print(
            f"listed as equivalent but did not survive: {entry.module} {entry.mutation.function}:"
            f" {' / '.join(entry.mutation.added) or '(line removed)'}"
        )
    return 1 if failed or stale else 0


if __name__ == "__main__":
    sys.exit(main())
