"""`python -m bench.profile`: where `dino-backup` spends its time (pyinstrument).

    python -m bench.profile [--scale 1] [--engine postgresql] [--out-dir /tmp/dino-profile]

Makes the dataset, then runs `dino-backup create` and `dino-backup restore` into an empty
schema (`init-db` only) under pyinstrument, and writes one text report per operation.
pyinstrument is not a project dependency: `.venv/bin/pip install pyinstrument`.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .cases import Invocation
from .config import ENGINES, BenchConfig, Scale
from .engines import engine_bench


def pyinstrument() -> str:
    found = Path(sys.executable).with_name("pyinstrument")
    if not found.exists():
        sys.exit("pyinstrument is missing: .venv/bin/pip install pyinstrument")
    return str(found)


def profiled(invocation: Invocation, report: Path) -> None:
    """Run the invocation's command under pyinstrument (a Python script: dino-backup)."""
    argv = [pyinstrument(), "-r", "text", "-o", str(report), *invocation.argv]
    try:
        subprocess.run(argv, env=invocation.env, check=True, stdout=subprocess.DEVNULL)
    finally:
        invocation.cleanup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--engine", choices=ENGINES, default="postgresql")
    parser.add_argument("--out-dir", type=Path, default=Path("/tmp/dino-profile"))
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="dino-profile-"))
    config = BenchConfig(scale=Scale(args.scale), runs=1, engines=(args.engine,), workdir=workdir)
    bench = engine_bench(args.engine, config)
    try:
        bench.setup(competitors=False)
        for operation, prepare in (
            ("create", bench.dino_create),
            ("restore_empty", bench.dino_restore_empty),
        ):
            report = args.out_dir / f"{args.engine}-{operation}.txt"
            profiled(prepare(), report)
            print(report)
    finally:
        bench.teardown()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
