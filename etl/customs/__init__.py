"""Customs trade flows at scale: adapters, landed Parquet store, generator.

Public entry points: `etl.customs.api` (`ingest_files`, `landed_glob`), `etl.customs.cli`
(`add_parsers`) and `etl.customs.generate`. Everything else is an implementation detail.
"""
