"""DINO Backup benchmark harness: `python -m bench.run --help`.

Modules: `config` (scale and options), `dataset` (the DINO data on each engine), `measure`
(process-tree wall/CPU/peak-RSS measurement), `engines` (one module of contenders per
database engine), `runner` (alternating runs, medians, ratios), `targets` (the issue's
pass/fail targets), `report` and `chart` (Markdown and PNG), `memory_curve`, `machine`.
"""
