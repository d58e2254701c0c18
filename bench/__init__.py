"""Benchmarks, run by hand (not pytest): `python -m bench.run` for the customs ingest."""
