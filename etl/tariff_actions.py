"""China's tariff actions on US goods as reviewed data: one record per change of duties.

A tariff timeline is the fold of these actions over the MFN base. Each record (a YAML file under
`data/reference/tariff_actions/`, reviewed like code) names its dates, its scope (a measure of a
published dataset, an exclusion list, an explicit line list read from a landing file, a
derivation named in code, the lines of an earlier action, all US goods, or unknown lines), its
operation (add, set, scale, suspend, exclude) and the evidence behind its line list. The files
are validated strictly on load (etl.strict_yaml + the pydantic models below): an invalid file
stops the run with one line naming the file, the action and the rule. Code only folds them
(sql/intermediate/int_tariff_action_lines_resolved.sql).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import pyarrow as pa
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from etl.errors import EtlError
from etl.ingest.common import RawDataset, SourceFile, with_lineage
from etl.strict_yaml import (
    ConfigFileError,
    YamlNumber,
    config_error_from_validation,
    load_config_file,
)

ACTIONS_DATASET = "tariff_actions"
FIRST_DATE = date(2018, 1, 1)
LAST_DATE = date(2035, 12, 31)
MAX_FILE_BYTES = 512_000
DERIVATION_METHODS = ("sep2019_hs6_list_and_matrix_residual",)

ActionId = Annotated[str, Field(pattern=r"^CHN-\d{8}-[a-z0-9_]+(-\d{2})?$", max_length=64)]
Text = Annotated[str, Field(min_length=1, max_length=2000)]


def _number(value: Any) -> Any:
    # the strict loader keeps unquoted numbers as written; only plain decimals are numbers here,
    # and a whole number with a leading zero (034: octal 28 in YAML 1.1) is refused by to_int
    if isinstance(value, YamlNumber):
        return value.to_float() if "." in value.text else value.to_int()
    return value


Number = Annotated[float, BeforeValidator(_number)]


class TariffActionError(EtlError):
    """The tariff-action files contradict each other: the run stops before anything is built."""


class Scope(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    kind: Literal[
        "dataset_measure",
        "exclusion_list",
        "line_list",
        "derived",
        "action_lines",
        "all_us_goods",
        "unknown_lines",
    ]
    measure_id: ActionId | None = None
    list_ids: list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]] | None = None
    method: Literal[DERIVATION_METHODS] | None = None  # type: ignore[valid-type]
    action_id: ActionId | None = None

    @model_validator(mode="after")
    def _fields_match_kind(self) -> Scope:
        needs = {
            "dataset_measure": "measure_id",
            "exclusion_list": "measure_id",
            "line_list": "list_ids",
            "derived": "method",
            "action_lines": "action_id",
        }
        given = {
            name
            for name in ("measure_id", "list_ids", "method", "action_id")
            if getattr(self, name) is not None
        }
        wanted = {needs[self.kind]} if self.kind in needs else set()
        if given != wanted:
            need = f"needs {sorted(wanted)[0]}" if wanted else "takes no other key"
            extra = sorted(given - wanted)
            raise ValueError(
                f"scope kind {self.kind!r} {need}" + (f"; remove {extra}" if extra else "")
            )
        if self.list_ids is not None and not self.list_ids:
            raise ValueError("list_ids is empty")
        return self


class TariffAction(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    action_id: ActionId
    title: Text
    announcement: Text | None = None
    announced_date: date | None = None
    effective_date: date
    end_date: date | None = None
    ended_by: ActionId | None = None
    status: Literal["in_force", "never_in_force"] = "in_force"
    kind: Literal[
        "mfn_level",
        "mfn_change",
        "retaliation",
        "retaliation_change",
        "retaliation_state",
        "suspension",
        "exclusion",
    ]
    basis: Literal["s232", "s301", "ieepa"] | None = None
    operation: Literal["add", "set", "scale", "suspend", "exclude"]
    rate_pp: Annotated[Number, Field(ge=-1000, le=1000)] | None = None
    factor: Annotated[Number, Field(gt=0, le=10)] | None = None
    points: Annotated[Number, Field(gt=0, le=1000)] | None = None
    scope: Scope
    evidence: Literal["official_list", "published_dataset", "derived", "blanket"]
    method_note: Text | None = None
    completeness_note: Text | None = None
    source: Text

    @model_validator(mode="after")
    def _consistent(self) -> TariffAction:
        for name in ("announced_date", "effective_date", "end_date"):
            value = getattr(self, name)
            if value is not None and not FIRST_DATE <= value <= LAST_DATE:
                raise ValueError(f"{name} {value} outside {FIRST_DATE} .. {LAST_DATE}")
        if self.announced_date and self.announced_date > self.effective_date:
            raise ValueError(
                f"announced_date {self.announced_date} is after effective_date "
                f"{self.effective_date}"
            )
        if self.end_date is not None and self.end_date <= self.effective_date:
            raise ValueError(
                f"end_date {self.end_date} is not after effective_date {self.effective_date}"
            )
        if self.end_date is not None and self.ended_by is not None:
            raise ValueError("give end_date or ended_by, not both")
        op, scope = self.operation, self.scope.kind
        if op == "scale" and (self.factor is None or scope != "action_lines"):
            raise ValueError("operation scale needs factor and scope kind action_lines")
        if op != "scale" and self.factor is not None:
            raise ValueError(f"factor is only for operation scale, not {op}")
        if self.points is not None and op != "suspend":
            raise ValueError(f"points is only for operation suspend, not {op}")
        if op == "suspend" and scope not in ("action_lines", "dataset_measure"):
            raise ValueError("operation suspend needs scope kind action_lines or dataset_measure")
        if op == "exclude" and scope != "exclusion_list":
            raise ValueError("operation exclude needs scope kind exclusion_list")
        if (scope == "all_us_goods") != (self.rate_pp is not None):
            raise ValueError("rate_pp is given exactly for scope kind all_us_goods")
        if scope == "derived" and self.evidence != "derived":
            raise ValueError("a derived scope needs evidence: derived")
        if self.evidence == "derived" and not self.method_note:
            raise ValueError("evidence derived needs method_note naming the method")
        if scope == "unknown_lines" and not self.completeness_note:
            raise ValueError("scope unknown_lines needs completeness_note saying what is missing")
        if scope == "all_us_goods" and self.evidence != "blanket":
            raise ValueError("scope all_us_goods needs evidence: blanket")
        return self


class ActionFile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    actions: Annotated[list[TariffAction], Field(min_length=1, max_length=500)]


def _config_error(path: Path, exc: ValidationError, document: Any) -> ConfigFileError:
    error = config_error_from_validation(exc, path, "tariff-action", ActionFile)
    loc = exc.errors(include_url=False)[0]["loc"]
    # name the action by its id rather than its position in the list where we can
    if len(loc) >= 2 and loc[0] == "actions" and isinstance(loc[1], int):
        try:
            action_id = document["actions"][loc[1]]["action_id"]
        except (KeyError, IndexError, TypeError):
            return error
        where = ".".join([f"actions[{action_id}]", *(str(p) for p in loc[2:])])
        return ConfigFileError("tariff-action", path.name, where, error.rule)
    return error


def load_action_file(path: Path) -> list[TariffAction]:
    document = load_config_file(path, kind="tariff-action", max_bytes=MAX_FILE_BYTES)
    try:
        return ActionFile.model_validate(document).actions
    except ValidationError as exc:
        raise _config_error(path, exc, document) from None


def action_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))


def load_actions(folder: Path) -> dict[str, tuple[TariffAction, str]]:
    """Every action of every file, checked against each other; {action_id: (action, file)}."""
    files = action_files(folder)
    if not files:
        raise TariffActionError(f"no tariff-action files (*.yaml) in {folder}")
    actions: dict[str, tuple[TariffAction, str]] = {}
    for path in files:
        for action in load_action_file(path):
            if action.action_id in actions:
                other = actions[action.action_id][1]
                raise TariffActionError(
                    f"tariff-action file {path.name}: actions[{action.action_id}]: the id is "
                    f"also used in {other}"
                )
            actions[action.action_id] = (action, path.name)
    _check_references(actions)
    return actions


def _check_references(actions: dict[str, tuple[TariffAction, str]]) -> None:
    for action, file in actions.values():
        where = f"tariff-action file {file}: actions[{action.action_id}]"
        for key, target_id in (("ended_by", action.ended_by), ("scope", action.scope.action_id)):
            if target_id is None:
                continue
            if target_id not in actions:
                raise TariffActionError(f"{where}.{key}: names unknown action {target_id}")
            target = actions[target_id][0]
            if target_id == action.action_id:
                raise TariffActionError(f"{where}.{key}: names the action itself")
            if key == "ended_by" and target.effective_date <= action.effective_date:
                raise TariffActionError(
                    f"{where}.ended_by: {target_id} takes effect on {target.effective_date}, "
                    f"not after this action ({action.effective_date})"
                )
            if key == "scope" and target.scope.kind in ("action_lines", "unknown_lines"):
                raise TariffActionError(
                    f"{where}.scope: {target_id} has scope {target.scope.kind}; an action can "
                    "only take the lines of an action with its own line list"
                )
            if key == "scope" and target.effective_date > action.effective_date:
                raise TariffActionError(
                    f"{where}.scope: {target_id} takes effect after this action"
                )


def end_date_of(action: TariffAction, actions: dict[str, tuple[TariffAction, str]]) -> date | None:
    if action.ended_by is not None:
        return actions[action.ended_by][0].effective_date
    return action.end_date


ACTIONS_SCHEMA = with_lineage(
    ("action_id", pa.string()),
    ("title", pa.string()),
    ("announcement", pa.string()),
    ("announced_date", pa.date32()),
    ("effective_date", pa.date32()),
    ("end_date", pa.date32()),
    ("ended_by", pa.string()),
    ("status", pa.string()),
    ("kind", pa.string()),
    ("basis", pa.string()),
    ("operation", pa.string()),
    ("rate_pp", pa.float64()),
    ("factor", pa.float64()),
    ("points", pa.float64()),
    ("scope_kind", pa.string()),
    ("scope_measure_id", pa.string()),
    ("scope_list_ids", pa.list_(pa.string())),
    ("scope_method", pa.string()),
    ("scope_action_id", pa.string()),
    ("evidence", pa.string()),
    ("method_note", pa.string()),
    ("completeness_note", pa.string()),
    ("source", pa.string()),
)


def action_datasets(
    folder: Path, root: Path, loaded_at: datetime | None = None
) -> list[RawDataset]:
    """The actions as one raw dataset (data, never SQL text)."""
    loaded_at = loaded_at or datetime.now(UTC)
    actions = load_actions(folder)
    out = RawDataset(ACTIONS_DATASET, ACTIONS_SCHEMA)
    sources: dict[str, SourceFile] = {}
    for row_number, (action, file) in enumerate(actions.values(), start=1):
        if file not in sources:
            sources[file] = SourceFile.open(folder / file, root)
            out.sources.append(sources[file])
        out.rows_read += 1
        out.add(
            sources[file],
            None,
            row_number,
            {
                "action_id": action.action_id,
                "title": action.title,
                "announcement": action.announcement,
                "announced_date": action.announced_date,
                "effective_date": action.effective_date,
                "end_date": end_date_of(action, actions),
                "ended_by": action.ended_by,
                "status": action.status,
                "kind": action.kind,
                "basis": action.basis,
                "operation": action.operation,
                "rate_pp": action.rate_pp,
                "factor": action.factor,
                "points": action.points,
                "scope_kind": action.scope.kind,
                "scope_measure_id": action.scope.measure_id,
                "scope_list_ids": action.scope.list_ids,
                "scope_method": action.scope.method,
                "scope_action_id": action.scope.action_id,
                "evidence": action.evidence,
                "method_note": action.method_note,
                "completeness_note": action.completeness_note,
                "source": action.source,
            },
            loaded_at,
        )
    return [out]
