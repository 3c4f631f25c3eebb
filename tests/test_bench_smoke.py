"""The benchmark harness, end to end at a tiny scale: it writes its JSON, Markdown and chart.

No timing is asserted here (speed is measured by the benchmark, never by tests).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
MEDIAN_KEYS = {
    "wall_s",
    "cpu_s",
    "peak_rss_bytes",
    "max_single_rss_bytes",
    "archive_bytes",
    "rows_per_s",
}
MACHINE_KEYS = {"date", "cpu_model", "cores_logical", "ram_bytes", "os", "python", "tools"}

pytestmark = pytest.mark.skipif(
    not (shutil.which("sqlite3") and shutil.which("zstd")), reason="needs sqlite3 and zstd"
)


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("bench") / "latest.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.run",
            "--scale",
            "0.001",
            "--runs",
            "1",
            "--engines",
            "sqlite",
            "--out",
            str(out),
            "--quiet",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out, done.stdout


def test_smoke_run_writes_json_with_machine_config_and_dataset(smoke_run: tuple[Path, str]) -> None:
    report = json.loads(smoke_run[0].read_text())
    assert MACHINE_KEYS <= report["machine"].keys()
    assert report["config"]["scale"] == 0.001
    assert report["config"]["engines"] == ["sqlite"]
    assert report["datasets"]["sqlite"]["total_rows"] > 0
    assert report["errors"] == {}


def test_every_contender_is_measured_with_medians_and_ratios(smoke_run: tuple[Path, str]) -> None:
    results = {r["key"]: r for r in json.loads(smoke_run[0].read_text())["results"]}
    expected = {
        "sqlite.create.dino",
        "sqlite.create.sqlite3_dump_zstd",
        "sqlite.create.seed_json_gzip",
        "sqlite.verify.dino",
        "sqlite.restore_empty.dino",
        "sqlite.restore_empty.sqlite3_reload",
        "sqlite.restore_populated.dino",
    }
    assert expected <= results.keys()
    for result in results.values():
        assert result["errors"] == [], result["key"]
        assert len(result["runs"]) == 1
        assert MEDIAN_KEYS <= result["median"].keys()
    create = results["sqlite.create.dino"]
    assert create["median"]["archive_bytes"] > 0
    assert {"sqlite3_dump_zstd", "seed_json_gzip"} <= create["ratios"].keys()


def test_targets_are_evaluated_not_asserted(smoke_run: tuple[Path, str]) -> None:
    targets = {t["id"]: t for t in json.loads(smoke_run[0].read_text())["targets"]}
    expected = {"sqlite_create_vs_dump", "sqlite_verify_vs_create", "sqlite_create_memory"}
    assert expected <= targets.keys()
    assert all(isinstance(t["passed"], bool) for t in targets.values())


def test_markdown_table_is_printed_and_written_with_the_chart(smoke_run: tuple[Path, str]) -> None:
    out, stdout = smoke_run
    markdown = out.with_suffix(".md").read_text()
    assert "| Engine | Operation | Contender | Wall s |" in markdown
    assert "| SQLite | create | **dino-backup create (zstd)** |" in markdown
    assert "#### Targets" in markdown
    assert markdown.strip() in stdout
    assert out.with_suffix(".png").read_bytes().startswith(b"\x89PNG")
