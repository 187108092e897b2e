"""``python -m socialops.bench --out reports/bench.json``: the benchmark (``make bench``).

Sizes come from ``--sizes`` or the environment variable ``BENCH_SIZES`` (e.g. ``1000000,10000000,100000000``).
``--readme README.md`` rewrites the README's goals block with the figures measured.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from socialops.bench.harness import parse_sizes, run_benchmark
from socialops.bench.tasks import TOOLS


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run the benchmark."""
    parser = argparse.ArgumentParser(prog="python -m socialops.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("reports/bench.json"), help="JSON file to write")
    parser.add_argument("--sizes", default=os.environ.get("BENCH_SIZES"), help="comma-separated event counts")
    parser.add_argument("--data-root", type=Path, help="where generated events are kept (default: beside --out)")
    parser.add_argument("--tools", default=",".join(TOOLS), help=f"comma-separated, among {', '.join(TOOLS)}")
    parser.add_argument("--threads", type=int, default=2, help="engine threads")
    parser.add_argument("--memory-limit", default="3GB", help="engine memory cap")
    parser.add_argument("--no-chapters", dest="chapters", action="store_false",
                        help="skip the whole chapter runs at each size")
    parser.add_argument("--no-fits", dest="fits", action="store_false", help="skip the model fits")
    parser.add_argument("--no-samples", dest="samples", action="store_false",
                        help="skip the five chapters on the samples")
    parser.add_argument("--readme", type=Path, help="README whose goals block to rewrite with the figures")
    args = parser.parse_args(argv)
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = sorted(set(tools) - set(TOOLS))
    if unknown:
        parser.error(f"unknown tools {unknown}; choose among {', '.join(TOOLS)}")
    run_benchmark(parse_sizes(args.sizes), args.out, data_root=args.data_root, tools=tools, threads=args.threads,
                  memory_limit=args.memory_limit, chapters=args.chapters, fits=args.fits, samples=args.samples,
                  readme=args.readme)


if __name__ == "__main__":
    main()
