"""Builders shared by the suites (GX is imported lazily: suites are built only to validate)."""

from __future__ import annotations

from typing import Any

WARNING = {"severity": "warning"}


def gxe() -> Any:
    import great_expectations.expectations as module

    return module


def suite(name: str, expectations: list[Any]) -> Any:
    import great_expectations as gx

    return gx.ExpectationSuite(name=name, expectations=expectations)


def columns_exist(*columns: str) -> list[Any]:
    return [gxe().ExpectColumnToExist(column=c) for c in columns]


def not_null(*columns: str) -> list[Any]:
    return [gxe().ExpectColumnValuesToNotBeNull(column=c) for c in columns]


def hs_code(column: str, digits: int, *, suffix: bool = False) -> Any:
    pattern = rf"^\d{{{digits}}}[A-Z]?$" if suffix else rf"^\d{{{digits}}}$"
    return gxe().ExpectColumnValuesToMatchRegex(column=column, regex=pattern)


def rows_at_least(n: int = 1) -> Any:
    return gxe().ExpectTableRowCountToBeBetween(min_value=n)


def unique_key(*columns: str) -> Any:
    if len(columns) == 1:
        return gxe().ExpectColumnValuesToBeUnique(column=columns[0])
    return gxe().ExpectCompoundColumnsToBeUnique(column_list=list(columns))


def between(column: str, low: float | None, high: float | None, **kw: Any) -> Any:
    return gxe().ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high, **kw)


def in_set(column: str, values: list[Any], **kw: Any) -> Any:
    return gxe().ExpectColumnValuesToBeInSet(column=column, value_set=values, **kw)
