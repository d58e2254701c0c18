"""Every rule of data/reference/product_categories.csv, tested through the real SQL on real lines.

Each rule declares one real national tariff line inside it and one real line just outside it
(`PAIRS`; a rule without a pair fails). HS2017 rules use China's 2018 HS10 lines (PIIE
workbook), HS2022 rules the CN8 lines of the 2025 ITA matrix, both loaded with the
pipeline's own adapters. Where the bundled data holds no national line under an HS2022 rule,
the pair names HS2022 subheadings instead (`SUBHEADING_PAIRS`), and the test checks that no
national line exists there.

The categories come from the models `staging.stg_reference__product_categories` and
`intermediate.int_hs_codes_categorized`, built with the SQL runner on those lines:
- the rule on its own (an `exclude` with the `include` rules of its category and revision
  that contain it): the inside line is in the category (not in it, for an exclude), the
  outside line is the opposite;
- the whole file: the inside line keeps that verdict (no other rule overturns it).
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime

import pyarrow as pa
import pytest

from etl import sql_runner
from etl.atomic import write_parquet_atomic
from etl.ingest import ita, piie, product_categories
from etl.ingest.common import SourceFile
from tests.helpers import LANDING, PIIE_XLSX, PROJECT_ROOT
from tests.sql.test_models_on_fixture_rows import LINEAGE, raw_tables

REFERENCE = PROJECT_ROOT / "data" / "reference"
CATEGORIES_CSV = REFERENCE / "product_categories.csv"
ITA_CSV = LANDING / "ita_retaliation_matrix" / "underlying_trade_retaliations.csv"
LOADED_AT = datetime(2026, 1, 1, tzinfo=UTC)
MODELS = ("staging.stg_reference__product_categories", "intermediate.int_hs_codes_categorized")

# (category, hs_revision, hs_prefix, match) -> (line inside the rule, line just outside it)
PAIRS: dict[tuple[str, str, str, str], tuple[str, str]] = {
    # WTO Agreement on Agriculture, Annex 1: chapters 1-24 less fish, plus the para 1(ii) list
    ("agricultural", "HS2017", "01", "include"): ("0103100010", "0201100010"),
    ("agricultural", "HS2017", "02", "include"): ("0206490000", "0301110010"),
    ("agricultural", "HS2017", "04", "include"): ("0404100000", "0301110010"),
    ("agricultural", "HS2017", "05", "include"): ("0504001100", "0601101000"),
    ("agricultural", "HS2017", "06", "include"): ("0602901000", "0701100000"),
    ("agricultural", "HS2017", "07", "include"): ("0713109000", "0801110000"),
    ("agricultural", "HS2017", "08", "include"): ("0802510000", "0901110000"),
    ("agricultural", "HS2017", "09", "include"): ("0901210000", "0814000000"),
    ("agricultural", "HS2017", "10", "include"): ("1007900000", "1101000090"),
    ("agricultural", "HS2017", "11", "include"): ("1106100000", "1201100000"),
    ("agricultural", "HS2017", "12", "include"): ("1201901000", "1301200000"),
    ("agricultural", "HS2017", "13", "include"): ("1302391100", "1401100010"),
    ("agricultural", "HS2017", "14", "include"): ("1404200000", "1501100000"),
    ("agricultural", "HS2017", "15", "include"): ("1507100000", "1601001010"),
    ("agricultural", "HS2017", "16", "include"): ("1602410010", "1701120090"),
    ("agricultural", "HS2017", "17", "include"): ("1702110000", "1801000000"),
    ("agricultural", "HS2017", "18", "include"): ("1806900000", "1901101000"),
    ("agricultural", "HS2017", "19", "include"): ("1901109000", "2001100000"),
    ("agricultural", "HS2017", "20", "include"): ("2004100000", "2101110000"),
    ("agricultural", "HS2017", "21", "include"): ("2106909001", "2201101000"),
    ("agricultural", "HS2017", "22", "include"): ("2204210000", "2301101100"),
    ("agricultural", "HS2017", "23", "include"): ("2301101900", "2401101000"),
    ("agricultural", "HS2017", "24", "include"): ("2401201000", "2501001100"),
    ("agricultural", "HS2017", "290543", "include"): ("2905430000", "2905450000"),
    ("agricultural", "HS2017", "290544", "include"): ("2905440000", "2905450000"),
    ("agricultural", "HS2017", "3301", "include"): ("3301299910", "3302101000"),
    ("agricultural", "HS2017", "3501", "include"): ("3501900000", "3506100010"),
    ("agricultural", "HS2017", "3502", "include"): ("3502200000", "3506100010"),
    ("agricultural", "HS2017", "3503", "include"): ("3503001001", "3506100010"),
    ("agricultural", "HS2017", "3504", "include"): ("3504009000", "3506100010"),
    ("agricultural", "HS2017", "3505", "include"): ("3505100000", "3506100010"),
    ("agricultural", "HS2017", "380910", "include"): ("3809100000", "3809910000"),
    ("agricultural", "HS2017", "382460", "include"): ("3824600000", "3824710011"),
    ("agricultural", "HS2017", "4101", "include"): ("4101501910", "4104111110"),
    ("agricultural", "HS2017", "4102", "include"): ("4102100000", "4104111110"),
    ("agricultural", "HS2017", "4103", "include"): ("4103909010", "4104111110"),
    ("agricultural", "HS2017", "4301", "include"): ("4301100000", "4302110000"),
    ("agricultural", "HS2017", "5001", "include"): ("5001001000", "5004000000"),
    ("agricultural", "HS2017", "5002", "include"): ("5002001100", "5004000000"),
    ("agricultural", "HS2017", "5003", "include"): ("5003001100", "5004000000"),
    ("agricultural", "HS2017", "5101", "include"): ("5101110090", "5104001000"),
    ("agricultural", "HS2017", "5102", "include"): ("5102110000", "5104001000"),
    ("agricultural", "HS2017", "5103", "include"): ("5103101090", "5104001000"),
    ("agricultural", "HS2017", "5201", "include"): ("5201000080", "5204110000"),
    ("agricultural", "HS2017", "5202", "include"): ("5202100000", "5204110000"),
    ("agricultural", "HS2017", "5203", "include"): ("5203000090", "5204110000"),
    ("agricultural", "HS2017", "5301", "include"): ("5301100000", "5303100000"),
    ("agricultural", "HS2017", "5302", "include"): ("5302100000", "5303100000"),
    # exclude rules: the inside line loses the category, its sibling keeps it
    ("agricultural", "HS2017", "0508", "exclude"): ("0508009010", "0507909090"),
    ("agricultural", "HS2017", "051191", "exclude"): ("0511919010", "0511991010"),
    ("agricultural", "HS2017", "150410", "exclude"): ("1504100010", "1504300010"),
    ("agricultural", "HS2017", "150420", "exclude"): ("1504200011", "1504300010"),
    ("agricultural", "HS2017", "1604", "exclude"): ("1604209910", "1603000090"),
    ("agricultural", "HS2017", "1605", "exclude"): ("1605610010", "1602410010"),
    ("agricultural", "HS2017", "230120", "exclude"): ("2301201000", "2301109000"),
    ("agricultural", "HS2022", "01", "include"): ("01012900", "02011000"),
    ("agricultural", "HS2022", "02", "include"): ("02011000", "03011100"),
    ("agricultural", "HS2022", "04", "include"): ("04011000", "03011100"),
    ("agricultural", "HS2022", "05", "include"): ("05010000", "06011010"),
    ("agricultural", "HS2022", "06", "include"): ("06011010", "07011000"),
    ("agricultural", "HS2022", "07", "include"): ("07011000", "08011100"),
    ("agricultural", "HS2022", "08", "include"): ("08011100", "09011100"),
    ("agricultural", "HS2022", "09", "include"): ("09011100", "08140000"),
    ("agricultural", "HS2022", "10", "include"): ("10011100", "11010000"),
    ("agricultural", "HS2022", "11", "include"): ("11010000", "12011000"),
    ("agricultural", "HS2022", "12", "include"): ("12011000", "13012000"),
    ("agricultural", "HS2022", "13", "include"): ("13012000", "14011000"),
    ("agricultural", "HS2022", "14", "include"): ("14011000", "15011000"),
    ("agricultural", "HS2022", "15", "include"): ("15011000", "16010010"),
    ("agricultural", "HS2022", "16", "include"): ("16010010", "17011200"),
    ("agricultural", "HS2022", "17", "include"): ("17011200", "18010000"),
    ("agricultural", "HS2022", "18", "include"): ("18010000", "19011010"),
    ("agricultural", "HS2022", "19", "include"): ("19011010", "20011000"),
    ("agricultural", "HS2022", "20", "include"): ("20011000", "21011100"),
    ("agricultural", "HS2022", "21", "include"): ("21011100", "22011010"),
    ("agricultural", "HS2022", "22", "include"): ("22011010", "23011011"),
    ("agricultural", "HS2022", "23", "include"): ("23011011", "24011010"),
    ("agricultural", "HS2022", "24", "include"): ("24011010", "25010011"),
    ("agricultural", "HS2022", "290543", "include"): ("29054300", "29054500"),
    ("agricultural", "HS2022", "290544", "include"): ("29054400", "29054500"),
    ("agricultural", "HS2022", "3301", "include"): ("33011200", "33021010"),
    ("agricultural", "HS2022", "3501", "include"): ("35011000", "35061000"),
    ("agricultural", "HS2022", "3502", "include"): ("35021100", "35061000"),
    ("agricultural", "HS2022", "3503", "include"): ("35030010", "35061000"),
    ("agricultural", "HS2022", "3504", "include"): ("35040010", "35061000"),
    ("agricultural", "HS2022", "3505", "include"): ("35051000", "35061000"),
    ("agricultural", "HS2022", "380910", "include"): ("38091000", "38099100"),
    ("agricultural", "HS2022", "382460", "include"): ("38246000", "38248100"),
    ("agricultural", "HS2022", "4101", "include"): ("41012011", "41041111"),
    ("agricultural", "HS2022", "4102", "include"): ("41021000", "41041111"),
    ("agricultural", "HS2022", "4103", "include"): ("41032000", "41041111"),
    ("agricultural", "HS2022", "4301", "include"): ("43011000", "43021100"),
    ("agricultural", "HS2022", "5001", "include"): ("50010010", "50072011"),
    ("agricultural", "HS2022", "5101", "include"): ("51011100", "51040090"),
    ("agricultural", "HS2022", "5102", "include"): ("51021100", "51040090"),
    ("agricultural", "HS2022", "5103", "include"): ("51031010", "51040090"),
    ("agricultural", "HS2022", "5201", "include"): ("52010000", "52041100"),
    ("agricultural", "HS2022", "5202", "include"): ("52021000", "52041100"),
    ("agricultural", "HS2022", "5203", "include"): ("52030000", "52041100"),
    ("agricultural", "HS2022", "5301", "include"): ("53011000", "53062000"),
    ("agricultural", "HS2022", "5302", "include"): ("53021000", "53062000"),
    ("agricultural", "HS2022", "0508", "exclude"): ("05080010", "05079090"),
    ("agricultural", "HS2022", "051191", "exclude"): ("05119119", "05119940"),
    ("agricultural", "HS2022", "150410", "exclude"): ("15041000", "15043000"),
    ("agricultural", "HS2022", "150420", "exclude"): ("15042000", "15043000"),
    ("agricultural", "HS2022", "1604", "exclude"): ("16041110", "16030000"),
    ("agricultural", "HS2022", "1605", "exclude"): ("16051000", "16010010"),
    ("agricultural", "HS2022", "230120", "exclude"): ("23012010", "23011090"),
    # fish and seafood: chapter 03 and the fish products carved out of agricultural
    ("fish_and_seafood", "HS2017", "03", "include"): ("0303120000", "0401100000"),
    ("fish_and_seafood", "HS2017", "0508", "include"): ("0508009010", "0507909090"),
    ("fish_and_seafood", "HS2017", "051191", "include"): ("0511919010", "0511991010"),
    ("fish_and_seafood", "HS2017", "150410", "include"): ("1504100010", "1504300010"),
    ("fish_and_seafood", "HS2017", "150420", "include"): ("1504200011", "1504300010"),
    ("fish_and_seafood", "HS2017", "1603", "include"): ("1603000010", "1602410010"),
    ("fish_and_seafood", "HS2017", "1604", "include"): ("1604209910", "1602410010"),
    ("fish_and_seafood", "HS2017", "1605", "include"): ("1605610010", "1602410010"),
    ("fish_and_seafood", "HS2017", "230120", "include"): ("2301201000", "2301109000"),
    ("fish_and_seafood", "HS2022", "03", "include"): ("03011100", "04011000"),
    ("fish_and_seafood", "HS2022", "0508", "include"): ("05080010", "05079090"),
    ("fish_and_seafood", "HS2022", "051191", "include"): ("05119119", "05119940"),
    ("fish_and_seafood", "HS2022", "150410", "include"): ("15041000", "15043000"),
    ("fish_and_seafood", "HS2022", "150420", "include"): ("15042000", "15043000"),
    ("fish_and_seafood", "HS2022", "1603", "include"): ("16030000", "16010010"),
    ("fish_and_seafood", "HS2022", "1604", "include"): ("16041110", "16010010"),
    ("fish_and_seafood", "HS2022", "1605", "include"): ("16051000", "16010010"),
    ("fish_and_seafood", "HS2022", "230120", "include"): ("23012010", "23011090"),
    # soybeans: yellow soybeans in, groundnuts (12.02) out
    ("soybeans", "HS2017", "1201", "include"): ("1201901000", "1202300000"),
    ("soybeans", "HS2022", "1201", "include"): ("12019011", "12023000"),
    # pharmaceuticals: chapter 30 in, fertilisers (chapter 31) out
    ("pharmaceuticals", "HS2017", "30", "include"): ("3004909010", "3101001100"),
    ("pharmaceuticals", "HS2022", "30", "include"): ("30033100", "31010019"),
    ("medical_diagnostic", "HS2017", "3822", "include"): ("3822009000", "3823110000"),
    ("medical_diagnostic", "HS2017", "300620", "include"): ("3006200000", "3006300000"),
    ("medical_diagnostic", "HS2017", "9018", "include"): ("9018390000", "9017800000"),
    ("medical_diagnostic", "HS2017", "9019", "include"): ("9019200000", "9023001000"),
    ("medical_diagnostic", "HS2017", "9020", "include"): ("9020000000", "9023001000"),
    ("medical_diagnostic", "HS2017", "9021", "include"): ("9021909010", "9023001000"),
    ("medical_diagnostic", "HS2017", "9022", "include"): ("9022120000", "9023001000"),
    ("medical_diagnostic", "HS2017", "902219", "exclude"): ("9022199010", "9022140090"),
    ("medical_diagnostic", "HS2017", "902229", "exclude"): ("9022299010", "9022210000"),
    ("medical_diagnostic", "HS2017", "9027", "include"): ("9027500000", "9028101000"),
    ("medical_diagnostic", "HS2017", "902710", "exclude"): ("9027100010", "9027201100"),
    ("medical_diagnostic", "HS2017", "90278091", "exclude"): ("9027809100", "9027809900"),
    ("medical_diagnostic", "HS2017", "90278011", "exclude"): ("9027801100", "9027801200"),
    ("medical_diagnostic", "HS2022", "3822", "include"): ("38221300", "38231100"),
    ("medical_diagnostic", "HS2022", "9018", "include"): ("90181100", "90230010"),
    ("medical_diagnostic", "HS2022", "9019", "include"): ("90191010", "90230010"),
    ("medical_diagnostic", "HS2022", "9020", "include"): ("90200000", "90230010"),
    ("medical_diagnostic", "HS2022", "9021", "include"): ("90211000", "90230010"),
    ("medical_diagnostic", "HS2022", "9022", "include"): ("90221200", "90230010"),
    ("medical_diagnostic", "HS2022", "902219", "exclude"): ("90221910", "90221400"),
    ("medical_diagnostic", "HS2022", "902229", "exclude"): ("90222990", "90222190"),
    ("medical_diagnostic", "HS2022", "9027", "include"): ("90272011", "90281010"),
    ("medical_diagnostic", "HS2022", "902710", "exclude"): ("90271000", "90272011"),
    ("medical_diagnostic", "HS2022", "90278910", "exclude"): ("90278910", "90278990"),
    ("semiconductors", "HS2017", "8486", "include"): ("8486204100", "8487100000"),
    ("semiconductors", "HS2017", "848630", "exclude"): ("8486309000", "8486401000"),
    ("semiconductors", "HS2017", "8541", "include"): ("8541210000", "8540999000"),
    ("semiconductors", "HS2017", "854160", "exclude"): ("8541600000", "8541900000"),
    ("semiconductors", "HS2017", "8542", "include"): ("8542319000", "8543100010"),
    ("semiconductors", "HS2022", "8541", "include"): ("85411000", "85431000"),
    ("semiconductors", "HS2022", "854160", "exclude"): ("85416000", "85419000"),
    # PV: solar cells in, the LED line beside them out
    ("renewable_energy", "HS2017", "85414020", "include"): ("8541402000", "8541401000"),
    ("renewable_energy", "HS2017", "850231", "include"): ("8502310000", "8502390090"),
    ("renewable_energy", "HS2017", "850760", "include"): ("8507600010", "8507803000"),
    ("renewable_energy", "HS2022", "850231", "include"): ("85023100", "85023900"),
    ("renewable_energy", "HS2022", "850760", "include"): ("85076000", "85078090"),
    ("renewable_energy", "HS2022", "854142", "include"): ("85414200", "85414100"),
    ("renewable_energy", "HS2022", "854143", "include"): ("85414300", "85414900"),
    # EVs: plug-in hybrids and battery-electric in, non-plug-in hybrids and other cars out
    ("electric_vehicles", "HS2017", "870240", "include"): ("8702401000", "8702901000"),
    ("electric_vehicles", "HS2017", "870360", "include"): ("8703600000", "8703404390"),
    ("electric_vehicles", "HS2017", "870370", "include"): ("8703700000", "8703509090"),
    ("electric_vehicles", "HS2017", "870380", "include"): ("8703800000", "8703900021"),
    ("electric_vehicles", "HS2022", "870240", "include"): ("87024010", "87029010"),
    ("electric_vehicles", "HS2022", "870360", "include"): ("87036011", "87034011"),
    ("electric_vehicles", "HS2022", "870370", "include"): ("87037011", "87039000"),
    ("electric_vehicles", "HS2022", "870380", "include"): ("87038000", "87039000"),
    ("electric_vehicles", "HS2022", "870460", "include"): ("87046000", "87049000"),
}

# HS2022 rules under which neither the 2025 ITA matrix nor any other bundled HS2022 schedule
# has a national line (the lines are untaxed, so absent from the matrix): the pair names
# HS2022 subheadings of the bundled nomenclature instead.
SUBHEADING_PAIRS: dict[tuple[str, str, str, str], tuple[str, str]] = {
    ("agricultural", "HS2022", "5002", "include"): ("500200", "500400"),
    ("agricultural", "HS2022", "5003", "include"): ("500300", "500400"),
    ("semiconductors", "HS2022", "8486", "include"): ("848620", "848710"),
    ("semiconductors", "HS2022", "848630", "exclude"): ("848630", "848640"),
    ("semiconductors", "HS2022", "8542", "include"): ("854231", "854310"),
}


def _csv_rules() -> list[dict[str, str]]:
    with open(CATEGORIES_CSV, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


RULES = _csv_rules()


def _key(rule: dict[str, str]) -> tuple[str, str, str, str]:
    return (rule["category"], rule["hs_revision"], rule["hs_prefix"], rule["match"])


def _rule_id(rule: dict[str, str]) -> str:
    return "-".join(_key(rule))


class Categorizer:
    """The two category models, rebuilt with the SQL runner for any set of rule rows."""

    def __init__(self, con, raw, models, rules_table: pa.Table) -> None:
        self.con, self.raw, self.models, self.all_rules = con, raw, models, rules_table

    def categories(self, rules: pa.Table, codes: list[str]) -> dict[str, set[str]]:
        write_parquet_atomic(rules, self.raw / "product_categories" / "part-0.parquet")
        for name in MODELS:
            body = self.models[name].sql.strip().rstrip(";")
            self.con.execute(f"create or replace table {name} as\n{body}")
        found: dict[str, set[str]] = {code: set() for code in codes}
        for code, category in self.con.execute(
            "select code, category from intermediate.int_hs_codes_categorized "
            "where list_contains(?, code)",
            [codes],
        ).fetchall():
            found[code].add(category)
        return found


@pytest.fixture(scope="module")
def national_lines() -> dict[str, dict[str, str]]:
    """Real national lines per HS revision, {code: description}, read by the real adapters."""
    piie_src = SourceFile.open(PIIE_XLSX, LANDING)
    _, piie_lines, _ = piie.load_tariff_schedule(piie_src, LOADED_AT)
    ita_lines = next(
        ds
        for ds in ita.load_retaliation_matrix(SourceFile.open(ITA_CSV, LANDING), LOADED_AT)
        if ds.name == "tariff_lines"
    )
    lines: dict[str, dict[str, str]] = {"HS2017": {}, "HS2022": {}}
    for ds in (piie_lines, ita_lines):
        for row in ds.to_arrow().to_pylist():
            lines[row["hs_revision"]][row["national_line_code"]] = row["description"]
    return lines


@pytest.fixture(scope="module")
def hs2022_subheadings() -> set[str]:
    path = LANDING / "harmonized_system" / "hs2022" / "harmonized-system.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        return {row["hscode"] for row in csv.DictReader(fh) if len(row["hscode"]) == 6}


@pytest.fixture(scope="module")
def categorizer(tmp_path_factory, national_lines) -> Categorizer:
    import duckdb

    categories_ds = product_categories.load_product_categories(
        SourceFile.open(CATEGORIES_CSV, REFERENCE), LOADED_AT
    )[0]
    assert categories_ds.quarantine == [], "the reference file must load without rejects"
    rules_table = categories_ds.to_arrow()
    assert rules_table.num_rows == len(RULES)

    tables = raw_tables()
    line_rows = [
        {
            **LINEAGE,
            "schedule_id": "piie_2019_06" if revision == "HS2017" else "ita_matrix_2025",
            "national_line_code": code,
            "reporter_iso3": "CHN",
            "hs_revision": revision,
            "description": description,
        }
        for revision, lines in national_lines.items()
        for code, description in lines.items()
    ]
    # the HS2022 subheadings that stand in where no national line exists (see SUBHEADING_PAIRS)
    line_rows += [
        {
            **LINEAGE,
            "schedule_id": "hs2022_subheadings",
            "national_line_code": code,
            "reporter_iso3": "CHN",
            "hs_revision": "HS2022",
            "description": "HS2022 subheading",
        }
        for pair in SUBHEADING_PAIRS.values()
        for code in pair
    ]
    tables["tariff_lines"] = pa.Table.from_pylist(line_rows, schema=piie.TARIFF_LINES_SCHEMA)
    tables["product_categories"] = rules_table
    raw = tmp_path_factory.mktemp("categories") / "raw"
    for name, table in tables.items():
        write_parquet_atomic(table, raw / name / "part-0.parquet")

    models = sql_runner.discover_models(PROJECT_ROOT / "sql")
    needed: set[str] = set()
    stack = list(MODELS)
    while stack:
        name = stack.pop()
        if name not in needed:
            needed.add(name)
            stack.extend(models[name].depends_on)
    con = duckdb.connect()
    sql_runner.set_variables(con, {"raw_root": str(raw), "reference_root": str(raw)})
    for schema in sql_runner.LAYERS:
        con.execute(f"create schema {schema}")
    for model in sql_runner.build_order(models):
        if model.relation in needed:
            con.execute(
                f"create or replace table {model.relation} as\n{model.sql.strip().rstrip(';')}"
            )
    yield Categorizer(con, raw, models, rules_table)
    con.close()


def _rows_for(categorizer: Categorizer, rule: dict[str, str]) -> pa.Table:
    """The rule alone; an exclude comes with the includes of its category that contain it."""
    keep = []
    for i, row in enumerate(categorizer.all_rules.to_pylist()):
        same = (row["category"], row["hs_revision"]) == (rule["category"], rule["hs_revision"])
        if _key(row) == _key(rule) or (
            rule["match"] == "exclude"
            and same
            and row["match"] == "include"
            and rule["hs_prefix"].startswith(row["hs_prefix"])
        ):
            keep.append(i)
    return categorizer.all_rules.take(keep)


def test_every_pair_names_a_rule_of_the_file():
    keys = {_key(rule) for rule in RULES}
    assert sorted(set(PAIRS) - keys) == [], "pairs declared for rules that are not in the CSV"
    assert sorted(set(SUBHEADING_PAIRS) - keys) == []
    assert set(PAIRS).isdisjoint(SUBHEADING_PAIRS)


@pytest.mark.parametrize("rule", RULES, ids=_rule_id)
def test_rule_puts_its_inside_line_in_and_the_line_beside_it_out(
    rule, categorizer, national_lines, hs2022_subheadings
):
    key = _key(rule)
    category, revision, prefix, match = key
    if key not in PAIRS and key not in SUBHEADING_PAIRS:
        pytest.fail(f"rule {key} has no inside/outside line declared in PAIRS")
    lines = national_lines[revision]
    if key in PAIRS:
        inside, outside = PAIRS[key]
        assert inside in lines, f"{inside} is not a {revision} national line"
        assert outside in lines, f"{outside} is not a {revision} national line"
    else:
        inside, outside = SUBHEADING_PAIRS[key]
        assert {inside, outside} <= hs2022_subheadings
        under = sorted(code for code in lines if code.startswith(prefix))
        assert under == [], f"{revision} has national lines under {prefix}: use one of {under}"
    assert inside.startswith(prefix)
    assert not outside.startswith(prefix)

    alone = categorizer.categories(_rows_for(categorizer, rule), [inside, outside])
    whole = categorizer.categories(categorizer.all_rules, [inside])
    if match == "include":
        assert category in alone[inside], f"{inside} ({lines.get(inside)}) not {category}"
        assert category not in alone[outside], f"{outside} ({lines.get(outside)}) is {category}"
        assert category in whole[inside]
    else:
        # the carve-out takes the category away from its line, not from the sibling line
        assert category not in alone[inside], f"{inside} ({lines.get(inside)}) is {category}"
        assert category in alone[outside], f"{outside} ({lines.get(outside)}) not {category}"
        assert category not in whole[inside]


def test_leds_and_other_photosensitive_devices_are_not_renewable_energy(
    categorizer, national_lines
):
    lines = national_lines["HS2017"]
    # the real descriptions the PV rule rests on
    assert lines["8541401000"].endswith("Light emitting diodes")
    assert lines["8541402000"].endswith("Solar cells")
    assert "Other photosensitive" in lines["8541409000"]
    codes = ["8541401000", "8541402000", "8541409000", "85414010", "85414020", "85414090"]
    found = categorizer.categories(categorizer.all_rules, codes)
    assert {c for c in codes if "renewable_energy" in found[c]} == {"8541402000", "85414020"}
    # LEDs stay semiconductor devices
    assert "semiconductors" in found["8541401000"] and "semiconductors" in found["85414010"]


def test_every_prefix_exists_at_its_own_level(national_lines, hs2022_subheadings):
    """2-6 digit prefixes are codes of the HS nomenclature of their revision; 8-digit prefixes
    are national lines of that revision."""
    nomenclature: dict[str, set[str]] = {}
    for revision in ("hs2017", "hs2022"):
        path = LANDING / "harmonized_system" / revision / "harmonized-system.csv"
        with open(path, encoding="utf-8", newline="") as fh:
            nomenclature[revision.upper()] = {row["hscode"] for row in csv.DictReader(fh)}
    missing = []
    for rule in RULES:
        prefix, revision = rule["hs_prefix"], rule["hs_revision"]
        if len(prefix) == 8:
            known = any(code.startswith(prefix) for code in national_lines[revision])
        else:
            known = prefix in nomenclature[revision]
        if not known:
            missing.append(_key(rule))
    assert missing == []
