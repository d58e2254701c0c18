"""Airflow glue: the only place in `etl` that imports Airflow."""
