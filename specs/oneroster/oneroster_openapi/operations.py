"""The OneRoster REST operations, read from the table in operations.txt.

One row per operation, shared by 1.1 and 1.2 where they agree, so that a difference
between the versions is a visible difference in one column. Path parameters use the
1.2 names in both versions; 1.1 names them differently ({id}, {school_id}), which
changes nothing on the wire.
"""

from dataclasses import dataclass
from pathlib import Path

TABLE = Path(__file__).with_name("operations.txt")


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    service: str
    versions: tuple[str, ...]
    entity: str
    scope_group: str
    summary: str

    @property
    def kind(self) -> str:
        """list, read, put, delete or post: decides parameters, body and responses."""
        if self.method == "get":
            return "read" if self.path.endswith("}") else "list"
        return self.method


class OperationTableError(ValueError):
    """A row of operations.txt the generator cannot read; names the line."""


def _parse_row(table: Path, service: str, line_number: int, line: str) -> Operation:
    head, separator, summary = line.partition("|")
    columns = head.split()
    if not separator or len(columns) != 6 or not summary.strip():
        raise OperationTableError(f"{table.name} line {line_number}: cannot read {line!r}")
    operation_id, method, path, versions, entity, scope_group = columns
    return Operation(
        operation_id,
        method.lower(),
        path,
        service,
        tuple(versions.split(",")),
        entity,
        scope_group,
        summary.strip(),
    )


def load_operations(table: Path = TABLE) -> tuple[Operation, ...]:
    operations = []
    service = ""
    for line_number, raw in enumerate(table.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            service = line[1:-1]
            continue
        if not service:
            raise OperationTableError(f"{table.name} line {line_number}: row before a [service]")
        operations.append(_parse_row(table, service, line_number, line))
    return tuple(operations)
