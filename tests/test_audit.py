"""The hash-chained audit log: intact chains verify; an edited, deleted or inserted line is
found at the first entry where the chain breaks; concurrent writers keep it intact; the
`audit verify` and `audit tail` commands."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dino_backup.audit import AuditLog, audit_log_for, fingerprint, mask_email
from dino_backup.audit.chain import GENESIS, entry_hash
from dino_backup.cli.app import app


def _filled(tmp_path: Path, count: int = 6) -> AuditLog:
    log = audit_log_for(tmp_path)
    for i in range(count):
        log.append({"action": "backup.create", "status": 200 if i % 2 else 403, "n": i,
                    "actor": {"email": mask_email(f"user{i}@example.com")}})
    return log


def _lines(log: AuditLog) -> list[str]:
    return log.path.read_text().splitlines()


def _rewrite(log: AuditLog, lines: list[str]) -> None:
    log.path.write_text("".join(line + "\n" for line in lines))


def test_entries_link_to_each_other(tmp_path: Path) -> None:
    log = _filled(tmp_path)
    entries = [json.loads(line) for line in _lines(log)]
    assert [e["seq"] for e in entries] == [1, 2, 3, 4, 5, 6]
    assert entries[0]["prev"] == GENESIS
    for before, after in zip(entries, entries[1:], strict=False):
        assert after["prev"] == before["hash"] == entry_hash(before)
    assert all(e["ts"].endswith("Z") for e in entries)
    report = log.verify()
    assert report.ok and report.entries == 6 and report.last_hash == entries[-1]["hash"]
    assert log.path.stat().st_mode & 0o777 == 0o600
    assert log.path.parent.stat().st_mode & 0o777 == 0o700


def test_an_edited_line_is_found_where_it_was_edited(tmp_path: Path) -> None:
    log = _filled(tmp_path)
    lines = _lines(log)
    lines[2] = lines[2].replace('"status":403', '"status":200')
    assert '"status":200' in lines[2]
    _rewrite(log, lines)
    brk = log.verify().first_break
    assert brk is not None and brk.line == 3 and brk.seq == 3 and "edited" in brk.reason


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(tmp_path: Path) -> None:
    log = _filled(tmp_path)
    lines = _lines(log)
    forged = json.loads(lines[1])
    forged["status"] = 299
    forged["hash"] = entry_hash(forged)
    lines[1] = json.dumps(forged)
    _rewrite(log, lines)
    report = log.verify()
    assert report.first_break is not None and report.first_break.line == 3
    assert "link" in report.first_break.reason and report.entries == 2


def test_a_deleted_line_is_found_at_the_line_after_it(tmp_path: Path) -> None:
    log = _filled(tmp_path)
    lines = _lines(log)
    del lines[3]
    _rewrite(log, lines)
    brk = log.verify().first_break
    assert brk is not None and brk.line == 4 and brk.seq == 5


@pytest.mark.parametrize("where", [0, 2, 6])
def test_an_inserted_line_is_found(tmp_path: Path, where: int) -> None:
    log = _filled(tmp_path)
    lines = _lines(log)
    lines.insert(where, lines[1] if where != 2 else lines[4])
    _rewrite(log, lines)
    brk = log.verify().first_break
    assert brk is not None and brk.line == where + 1


def test_a_damaged_last_line_is_reported_and_appends_still_link(tmp_path: Path) -> None:
    log = _filled(tmp_path, 3)
    with log.path.open("a") as f:
        f.write('{"seq": 4, "half a line\n')
    log.append({"action": "after-damage"})
    brk = log.verify().first_break
    assert brk is not None and brk.line == 4 and "JSON" in brk.reason
    assert log.tail(1)[0]["action"] == "after-damage"


def _append_many(path: str, worker: int) -> None:
    log = AuditLog(Path(path))
    for i in range(25):
        log.append({"action": "concurrent", "worker": worker, "i": i})


def test_concurrent_writers_in_several_processes_keep_the_chain(tmp_path: Path) -> None:
    log = audit_log_for(tmp_path)
    ctx = multiprocessing.get_context("fork")
    workers = [ctx.Process(target=_append_many, args=(str(log.path), w)) for w in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(30)
    report = log.verify()
    assert report.ok, report.first_break
    assert report.entries == 100


def test_tail_and_refused_since(tmp_path: Path) -> None:
    log = _filled(tmp_path, 6)
    tail = log.tail(2)
    assert [e["n"] for e in tail] == [4, 5]
    assert len(log.tail(100)) == 6
    assert log.refused_since(dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)) == 3
    assert log.refused_since(dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)) == 0
    assert audit_log_for(tmp_path / "none").tail(5) == []
    assert audit_log_for(tmp_path / "none").verify().ok


def test_tail_reads_long_files_from_the_end(tmp_path: Path) -> None:
    log = audit_log_for(tmp_path)
    for i in range(120):
        log.append({"action": "x", "i": i, "pad": "p" * 200})
    assert log.path.stat().st_size > 4 * 8192
    assert [e["i"] for e in log.tail(3)] == [117, 118, 119]


def test_redaction_helpers() -> None:
    assert mask_email("alice@example.com") == "a***e@example.com"
    assert mask_email("al@example.com") == "a***@example.com"
    assert mask_email(None) is None
    assert fingerprint("secret-token").startswith("sha256:")
    assert "secret" not in fingerprint("secret-token")


def _cli(tmp_path: Path, *args: str) -> Any:
    return CliRunner().invoke(app, ["audit", *args], env={"BACKUP_DIR": str(tmp_path)})


def test_audit_verify_command(tmp_path: Path) -> None:
    log = _filled(tmp_path)
    ok = _cli(tmp_path, "verify", "--json")
    assert ok.exit_code == 0 and json.loads(ok.stdout)["entries"] == 6
    lines = _lines(log)
    del lines[1]
    _rewrite(log, lines)
    broken = _cli(tmp_path, "verify", "--json")
    assert broken.exit_code == 4
    result = json.loads(broken.stdout)
    assert result["success"] is False and result["firstBreak"]["line"] == 2
    text = _cli(tmp_path, "verify")
    assert text.exit_code == 4 and "broken at line 2" in text.stderr


def test_audit_tail_command(tmp_path: Path) -> None:
    _filled(tmp_path)
    shown = _cli(tmp_path, "tail", "-n", "2")
    assert shown.exit_code == 0
    assert len(shown.stdout.strip().splitlines()) == 2 and "backup.create" in shown.stdout
    as_json = json.loads(_cli(tmp_path, "tail", "--json", "-n", "3").stdout)
    assert [e["seq"] for e in as_json["entries"]] == [4, 5, 6]
