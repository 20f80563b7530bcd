"""Small computed values in mappings (`int(YearID) + 1991`), evaluated by simpleeval, never eval.

An expression sees each column whose name is a Python identifier as a variable, every column as
`row["Column Name"]`, and the mapping's variables as `vars["name"]`. Only the functions listed
in FUNCTIONS can be called (plus string methods such as `.split`). Expressions are checked when
the mapping loads, so a typo is reported at its YAML line rather than on row 40,000.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from simpleeval import EvalWithCompoundTypes, InvalidExpression

FUNCTIONS: dict[str, Any] = {
    "int": int,
    "float": float,
    "str": str,
    "len": len,
    "abs": abs,
    "min": min,
    "max": max,
    "round": round,
    "bool": bool,
}
_RESERVED = frozenset({"row", "vars", "True", "False", "None"})
_FORBIDDEN = (ast.Lambda, ast.NamedExpr, ast.Await, ast.Yield, ast.YieldFrom, ast.Starred)


class ExpressionError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Expression:
    text: str
    columns: frozenset[str]
    tree: ast.AST

    def evaluate(self, row: Mapping[str, Any], variables: Mapping[str, Any]) -> Any:
        """The value for one row; raises ExpressionError with a readable reason."""
        names: dict[str, Any] = {c: row.get(c, "") for c in self.columns if c.isidentifier()}
        names["row"] = row
        names["vars"] = variables
        evaluator = EvalWithCompoundTypes(functions=dict(FUNCTIONS), names=names)
        try:
            return evaluator.eval(self.text, previously_parsed=self.tree)
        except InvalidExpression as exc:
            raise ExpressionError(str(exc)) from None
        except (ArithmeticError, LookupError, TypeError, ValueError, AttributeError) as exc:
            raise ExpressionError(f"{type(exc).__name__}: {exc}") from None


def compile_expression(text: str, variables: Mapping[str, Any]) -> Expression:
    """Parse and vet `text`; the columns it reads are found so their presence can be checked."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"expression {text!r} is not valid: {exc.msg}") from None
    bound = {
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    columns: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, _FORBIDDEN):
            raise ExpressionError(f"expression {text!r} uses {type(node).__name__}, not allowed")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id not in FUNCTIONS:
                known = ", ".join(FUNCTIONS)
                raise ExpressionError(
                    f"expression {text!r} calls unknown function {node.func.id!r}; known: {known}"
                )
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            raise ExpressionError(f"expression {text!r} reads {node.attr!r}, not allowed")
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                if node.value.id == "row":
                    columns.add(key.value)
                elif node.value.id == "vars" and key.value not in variables:
                    raise ExpressionError(
                        f"expression {text!r} uses unknown variable {key.value!r}; "
                        f"known: {', '.join(sorted(variables)) or 'none'}"
                    )
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            if node.id in _RESERVED or node.id in bound:
                continue
            if node.id in FUNCTIONS and _is_called(tree, node):
                continue
            columns.add(node.id)
    # simpleeval evaluates the statement form of the tree; parse it once here, not per row.
    return Expression(text.strip(), frozenset(columns), ast.parse(text.strip()).body[0])


def _is_called(tree: ast.AST, name: ast.Name) -> bool:
    return any(isinstance(n, ast.Call) and n.func is name for n in ast.walk(tree))
