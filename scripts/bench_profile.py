"""Where a scenario's time goes in the running servers: py-spy on gunicorn's workers.

``make bench`` with ``--profile`` samples each scenario's worker processes with
py-spy while a second wrk run loads them, and prints a summary:

- the share of samples **waiting**: on PostgreSQL (psycopg sending a query and
  waiting for its answer, ``BEGIN`` and ``COMMIT``) and on the client's socket
  (gunicorn writing the answer and waiting for wrk to close);
- what the **Python CPU** goes to: the inclusive share of a few phases (each a
  frame of Django, DRF or ours) and the functions with the most samples of their own.

The collapsed stacks are kept in var/bench/profiles/ for a flame graph
(``py-spy`` raw format, one ``frames count`` line per stack). Sampling costs the
servers: the profiled run's req/s is lower than the measured one and is not
reported. ``python scripts/bench_profile.py FILE...`` summarizes files again.
"""

from __future__ import annotations

import collections
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

#: Leaf frames that are waiting, not computing.
WAITING = {
    # Sending: libpq writes to the socket and the server's process takes the core.
    "PostgreSQL": (
        "_execute_send",
        "_send_query_prepared",
        "_send_query_params",
        "_send_prepare",
        "Connection.wait",
        "_exec_command",
    ),
    "client socket": ("close_graceful", "write (gunicorn/util.py", "sendall"),
}

#: Phases of a request, by a frame that contains them (first match in the stack wins).
PHASES = [
    ("ORM: turning querysets into SQL", ("SQLCompiler.as_sql", "SQLInsertCompiler.as_sql")),
    ("ORM: building model instances", ("Model.from_db", "Model.__init__")),
    ("ORM: saving (signals, field values)", ("Model.save_base",)),
    ("event recording (envelope, outbox row)", ("_record_all (common",)),
    ("DRF: input validation", ("BaseSerializer.is_valid",)),
    (
        "output (common.fastpath.projection, orjson)",
        ("render_many (common", "render (common", "Renderer.render"),
    ),
    ("authentication and permissions", ("APIView.initial",)),
    ("gunicorn: parsing the request", ("Request.__init__ (gunicorn", "create (gunicorn")),
]


@dataclass
class Summary:
    samples: int
    waiting: dict[str, float]
    phases: list[tuple[str, float]]
    own: list[tuple[str, float]]

    def lines(self) -> list[str]:
        python = 1 - sum(self.waiting.values())
        out = [
            f"{self.samples} samples: "
            + ", ".join(f"waiting on {what} {share:.0%}" for what, share in self.waiting.items())
            + f", Python {python:.0%}"
        ]
        out += ["  phases (inclusive, so they overlap):"]
        out += [f"  {share:5.1%} of Python  {phase}" for phase, share in self.phases if share]
        out += ["  most samples of their own:"]
        out += [f"  {share:5.1%} of Python  {frame}" for frame, share in self.own]
        return out


def available() -> bool:
    return shutil.which("py-spy") is not None or (Path(sys.executable).parent / "py-spy").exists()


def record(pids: list[int], *, seconds: int, out: Path, name: str) -> list[subprocess.Popen]:
    """Starts one py-spy per process (100 samples/s, raw collapsed stacks); wait on them."""
    binary = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    out.mkdir(parents=True, exist_ok=True)
    return [
        subprocess.Popen(
            [
                binary,
                "record",
                *("--pid", str(pid), "--duration", str(seconds), "--rate", "100"),
                *("--format", "raw", "--nonblocking", "--output", str(out / f"{name}-{pid}.txt")),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid in pids
    ]


def _frames(stack: str) -> list[str]:
    """Frames as ``function (package/module.py)``, site-packages and line numbers cut."""
    return [
        re.sub(r":\d+\)$", ")", re.sub(r"\(\S*/site-packages/", "(", frame))
        for frame in stack.split(";")
    ]


def summarize(paths: list[Path], *, top: int = 8) -> Summary:
    samples = 0
    waiting = collections.Counter()
    phases = collections.Counter()
    own = collections.Counter()
    for path in paths:
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            frames, n = _frames(stack), int(count)
            samples += n
            what = next(
                (
                    what
                    for what, leaves in WAITING.items()
                    if any(leaf in frames[-1] for leaf in leaves)
                ),
                None,
            )
            if what is not None:
                waiting[what] += n
                continue
            own[frames[-1]] += n
            for phase, markers in PHASES:
                if any(marker in frame for frame in frames for marker in markers):
                    phases[phase] += n
    python = max(samples - sum(waiting.values()), 1)
    return Summary(
        samples=samples,
        waiting={what: waiting[what] / max(samples, 1) for what in WAITING},
        phases=[(phase, phases[phase] / python) for phase, _ in PHASES],
        own=[(frame, n / python) for frame, n in own.most_common(top)],
    )


if __name__ == "__main__":
    print("\n".join(summarize([Path(arg) for arg in sys.argv[1:]]).lines()))
