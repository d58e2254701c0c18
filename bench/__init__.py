"""Benchmarks of the customs ingest: `python -m bench.run` (see bench/run.py). Not pytest."""
