"""``python -m socialops.course --out DIR [--trainer] [--run-dir DIR] [--data DIR] [--jobs N]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from socialops.course import ROOT, build_course


def main(argv: list[str] | None = None) -> int:
    """Build the course site; return the exit code (0 built, 1 failed)."""
    parser = argparse.ArgumentParser(prog="python -m socialops.course", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("reports/course"), help="site folder (replaced whole)")
    parser.add_argument("--trainer", action="store_true", help="trainer edition: solutions and trainer's guides")
    parser.add_argument("--run-dir", type=Path, default=None,
                        help="executed notebooks, RUN_DIR/<lang>/ each from `socialops run --audience analyst "
                             "--lang <lang>`; without it every chapter is run first, in each language")
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "samples", help="workspace to run on")
    parser.add_argument("--jobs", type=int, default=2, help="chapters run in parallel")
    args = parser.parse_args(argv)
    try:
        site = build_course(args.out, trainer=args.trainer, run_dir=args.run_dir, data=args.data, jobs=args.jobs)
    except (RuntimeError, FileNotFoundError) as error:
        print(error, file=sys.stderr)
        return 1
    print(f"course site: {site / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
