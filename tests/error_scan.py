"""Find every error code Caveat's source raises, emits or compares, by reading its AST.

The error catalogue (``caveat.domain.error_catalogue``) is checked against what this
scanner finds in ``src/caveat``. A code is *raised* when a CaveatError subclass declares
it (``code = "..."``; a class without one raises the code it inherits, with its own kind)
or is built with it (``InvalidInput(..., code="...")``); *emitted* when the HTTP edge
writes it straight into a problem (``problem(415, "...", ...)``); *compared* when code
switches on it (``exc.code == "..."``); and *declared* when it is given as data to
something that is no error (``Refusal(code="...")``), to be raised later. A code given as
an expression the scanner cannot turn into strings is reported as *unresolved*, so that
nothing escapes the check silently.

What resolves: string literals; module-level string constants (``UPLOAD_NOT_FOUND``);
members of a StrEnum in the tree (``Code.NO_RULE.value``, ``ErrorCode.NOT_FOUND``); an
f-string over one parameter of the enclosing function, expanded from every call of that
function with a literal argument (``f"invalid_{field}"``); a name assigned from a literal
dict's ``.get`` with a literal default (the HTTP error handler's status table).
``code=exc.code`` passes on an error's own code and is no new code.
"""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from caveat.domain.errors import ErrorKind

SRC = Path(__file__).resolve().parents[1] / "src" / "caveat"
ROOT_ERROR = "CaveatError"
# What an error code looks like; other ``.code`` values (an export entry's "EAR99") differ.
_CODE = re.compile(r"[a-z][a-z0-9_]*")
Func = ast.FunctionDef | ast.AsyncFunctionDef
# Functions that write a problem+json body: (name, index of the status, index of the code).
PROBLEM_WRITERS = {"problem": (0, 1), "_send_problem": (2, 3)}


@dataclass(frozen=True, slots=True)
class Site:
    """One place a code appears."""

    code: str
    where: str  # path relative to src/, and line
    how: str  # "class", "raise", "emit", "compare" or "declare"
    error: str | None = None  # the CaveatError subclass, when known
    kind: ErrorKind | None = None  # that class's kind, when known
    status: int | None = None  # the HTTP status an emitting site gives
    holder: str | None = None  # what a declaring site's ``code=`` is given to


@dataclass(frozen=True, slots=True)
class Unresolved:
    """A code given as an expression the scanner cannot turn into strings."""

    expr: str
    where: str
    error: str | None = None
    kind: ErrorKind | None = None


@dataclass(slots=True)
class _Class:
    bases: list[str]
    kind: str | None = None
    node: ast.ClassDef | None = None
    module: str = ""


