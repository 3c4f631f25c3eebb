"""DINO Backup benchmark harness: `python -m bench.run --help` (see bench/README.md).

Modules: `config` (scale and options), `databases` and `dataset` (the DINO data on each
engine), `measure` (process-tree wall/CPU/peak-RSS measurement), `engines` (one module of
contenders per database engine), `runner` (alternating runs), `summary` (medians, ratios),
`targets` (the issue's pass/fail targets), `report`, `chart` and `output` (Markdown, PNG,
files), `memory_curve`, `machine`, `seed_algorithm` (the baseline), `profile` (pyinstrument).
"""
