"""Chapter parameters: read from the notebook's ``parameters`` cell, typed from user input.

The cell holds literals only, one per line, each with a type annotation and a ``# help`` comment; a help comment
ending in ``one of: a, b, c`` lists the allowed values, one of a number ending in ``range: LOW..HIGH`` its bounds. papermill's own inspection is a line pattern: it drops
``Literal[...]``, skips lines whose help comment contains ``=``, and checks nothing, so the cell is read here with
:mod:`ast` (names, types, literal defaults) and :mod:`tokenize` (help comments).

User values arrive as text (YAML file, ``-p name=value``) or as Python values (command-line flags). Text is
converted by the declared type and never guessed: YAML is loaded with ``yaml.BaseLoader``, which resolves no
implicit types, so ``client: 007`` stays ``"007"`` and ``yes`` is not a boolean.
"""

from __future__ import annotations

import ast
import difflib
import io
import json
import math
import os
import re
import tokenize
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import yaml

from socialops.inputs.window import parse_as_of

__all__ = [
    "Parameter",
    "ParameterError",
    "documented_range",
    "format_parameters",
    "read_parameters",
    "resolve",
    "resolve_for_chapters",
]

# Declared annotation -> type name. list holds text, dict maps text to a number.
_TYPES = {
    "str": "str",
    "int": "int",
    "float": "float",
    "bool": "bool",
    "list": "list",
    "list[str]": "list",
    "dict": "dict",
    "dict[str, float]": "dict",
}
_TYPE_LABEL = {"list": "list[str]", "dict": "dict[str, float]"}
_CHOICES = re.compile(r"\bone of:\s*(?P<values>[^:]+?)\s*$", re.IGNORECASE)
#: A numeric parameter's documented bounds, inclusive: its help comment ends with ``range: LOW..HIGH``.
_RANGE = re.compile(r"\brange:\s*(?P<low>\S+?)\s*\.\.\s*(?P<high>\S+?)\s*$", re.IGNORECASE)
_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_BOOL = {"true": True, "1": True, "false": False, "0": False}
#: Parameters whose text has a form of its own, checked after the type: name -> a reader that raises ValueError.
_FORMS = {"as_of": parse_as_of}


class ParameterError(ValueError):
    """Invalid parameters: the problems found, then the list of valid parameters.

    Attributes
    ----------
    problems : list of str
        One line per problem, each naming the parameter.
    valid : str
        The table of valid parameters (:func:`format_parameters`) shown after the problems.
    """

    def __init__(self, problems: Iterable[str], valid: str = ""):
        self.problems = list(problems)
        text = "\n".join(f"- {p}" for p in self.problems)
        if valid:
            text += "\n\nValid parameters:\n" + valid
        super().__init__(text)


@dataclass(frozen=True)
class Parameter:
    """One declared parameter of a chapter notebook.

    Attributes
    ----------
    name : str
        The variable name.
    type_name : str
        One of ``str``, ``int``, ``float``, ``bool``, ``list`` (of text), ``dict`` (text to number).
    default : Any
        The literal default, of the declared type.
    help : str
        The help comment, as written.
    choices : tuple or None
        The allowed values (of the declared type; for a list, allowed elements), or None if any value goes.
    """

    name: str
    type_name: str
    default: Any
    help: str
    choices: tuple | None = None


# ---------------------------------------------------------------------------------------------------------------
# Conversion of one value by its declared type


def _text_scalar(text: str, type_name: str) -> Any:
    """Text to a scalar of the declared type; ValueError with the reason otherwise."""
    s = text.strip()
    if type_name == "str":
        return s
    if type_name == "int":
        if not _INT.fullmatch(s):
            raise ValueError(f"expected an integer, got {text!r}")
        return int(s, 10)  # decimal even with leading zeros ("0123" is 123, never octal)
    if type_name == "float":
        if not _FLOAT.fullmatch(s):
            raise ValueError(f"expected a number, got {text!r}")
        return float(s)
    if type_name == "bool":
        if s.lower() not in _BOOL:
            raise ValueError(f"expected true, false, 1 or 0, got {text!r}")
        return _BOOL[s.lower()]
    raise AssertionError(type_name)