@dataclass(slots=True)
class Scan:
    """Everything found in a set of modules."""

    sites: list[Site] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)

    def codes(self, *hows: str) -> set[str]:
        return {s.code for s in self.sites if not hows or s.how in hows}


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _const_str(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


class Scanner:
    """Knows the error classes, enums and constants of ``src``; scans modules."""

    def __init__(self, src: Path = SRC) -> None:
        self.src = src
        self.modules: dict[str, ast.Module] = {
            str(path.relative_to(src.parent)): ast.parse(path.read_text(encoding="utf-8"))
            for path in sorted(src.rglob("*.py"))
        }
        self.classes: dict[str, _Class] = {}
        self.enums: dict[str, dict[str, str]] = {}  # StrEnum name -> member -> value
        self.functions: dict[str, list[Func]] = {}
        for module, tree in self.modules.items():
            self._index(module, tree)
        self.errors = self._error_classes()

    # --- the index -------------------------------------------------------------------

    def _index(self, module: str, tree: ast.Module) -> None:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases = [b for b in (_name(base) for base in node.bases) if b]
                info = _Class(bases, node=node, module=module)
                for stmt in node.body:
                    target, value = _assignment(stmt)
                    if target == "kind" and isinstance(value, ast.Attribute):
                        info.kind = value.attr
                self.classes.setdefault(node.name, info)
                if "StrEnum" in bases:
                    self.enums[node.name] = {
                        target: text
                        for target, value in map(_assignment, node.body)
                        if target and (text := _member_value(value)) is not None
                    }
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.functions.setdefault(node.name, []).append(node)

    def _error_classes(self) -> dict[str, ErrorKind]:
        """Every CaveatError subclass by name, with its (possibly inherited) kind."""
        kinds: dict[str, ErrorKind] = {}

        def resolve(name: str, seen: frozenset[str] = frozenset()) -> ErrorKind | None:
            if name in kinds:
                return kinds[name]
            info = self.classes.get(name)
            if info is None or name in seen:
                return None
            if name == ROOT_ERROR:
                kind: ErrorKind | None = ErrorKind[info.kind or "INTERNAL"]
            else:
                inherited = [resolve(b, seen | {name}) for b in info.bases]
                known = [k for k in inherited if k is not None]
                if not known:
                    return None
                kind = ErrorKind[info.kind] if info.kind else known[0]
            assert kind is not None
            kinds[name] = kind
            return kind

        for name in list(self.classes):
            resolve(name)
        return kinds

    # --- scanning --------------------------------------------------------------------

    def scan(self) -> Scan:
        """Scan every module of ``src``."""
        found = Scan()
        for module, tree in self.modules.items():
            self._scan(module, tree, found)
        return found

    def scan_source(self, text: str, name: str = "<planted>") -> Scan:
        """Scan one module given as text, with the error classes of ``src``."""
        tree = ast.parse(text)
        planted = copy.copy(self)
        planted.classes, planted.enums = dict(self.classes), dict(self.enums)
        planted.functions = dict(self.functions)
        planted._index(name, tree)
        planted.errors = planted._error_classes()
        found = Scan()
        planted._scan(name, tree, found)
        return found

    def _scan(self, module: str, tree: ast.Module, found: Scan) -> None:
        constants = {
            target: text
            for target, value in map(_assignment, tree.body)
            if target and (text := _const_str(value)) is not None
        }
        for node, klass, function in _walk(tree):
            where = f"{module}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.ClassDef) and node.name in self.errors:
                self._class_code(node, where, found)
            elif isinstance(node, ast.Call):
                self._call(node, klass, function, constants, where, found)
            elif isinstance(node, ast.Compare):
                self._compare(node, where, found)

    def _class_code(self, node: ast.ClassDef, where: str, found: Scan) -> None:
        kind = self.errors[node.name]
        if not any(_assignment(stmt)[0] == "code" for stmt in node.body):
            # Raised bare, the class gives the code it inherits, with its own kind.
            inherited = self._inherited_code(node.name)
            if inherited is not None:
                found.sites.append(Site(inherited, where, "class", node.name, kind))
            return
        for stmt in node.body:
            target, value = _assignment(stmt)
            if target != "code" or value is None:
                continue
            line = f"{where.rsplit(':', 1)[0]}:{stmt.lineno}"
            text = _const_str(value)
            if text is None and isinstance(value, ast.Attribute) and value.attr == "code":
                text = self._class_default(_name(value.value))
            if text is None:
                found.unresolved.append(Unresolved(ast.unparse(value), line, node.name, kind))
            else:
                found.sites.append(Site(text, line, "class", node.name, kind))

    def _inherited_code(self, name: str) -> str | None:
        for base in self.classes[name].bases:
            if base not in self.errors:
                continue
            code = self._class_default(base)
            return code if code is not None else self._inherited_code(base)
        return None

    def _class_default(self, name: str | None) -> str | None:
        info = self.classes.get(name or "")
        if info is None or info.node is None:
            return None
        for stmt in info.node.body:
            target, value = _assignment(stmt)
            if target == "code":
                return _const_str(value)
        return None

    def _call(
        self,
        node: ast.Call,
        klass: ast.ClassDef | None,
        function: Func | None,
        constants: dict[str, str],
        where: str,
        found: Scan,
    ) -> None:
        callee = _name(node.func)
        if (
            isinstance(node.func, ast.Attribute)
            and node.func.attr == "__init__"
            and isinstance(node.func.value, ast.Call)
            and _name(node.func.value.func) == "super"
            and klass is not None
        ):
            callee = klass.name
        if callee in PROBLEM_WRITERS:
            self._emit(node, PROBLEM_WRITERS[callee], function, where, found)
            return
        value = next((k.value for k in node.keywords if k.arg == "code"), None)
        if value is None:
            return
        error = callee if callee in self.errors else None
        kind = self.errors[error] if error else None
        if error is None:
            # A literal ``code=`` of something that is not an error declares a code held
            # as data (a lifecycle's refusal code) and raised elsewhere; other values
            # (a group code, a TOTP code in a variable) are no error codes.
            text = _const_str(value)
            if text is not None:
                found.sites.append(Site(text, where, "declare", holder=callee))
            return
        if isinstance(value, ast.Attribute) and value.attr == "code":
            return  # passes on an error's own code
        codes = self._strings(value, function, constants)
        if codes is None:
            found.unresolved.append(Unresolved(ast.unparse(value), where, error, kind))
            return
        found.sites.extend(Site(c, where, "raise", error, kind) for c in codes)

    def _emit(
        self,
        node: ast.Call,
        positions: tuple[int, int],
        function: Func | None,
        where: str,
        found: Scan,
    ) -> None:
        at_status, at_code = positions
        if len(node.args) <= at_code:
            found.unresolved.append(Unresolved(ast.unparse(node)[:120], where))
            return
        status_node, code_node = node.args[at_status], node.args[at_code]
        status = (
            status_node.value
            if isinstance(status_node, ast.Constant) and isinstance(status_node.value, int)
            else None
        )
        if isinstance(code_node, ast.Attribute) and code_node.attr == "code":
            return  # an error's own code, written out
        text = _const_str(code_node)
        if text is not None:
            found.sites.append(Site(text, where, "emit", status=status))
            return
        table = self._status_table(code_node, function)
        if table is None:
            found.unresolved.append(Unresolved(ast.unparse(code_node), where))
            return
        found.sites.extend(Site(c, where, "emit", status=s) for c, s in table)

    def _compare(self, node: ast.Compare, where: str, found: Scan) -> None:
        sides = [node.left, *node.comparators]
        if not any(isinstance(s, ast.Attribute) and s.attr == "code" for s in sides):
            return
        for side in sides:
            text = _const_str(side)
            if text is None and isinstance(side, ast.Attribute):
                text = self._enum_member(side)
            if text is not None and _CODE.fullmatch(text):
                found.sites.append(Site(text, where, "compare"))

    # --- turning expressions into strings --------------------------------------------

    def _strings(
        self, value: ast.expr, function: Func | None, constants: dict[str, str]
    ) -> list[str] | None:
        text = _const_str(value)
        if text is not None:
            return [text]
        if isinstance(value, ast.Name) and value.id in constants:
            return [constants[value.id]]
        if isinstance(value, ast.Attribute):
            member = self._enum_member(value)
            return None if member is None else [member]
        if isinstance(value, ast.JoinedStr) and function is not None:
            return self._expand(value, function)
        return None

    def _enum_member(self, value: ast.Attribute) -> str | None:
        """``Enum.MEMBER`` or ``Enum.MEMBER.value`` of a StrEnum in the tree."""
        if value.attr == "value" and isinstance(value.value, ast.Attribute):
            value = value.value
        owner = _name(value.value)
        members = self.enums.get(owner or "")
        return None if members is None else members.get(value.attr)

    def _expand(self, value: ast.JoinedStr, function: Func) -> list[str] | None:
        """``f"invalid_{field}"`` over a parameter: one code per literal argument given."""
        holes = [v for v in value.values if isinstance(v, ast.FormattedValue)]
        if len(holes) != 1 or not isinstance(holes[0].value, ast.Name):
            return None
        param = holes[0].value.id
        names = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
        keyword_only = [a.arg for a in function.args.kwonlyargs]
        if param not in names and param not in keyword_only:
            return None
        index = names.index(param) if param in names else None
        if index is not None and names and names[0] in ("self", "cls"):
            index -= 1
        arguments: list[str] = []
        for call in self._calls_of(function.name):
            given = next((k.value for k in call.keywords if k.arg == param), None)
            if given is None and index is not None and len(call.args) > index:
                given = call.args[index]
            text = _const_str(given)
            if text is None:
                return None
            arguments.append(text)
        if not arguments:
            return None
        return [
            "".join(
                text if isinstance(part, ast.FormattedValue) else str(_const_str(part))
                for part in value.values
            )
            for text in arguments
        ]

    def _calls_of(self, name: str) -> Iterator[ast.Call]:
        for tree in self.modules.values():
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and _name(node.func) == name:
                    yield node

    def _status_table(
        self, value: ast.expr, function: Func | None
    ) -> list[tuple[str, int | None]] | None:
        """``code = {404: "not_found", ...}.get(status, "http_error")``."""
        if not isinstance(value, ast.Name) or function is None:
            return None
        for node in ast.walk(function):
            target, assigned = _assignment(node)
            if target != value.id or not isinstance(assigned, ast.Call):
                continue
            getter = assigned.func
            if not (
                isinstance(getter, ast.Attribute)
                and getter.attr == "get"
                and isinstance(getter.value, ast.Dict)
                and len(assigned.args) == 2
            ):
                return None
            table: list[tuple[str, int | None]] = []
            for key, item in zip(getter.value.keys, getter.value.values, strict=True):
                text = _const_str(item)
                if not isinstance(key, ast.Constant) or not isinstance(key.value, int):
                    return None
                if text is None:
                    return None
                table.append((text, key.value))
            default = _const_str(assigned.args[1])
            if default is None:
                return None
            return [*table, (default, None)]
        return None


def _member_value(value: ast.expr | None) -> str | None:
    """A StrEnum member's string: ``"x"``, or the first of ``("x", kind, meaning)``."""
    if isinstance(value, ast.Tuple) and value.elts:
        return _const_str(value.elts[0])
    return _const_str(value)


def _assignment(stmt: ast.AST) -> tuple[str | None, ast.expr | None]:
    """``name = value`` or ``name: T = value``, as (name, value)."""
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target = stmt.targets[0]
        return (target.id if isinstance(target, ast.Name) else None), stmt.value
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return stmt.target.id, stmt.value
    return None, None


def _walk(
    tree: ast.AST,
    klass: ast.ClassDef | None = None,
    function: Func | None = None,
) -> Iterator[tuple[ast.AST, ast.ClassDef | None, Func | None]]:
    """Every node with its innermost enclosing class and function."""
    for child in ast.iter_child_nodes(tree):
        yield child, klass, function
        if isinstance(child, ast.ClassDef):
            yield from _walk(child, child, None)
        elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
            yield from _walk(child, klass, child)
        else:
            yield from _walk(child, klass, function)
