"""What each piece of common.fastpath earns: CPU per request on every `make bench`
scenario with the piece on and off, all in one run (scripts/bench/fastpath_cpu.py).

Each service's scenarios run in its own pytest on a PostgreSQL database of their own
(``<service>_fastpath_bench``, with ``TEST_SLOT``'s suffix; created and dropped by
pytest-django). Prints a table; ``--write`` records it in docs/performance.md between
its ``fastpath:begin``/``fastpath:end`` marks. A piece is worth its risk when it saves
at least ``THRESHOLD`` of a request's CPU on some scenario.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run_tests

REPO = run_tests.REPO
MODULE = REPO / "scripts" / "bench" / "fastpath_cpu.py"
DOC = REPO / "docs" / "performance.md"
#: The figures of the last run (``--from-json`` reads them again).
OUT = REPO / "var" / "bench_fastpath.json"
MARK_BEGIN, MARK_END = "<!-- fastpath:begin -->", "<!-- fastpath:end -->"
THRESHOLD = 0.03
#: Scenarios by the service that answers them, in `make bench`'s order.
SCENARIOS = {
    "orders_api": ("orders_create", "order_detail"),
    "products_api": ("products_list", "stock_movement"),
    "clients_api": ("clients_search",),
}
PIECES = {
    "postgresql": "backend (`postgresql/base.py`)",
    "compiler": "short inserts (`postgresql/compiler.py`)",
    "updates": "`updates.py`",
    "queries": "`queries.CompiledQuery`",
    "prefetched": "`queries.with_prefetched`",
    "inserts": "`inserts.py`",
    "projection": "`projection.py`",
}


def measure(out: Path) -> dict:
    for service, scenarios in SCENARIOS.items():
        project = next(p for p in run_tests.PROJECTS if p.name == service)
        env = run_tests.project_env(
            run_tests.Project(f"{service}_fastpath_bench", project.directory, project.settings, ()),
            postgres=True,
            redis=None,
        )
        env["FASTPATH_BENCH_OUT"] = str(out)
        tests = [f"{MODULE}::test_{scenario}" for scenario in scenarios]
        print(f"==> {service}: {', '.join(scenarios)}", flush=True)
        subprocess.run(  # a failed scenario is missing from the table, the others stay
            [str(run_tests.VENV_BIN / "pytest"), *tests, "-q", "-p", "no:cacheprovider"],
            cwd=project.directory,
            env=env,
        )
    return json.loads(out.read_text())


def merge(into: dict, figures: dict) -> None:
    """Adds the pieces of ``figures`` (a later run, ``FASTPATH_BENCH_PIECES``) that
    ``into`` lacks, scaled by the ratio of the two runs' all-on figures: each keeps its
    gain over its own run's baseline."""
    if not into:
        into.update(figures)
        return
    for piece, found in figures.items():
        if piece not in into:
            into[piece] = {
                measure: value * into["on"][measure] / figures["on"][measure]
                for measure, value in found.items()
            }


def gain(figures: dict, piece: str, measure: str = "cpu_ms") -> float:
    """The share of the request's cost (the piece off) that the piece takes away."""
    off, on = figures[piece][measure], figures["on"][measure]
    return (off - on) / off


def table(results: dict) -> str:
    scenarios = [name for names in SCENARIOS.values() for name in names if name in results]
    lines = [
        "| piece off | " + " | ".join(scenarios) + " |",
        "|---" * (len(scenarios) + 1) + "|",
        "| none (all on), CPU / wall ms per request | "
        + " | ".join(
            f"{results[s]['on']['cpu_ms']:.2f} / {results[s]['on']['wall_ms']:.2f}"
            for s in scenarios
        )
        + " |",
    ]
    for piece, title in [*PIECES.items(), ("off", "all (`FASTPATH=off`)")]:
        cells = []
        for scenario in scenarios:
            figures = results[scenario]
            if piece not in figures:
                cells.append("not measured")
                continue
            cells.append(
                f"{figures[piece]['cpu_ms']:.2f} / {figures[piece]['wall_ms']:.2f} "
                f"({gain(figures, piece):+.0%} / {gain(figures, piece, 'wall_ms'):+.0%})"
            )
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="record in docs/performance.md")
    parser.add_argument("--from-json", type=Path, nargs="+", help="earlier runs' figures")
    args = parser.parse_args()
    if args.from_json:
        results: dict = {}
        for path in args.from_json:
            for scenario, figures in json.loads(path.read_text()).items():
                merge(results.setdefault(scenario, {}), figures)
    else:
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.unlink(missing_ok=True)
        results = measure(OUT)
    print(json.dumps(results, indent=2))
    text = table(results)
    print(text)
    for piece in PIECES:
        measured = [figures for figures in results.values() if piece in figures]
        if not measured:
            continue
        best = max(gain(figures, piece) for figures in measured)
        verdict = "keeps its place" if best >= THRESHOLD else "earns less than 3 %: remove"
        print(f"{piece}: best CPU gain {best:+.1%}, {verdict}")
    if args.write:
        doc = DOC.read_text()
        before, _, rest = doc.partition(MARK_BEGIN)
        _, _, after = rest.partition(MARK_END)
        DOC.write_text(f"{before}{MARK_BEGIN}\n{text}\n{MARK_END}{after}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