def _python_scalar(value: Any, type_name: str) -> Any:
    """A Python value (a default, a flag) checked against a scalar type; bools are not numbers here."""
    if isinstance(value, str):
        return _text_scalar(value, type_name)
    if type_name == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if type_name == "float" and isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise ValueError(f"expected a finite number, got {value!r}")
        return float(value)
    if type_name == "bool" and isinstance(value, bool):
        return value
    raise ValueError(f"expected {type_name}, got {type(value).__name__} {value!r}")


def _flow(text: str) -> Any:
    """A YAML/JSON flow collection (``[a, b]`` or ``{a: 1}``) read without implicit types."""
    try:
        return yaml.load(text, Loader=yaml.BaseLoader)
    except yaml.YAMLError as exc:
        reason = str(exc).splitlines()[0]
        raise ValueError(f"cannot read {text!r} as a flow collection: {reason}") from None


def _to_list(value: Any) -> list[str]:
    if isinstance(value, str):
        s = value.strip()
        if s.startswith("["):
            value = _flow(s)
        else:
            return [part.strip() for part in s.split(",") if part.strip()]
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"expected a list of text, got {type(value).__name__} {value!r}")
    if not all(isinstance(v, str) for v in value):
        raise ValueError(f"expected a list of text, got {value!r}")
    return [v.strip() for v in value]


def _pairs(text: str) -> dict[str, str]:
    """``k=v,k2=v2`` as a mapping of text to text."""
    pairs = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, number = part.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"expected key=value pairs separated by commas, got {text!r}")
        pairs[key.strip()] = number
    return pairs


def _to_dict(value: Any) -> dict[str, float]:
    if isinstance(value, str):
        s = value.strip()
        value = _flow(s) if s.startswith("{") else _pairs(value)
    if not isinstance(value, Mapping):
        raise ValueError(f"expected a mapping of text to numbers, got {type(value).__name__} {value!r}")
    out = {}
    for key, number in value.items():
        if not isinstance(key, str):
            raise ValueError(f"expected text keys, got {key!r}")
        try:
            out[key.strip()] = _python_scalar(number, "float")
        except ValueError as exc:
            raise ValueError(f"key {key!r}: {exc}") from None
    return out


def _convert(value: Any, type_name: str) -> Any:
    if type_name == "list":
        return _to_list(value)
    if type_name == "dict":
        return _to_dict(value)
    if isinstance(value, (list, tuple, Mapping)):
        raise ValueError(f"expected {type_name}, got a {type(value).__name__}")
    return _python_scalar(value, type_name)


def _check_choices(param: Parameter, value: Any) -> None:
    if param.choices is None:
        return
    items = value if param.type_name == "list" else [value]
    bad = [v for v in items if v not in param.choices]
    if bad:
        allowed = ", ".join(map(str, param.choices))
        raise ValueError(f"{', '.join(map(repr, bad))} is not one of the allowed values ({allowed})")


def documented_range(param: Parameter) -> tuple[Any, Any] | None:
    """The inclusive bounds a numeric parameter's help comment documents (``range: LOW..HIGH``), or None.

    Parameters
    ----------
    param : Parameter
        A declared parameter.

    Returns
    -------
    tuple or None
        ``(low, high)`` of the parameter's type; None for a parameter that is not a number or has no range.
    """
    match = _RANGE.search(param.help) if param.type_name in ("int", "float") else None
    if match is None:
        return None
    return tuple(_text_scalar(match[end], param.type_name) for end in ("low", "high"))


def _check_range(param: Parameter, value: Any) -> None:
    bounds = documented_range(param)
    if bounds is None:
        return
    low, high = bounds
    if not low <= value <= high:
        raise ValueError(f"{value!r} is outside the documented range {low}..{high}")


def _typed(param: Parameter, value: Any) -> Any:
    """``value`` converted to ``param``'s type and checked against its allowed values and range."""
    typed = _convert(value, param.type_name)
    _check_choices(param, typed)
    _check_range(param, typed)
    if param.name in _FORMS:
        _FORMS[param.name](typed)
    return typed


