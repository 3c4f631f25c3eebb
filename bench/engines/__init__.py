"""One module of contenders per database engine, behind `EngineBench`."""

from __future__ import annotations

from ..config import BenchConfig
from .base import EngineBench
from .mysql import MysqlBench
from .postgresql import PostgresqlBench
from .sqlite import SqliteBench

BENCHES: dict[str, type[EngineBench]] = {
    "sqlite": SqliteBench,
    "postgresql": PostgresqlBench,
    "mysql": MysqlBench,
}


def engine_bench(name: str, config: BenchConfig) -> EngineBench:
    return BENCHES[name](config)


__all__ = ["BENCHES", "EngineBench", "engine_bench"]
