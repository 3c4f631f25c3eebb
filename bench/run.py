"""`python -m bench.run`: DINO Backup against the native tools, on every engine.

    python -m bench.run [--scale 0.1] [--runs 3] [--engines sqlite,postgresql,mysql]
                        [--out bench/results/latest.json]
    python -m bench.run --memory-curve 0.1,1,10 [--engines ...]

Writes the JSON, a Markdown table (.md) and a chart (.png) next to `--out`, and prints
the Markdown. See bench/README.md for what every number means.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import psutil

from . import output
from .config import DEFAULT_OUT, ENGINES, BenchConfig, Scale, dino_cli
from .engines import engine_bench
from .machine import machine_info, source_digest
from .measure import run_measured
from .memory_curve import memory_curve, merge_curves
from .runner import CaseResult, results_json, run_cases
from .summary import summarise

SCHEMA_VERSION = 1


def _engines(text: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in ENGINES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"engines are {', '.join(ENGINES)}; got {text!r}")
    return names


def _scales(text: str) -> list[float]:
    try:
        return [Scale(float(s)).factor for s in text.split(",") if s.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="1 = 100k users, 1M visits (0.1 to 10; smaller for smoke tests)",
    )
    parser.add_argument("--runs", type=int, default=3, help="measured runs per contender")
    parser.add_argument(
        "--engines", type=_engines, default=ENGINES, help="comma-separated: sqlite,postgresql,mysql"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the JSON to write")
    parser.add_argument(
        "--memory-curve",
        type=_scales,
        metavar="SCALES",
        help="instead: dino-backup's peak memory at these scales, e.g. 0.1,1,10",
    )
    parser.add_argument(
        "--render", action="store_true", help="only rewrite the .md and .png from --out's JSON"
    )
    parser.add_argument("--workdir", type=Path, help="scratch space (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep scratch databases and files")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    try:
        Scale(args.scale)
    except ValueError as exc:
        parser.error(str(exc))
    return args


def _config(args: argparse.Namespace, workdir: Path) -> BenchConfig:
    return BenchConfig(
        scale=Scale(args.scale),
        runs=args.runs,
        engines=args.engines,
        out=args.out,
        workdir=workdir,
        keep=args.keep,
        verbose=not args.quiet,
    )


def _servers(config: BenchConfig) -> dict[str, str]:
    urls = {"postgresql": config.pg_admin_url, "mysql": config.mysql_admin_url}
    return {name: url for name, url in urls.items() if name in config.engines}


def startup_cost(runs: int) -> dict[str, float]:
    """`dino-backup --help`: the CLI's start-up, included in every dino-backup timing."""
    samples = [run_measured([dino_cli(), "--help"]) for _ in range(runs)]
    return {
        "wall_s": statistics.median(s.wall_s for s in samples),
        "cpu_s": statistics.median(s.cpu_s for s in samples),
        "peak_rss_bytes": statistics.median(s.peak_rss_bytes for s in samples),
    }


def _bench_engine(config: BenchConfig, name: str) -> tuple[dict[str, Any], list[CaseResult]]:
    config.log(f"{name}: generating the dataset at {config.scale.factor}x")
    bench = engine_bench(name, config)
    try:
        dataset = bench.setup()
        config.log(
            f"{name}: {dataset.total_rows:,} rows in {dataset.generate_s:.1f} s; "
            f"{config.runs} run(s) of {len(bench.cases())} cases"
        )
        return dataset.to_json(), run_cases(
            bench.cases(), config.runs, dataset.total_rows, config.log
        )
    finally:
        bench.teardown()


def _skeleton(config: BenchConfig) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "machine": machine_info(_servers(config)),
        "config": {
            "scale": config.scale.factor,
            "runs": config.runs,
            "engines": list(config.engines),
            "requested": {"users": config.scale.users, "visits": config.scale.visits},
        },
        "datasets": {},
        "results": [],
        "targets": [],
        "errors": {},
    }


def _finish_machine(machine: dict[str, Any]) -> None:
    """Load and source digest at the end: was the machine busy, did the code change?"""
    machine["load_average_at_end"] = list(psutil.getloadavg())
    source = machine["source"]
    source["src_sha256_at_end"] = source_digest()
    source["changed_during_run"] = source["src_sha256_at_end"] != source["src_sha256_at_start"]


def benchmark(config: BenchConfig) -> dict[str, Any]:
    report = _skeleton(config)
    report["dino_startup"] = startup_cost(config.runs)
    results: list[CaseResult] = []
    for name in config.engines:
        try:
            report["datasets"][name], found = _bench_engine(config, name)
        except Exception as exc:  # noqa: BLE001  (report the engine's failure, go on)
            report["errors"][name] = f"{type(exc).__name__}: {exc}"
            config.log(f"{name}: FAILED {exc}")
            continue
        results += found
    _finish_machine(report["machine"])
    report["results"] = results_json(results)
    return summarise(report)


def _with_curve(config: BenchConfig, scales: list[float]) -> dict[str, Any]:
    report = output.load(config.out) or _skeleton(config)
    report["memory_curve"] = merge_curves(report.get("memory_curve"), memory_curve(config, scales))
    return report


def render(out: Path) -> int:
    report = output.load(out)
    if report is None:
        print(f"no benchmark JSON at {out}", file=sys.stderr)
        return 2
    print(output.write(summarise(report), out))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.render:
        return render(args.out)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="dino-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    config = _config(args, workdir)
    try:
        if args.memory_curve:
            report = _with_curve(config, args.memory_curve)
        else:
            report = benchmark(config)
            previous = output.load(config.out)
            if previous and previous.get("memory_curve"):
                report["memory_curve"] = previous["memory_curve"]
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print(output.write(report, config.out))
    return 1 if report.get("errors") else 0


if __name__ == "__main__":
    sys.exit(main())