# ---------------------------------------------------------------------------------------------------------------
# Reading the parameters cell


def _parameters_cell(notebook_path: Path) -> str:
    nb = nbformat.read(notebook_path, as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ParameterError(
            [f"{notebook_path.name}: expected one cell tagged 'parameters', found {len(cells)}"]
        )
    if cells[0].cell_type != "code":
        raise ParameterError([f"{notebook_path.name}: the cell tagged 'parameters' is not a code cell"])
    return cells[0].source


def _comments(source: str) -> dict[int, str]:
    """Line number -> text of the comment on that line (without the ``#``)."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return {t.start[0]: t.string.lstrip("#").strip() for t in tokens if t.type == tokenize.COMMENT}


def _declared_type(node: ast.stmt, where: str) -> tuple[str, str]:
    """The name and type name of a ``name: type = literal`` statement."""
    if not isinstance(node, ast.AnnAssign) or not isinstance(node.target, ast.Name) or node.value is None:
        raise ValueError(f"{where}: expected `name: type = literal`, got `{ast.unparse(node)}`")
    name = node.target.id
    annotation = ast.unparse(node.annotation)
    if annotation not in _TYPES:
        raise ValueError(f"{where}: {name}: unsupported type {annotation!r} (use one of: {', '.join(_TYPES)})")
    return name, _TYPES[annotation]


def _literal(node: ast.AnnAssign, type_name: str, where: str) -> Any:
    """The default as written: a literal, and text only where the type is text."""
    name = node.target.id
    try:
        literal = ast.literal_eval(node.value)
    except (ValueError, TypeError, SyntaxError, RecursionError):
        raise ValueError(
            f"{where}: {name}: the default must be a literal, not derived (`{ast.unparse(node.value)}`)"
        ) from None
    if type_name != "str" and isinstance(literal, str):
        annotation = ast.unparse(node.annotation)
        raise ValueError(f"{where}: {name}: the default of a {annotation} must not be text ({literal!r})")
    return literal


def _help(node: ast.stmt, comments: dict[int, str], where: str) -> str:
    """The help comment: the last comment on the statement's lines."""
    help_text = next((comments[n] for n in range(node.end_lineno, node.lineno - 1, -1) if n in comments), "")
    if not help_text:
        raise ValueError(f"{where}: {node.target.id}: missing the `# help` comment")
    return help_text


def _choices(help_text: str, type_name: str, where: str) -> tuple | None:
    """The allowed values a help comment ends with (``one of: a, b``), or None."""
    match = _CHOICES.search(help_text)
    if not match:
        return None
    if type_name == "dict":
        raise ValueError(f"{where}: allowed values are not supported for a dict")
    element_type = "str" if type_name == "list" else type_name
    return tuple(_text_scalar(v, element_type) for v in match["values"].split(",") if v.strip())


def _parameter(node: ast.stmt, comments: dict[int, str], where: str) -> Parameter:
    name, type_name = _declared_type(node, where)
    literal = _literal(node, type_name, where)
    help_text = _help(node, comments, where)
    choices = _choices(help_text, type_name, f"{where}: {name}")
    param = Parameter(name, type_name, None, help_text, choices)
    try:
        default = _typed(param, literal)
    except ValueError as exc:
        raise ValueError(f"{where}: {name}: bad default: {exc}") from None
    return Parameter(name, type_name, default, help_text, choices)


def read_parameters(notebook_path: str | os.PathLike) -> dict[str, Parameter]:
    """Read the declared parameters of a notebook.

    Parameters
    ----------
    notebook_path : str or os.PathLike
        The ``.ipynb`` file. It must have exactly one code cell tagged ``parameters`` in which each statement is
        ``name: type = literal  # help``, with type one of ``str``, ``int``, ``float``, ``bool``, ``list`` (or
        ``list[str]``), ``dict`` (or ``dict[str, float]``).

    Returns
    -------
    dict[str, Parameter]
        The parameters in the order of the cell.

    Raises
    ------
    ParameterError
        If the cell is missing or any line breaks the rules (a derived default, a missing help comment, an
        unsupported type, a default of the wrong type or outside its allowed values); all problems are listed.
    """
    path = Path(notebook_path)
    source = _parameters_cell(path)
    try:
        tree = ast.parse(source)
        comments = _comments(source)
    except (SyntaxError, tokenize.TokenError) as exc:
        raise ParameterError([f"{path.name}: the parameters cell is not valid Python: {exc}"]) from None
    declared: dict[str, Parameter] = {}
    problems = []
    for node in tree.body:
        try:
            param = _parameter(node, comments, f"{path.name} line {node.lineno}")
        except ValueError as exc:
            problems.append(str(exc))
            continue
        if param.name in declared:
            problems.append(f"{path.name} line {node.lineno}: {param.name}: declared twice")
        declared[param.name] = param
    if problems:
        raise ParameterError(problems)
    return declared


# ---------------------------------------------------------------------------------------------------------------
# Resolving user values


def _read_params_file(params_file: str | os.PathLike) -> dict[str, Any]:
    try:
        text = Path(params_file).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ValueError(f"cannot read the parameters file {params_file}: {exc.strerror}") from None
    try:
        data = yaml.load(text, Loader=yaml.BaseLoader)
    except yaml.YAMLError as exc:
        raise ValueError(f"the parameters file {params_file} is not valid YAML: {exc}") from None
    if data is None or data == "":
        return {}
    if not isinstance(data, dict):
        raise ValueError(f"the parameters file {params_file} must be a mapping of name: value")
    return data


def _override(item: str) -> tuple[str, str]:
    name, sep, value = item.partition("=")
    if not sep or not name.strip():
        raise ValueError(f"-p {item!r}: expected name=value")
    return name.strip(), value


def _unknown(name: str, known: Iterable[str], source: str) -> str:
    hint = difflib.get_close_matches(name, list(known), n=1)
    suggestion = f" (did you mean {hint[0]}?)" if hint else ""
    return f"{name}: unknown parameter in {source}{suggestion}"


def _sources(
    params_file: str | os.PathLike | None, overrides: Iterable[str], flags: Mapping[str, Any] | None
) -> tuple[list[tuple[str, Any, str]], list[str]]:
    """User values as (name, value, where it came from), in the order they apply, and the problems met."""
    items: list[tuple[str, Any, str]] = []
    problems: list[str] = []
    if params_file is not None:
        try:
            items += [(n, v, Path(params_file).name) for n, v in _read_params_file(params_file).items()]
        except ValueError as exc:
            problems.append(str(exc))
    for item in overrides:
        try:
            name, value = _override(item)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        items.append((name, value, "-p"))
    items += [(n, v, f"--{n.replace('_', '-')}") for n, v in (flags or {}).items() if v is not None]
    return items, problems


def _apply(declared: Mapping[str, Parameter], items: list[tuple[str, Any, str]]) -> tuple[dict, list[str]]:
    """Defaults replaced by each known item in turn; problems of unknown names left to the caller."""
    values = {name: p.default for name, p in declared.items()}
    problems = []
    for name, value, source in items:
        if name not in declared:
            continue
        try:
            values[name] = _typed(declared[name], value)
        except ValueError as exc:
            problems.append(f"{name}: {exc} (from {source}; declared {_label(declared[name])})")
    return values, problems


def _unknown_names(known: Iterable[str], items: list[tuple[str, Any, str]]) -> list[str]:
    known = list(known)
    return list(dict.fromkeys(_unknown(n, known, src) for n, _, src in items if n not in known))


def resolve(
    declared: Mapping[str, Parameter],
    *,
    params_file: str | os.PathLike | None = None,
    overrides: Iterable[str] = (),
    flags: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The typed parameter values of one run.

    Parameters
    ----------
    declared : Mapping[str, Parameter]
        The notebook's parameters (:func:`read_parameters`).
    params_file : str or os.PathLike, optional
        A YAML mapping of name: value. Scalars are read as text and converted by the declared type.
    overrides : iterable of str, optional
        ``name=value`` strings (``-p``), applied in order.
    flags : Mapping[str, Any], optional
        Explicit options (``--lang`` ...) as name to value; None means not given.

    Returns
    -------
    dict[str, Any]
        Every declared parameter, in declaration order: the default, replaced by the file, then by the
        overrides, then by the flags (the later wins).

    Raises
    ------
    ParameterError
        On an unknown name, a value that does not convert to the declared type, or a value outside the allowed
        set. All problems are listed, followed by the valid parameters with type, default and allowed values.

    Notes
    -----
    Text converts as follows. str: as given (trimmed). int: decimal digits with an optional sign. float: a
    decimal or scientific number. bool: true, false, 1 or 0 (any case). list: ``a,b`` or a flow list
    ``[a, b]``. dict: ``k=v,k2=v2`` or a flow mapping ``{k: v}``, values numbers.
    """
    items, problems = _sources(params_file, overrides, flags)
    problems += _unknown_names(declared, items)
    values, type_problems = _apply(declared, items)
    problems += type_problems
    if problems:
        raise ParameterError(problems, format_parameters(declared))
    return values


def resolve_for_chapters(
    declared: Mapping[str, Mapping[str, Parameter]],
    *,
    params_file: str | os.PathLike | None = None,
    overrides: Iterable[str] = (),
    flags: Mapping[str, Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """The typed parameter values of several chapters run together.

    Parameters
    ----------
    declared : Mapping[str, Mapping[str, Parameter]]
        Chapter id to its parameters.
    params_file, overrides, flags
        As for :func:`resolve`. Each value goes to the chapters that declare its name (``churn_days`` to the
        chapters that have it); a name no chapter declares is an error.

    Returns
    -------
    dict[str, dict[str, Any]]
        Chapter id to its values.

    Raises
    ------
    ParameterError
        As for :func:`resolve`; a problem that concerns only some chapters names them, and the valid
        parameters of every chapter are listed.
    """
    items, problems = _sources(params_file, overrides, flags)
    problems += _unknown_names({n for d in declared.values() for n in d}, items)
    values: dict[str, dict[str, Any]] = {}
    where: dict[str, list[str]] = {}
    for chapter, params in declared.items():
        values[chapter], chapter_problems = _apply(params, items)
        for problem in chapter_problems:
            where.setdefault(problem, []).append(chapter)
    # A bad shared value (-p lang=fr) is one problem, not one per chapter.
    problems += [p if len(chs) == len(declared) else f"{p} [in {', '.join(chs)}]" for p, chs in where.items()]
    if problems:
        listing = "\n\n".join(
            f"{chapter}:\n{format_parameters(params)}" for chapter, params in declared.items()
        )
        raise ParameterError(problems, listing)
    return values


# ---------------------------------------------------------------------------------------------------------------
# Display


def _label(param: Parameter) -> str:
    return _TYPE_LABEL.get(param.type_name, param.type_name)


def _columns(text: str) -> int:
    # Terminal width: wide (CJK) characters take two columns, so defaults like "对照组" stay aligned.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def format_parameters(declared: Mapping[str, Parameter]) -> str:
    """A plain-text table of parameters: name, type, default, allowed values and help.

    Parameters
    ----------
    declared : Mapping[str, Parameter]
        The notebook's parameters.

    Returns
    -------
    str
        One header line and one line per parameter, columns aligned; defaults in JSON notation (``""`` for
        empty text), ``-`` where any value is allowed.
    """
    header = ("name", "type", "default", "allowed", "help")
    rows = [header] + [
        (
            p.name,
            _label(p),
            json.dumps(p.default, ensure_ascii=False),
            ", ".join(map(str, p.choices)) if p.choices else "-",
            p.help,
        )
        for p in declared.values()
    ]
    widths = [max(_columns(r[i]) for r in rows) for i in range(len(header) - 1)]
    return "\n".join(
        "".join(cell + " " * (w - _columns(cell) + 2) for cell, w in zip(r[:-1], widths, strict=True)) + r[-1]
        for r in rows
    )
