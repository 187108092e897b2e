import ast
import unicodedata

import nbformat
import papermill
import pytest

from socialops.pipeline.params import (
    Parameter,
    ParameterError,
    documented_range,
    format_parameters,
    read_parameters,
    resolve,
    resolve_for_chapters,
)

CELL = """\
data_dir: str = "../data/samples"  # folder holding the input tables
lang: str = "en"  # report language, one of: en, zh
audience: str = "client"  # who reads the report, one of: client, analyst
client: str = "Sample Brand"  # client name shown in the report header
as_of: str = ""  # end of the observation window; empty = latest data
churn_days: int = 90  # days without activity that count as churn
alpha: float = 0.05  # significance level
control: list = ["control", "holdout", "对照组", "A"]  # names of the control variant
split: dict = {}  # intended split between variants
bootstrap: bool = False  # whether to bootstrap the intervals
"""


def make_notebook(tmp_path, source, *, name="chapter.ipynb", tags=("parameters",)):
    nb = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}}
    )
    first = nbformat.v4.new_markdown_cell("# Chapter")
    params = nbformat.v4.new_code_cell(source)
    params.metadata["tags"] = list(tags)
    nb.cells = [first, params, nbformat.v4.new_code_cell("print(lang)")]
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


@pytest.fixture
def declared(tmp_path):
    return read_parameters(make_notebook(tmp_path, CELL))


def test_read_parameters(declared):
    assert list(declared) == [
        "data_dir", "lang", "audience", "client", "as_of", "churn_days", "alpha", "control", "split", "bootstrap",
    ]  # fmt: skip
    assert declared["lang"] == Parameter("lang", "str", "en", "report language, one of: en, zh", ("en", "zh"))
    assert declared["churn_days"] == Parameter(
        "churn_days", "int", 90, "days without activity that count as churn"
    )
    assert declared["control"].default == ["control", "holdout", "对照组", "A"]
    assert declared["split"].type_name == "dict" and declared["split"].default == {}
    assert declared["bootstrap"].default is False
    assert declared["as_of"].choices is None


def test_read_parameters_agrees_with_papermill(tmp_path):
    # papermill's line parser gives up on a help comment containing "=", which ours reads.
    path = make_notebook(tmp_path, CELL.replace("empty = latest", "empty means latest"))
    ours = read_parameters(path)
    theirs = papermill.inspect_notebook(str(path))
    assert list(ours) == list(theirs)
    for name, p in ours.items():
        assert p.type_name == theirs[name]["inferred_type_name"]
        assert p.help == theirs[name]["help"]
        assert p.default == ast.literal_eval(theirs[name]["default"])


def test_subscripted_types_and_numeric_choices(tmp_path):
    src = (
        'control: list[str] = ["A"]  # control names, one of: A, B, control\n'
        "split: dict[str, float] = {'A': 1, 'B': 1}  # intended split\n"
        "period_days: int = 30  # window length, one of: 7, 30, 90\n"
        "ratio: float = 1  # a ratio\n"
    )
    d = read_parameters(make_notebook(tmp_path, src))
    assert d["control"].choices == ("A", "B", "control")
    assert d["split"].default == {"A": 1.0, "B": 1.0}
    assert d["period_days"].choices == (7, 30, 90)
    assert d["ratio"].default == 1.0 and isinstance(d["ratio"].default, float)


def test_documented_range_bounds_numbers(tmp_path):
    src = "days: int = 14  # past days, range: 3..60\nlevel: float = 0.9  # coverage, range: 0.5..0.999\n"
    d = read_parameters(make_notebook(tmp_path, src))
    assert resolve(d, overrides=["days=3", "level=0.999"]) == {"days": 3, "level": 0.999}
    with pytest.raises(ParameterError, match=r"days: 2 is outside the documented range 3\.\.60"):
        resolve(d, overrides=["days=2"])
    with pytest.raises(ParameterError, match=r"level: 1\.0 is outside the documented range 0\.5\.\.0\.999"):
        resolve(d, overrides=["level=1"])
    with pytest.raises(ParameterError, match="bad default"):
        read_parameters(make_notebook(tmp_path, "days: int = 99  # past days, range: 3..60\n"))
    assert documented_range(d["days"]) == (3, 60) and documented_range(d["level"]) == (0.5, 0.999)
    assert isinstance(documented_range(d["level"])[0], float)


def test_a_parameter_without_a_range_has_none(tmp_path):
    d = read_parameters(make_notebook(tmp_path, 'days: int = 14  # past days\nname: str = "a"  # range: 1..2\n'))
    assert documented_range(d["days"]) is None and documented_range(d["name"]) is None


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("start: str = str(2026)  # start\n", "literal, not derived"),
        ("days: int = 30 * 3  # days\n", "literal, not derived"),
        ("base: str = data_dir  # base\n", "literal, not derived"),
        ('name: str = f"{lang}"  # name\n', "literal, not derived"),
        ("x = 1  # no annotation\n", "name: type = literal"),
        ("import os\n", "name: type = literal"),
        ("x: int = 1\n", "missing the `# help` comment"),
        ("x: tuple = (1,)  # a tuple\n", "unsupported type"),
        ('x: int = "5"  # text default\n', "must not be text"),
        ("x: int = True  # bool for int\n", "expected int"),
        ('lang: str = "fr"  # language, one of: en, zh\n', "not one of the allowed values"),
        ("x: dict = {}  # d, one of: a, b\n", "not supported for a dict"),
    ],
)
def test_read_parameters_refuses_bad_cells(tmp_path, source, message):
    with pytest.raises(ParameterError, match=message):
        read_parameters(make_notebook(tmp_path, source))


def test_read_parameters_needs_exactly_one_tagged_cell(tmp_path):
    with pytest.raises(ParameterError, match="found 0"):
        read_parameters(make_notebook(tmp_path, CELL, tags=("other",)))


def test_all_problems_of_a_cell_are_listed(tmp_path):
    src = "a: int = 1 + 1  # a\nb: str = 1  # b\nc: int = 3  # c\nc: int = 4  # again\n"
    with pytest.raises(ParameterError) as info:
        read_parameters(make_notebook(tmp_path, src))
    assert len(info.value.problems) == 3
    assert "declared twice" in info.value.problems[2]


def test_defaults_when_nothing_given(declared):
    assert resolve(declared) == {name: p.default for name, p in declared.items()}


def write_yaml(tmp_path, text):
    path = tmp_path / "params.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_scalars_are_text_converted_by_declared_type(tmp_path, declared):
    path = write_yaml(
        tmp_path,
        "client: 007\nas_of: 2026-09-30\nchurn_days: 0123\nalpha: 1e-2\nbootstrap: TRUE\ncontrol: [对照组, B]\n"
        "split: {A: 1, B: 3}\ndata_dir: ~/data\n",
    )
    values = resolve(declared, params_file=path)
    assert values["client"] == "007"
    assert values["as_of"] == "2026-09-30"  # not a date object
    assert values["churn_days"] == 123  # decimal, never octal
    assert values["alpha"] == 0.01
    assert values["bootstrap"] is True
    assert values["control"] == ["对照组", "B"]
    assert values["split"] == {"A": 1.0, "B": 3.0}
    assert values["data_dir"] == "~/data"


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("churn_days: yes\n", "churn_days: expected an integer, got 'yes'"),
        ("bootstrap: yes\n", "bootstrap: expected true, false, 1 or 0, got 'yes'"),
        ("bootstrap: on\n", "bootstrap: expected true, false, 1 or 0"),
        ("churn_days: 90.0\n", "churn_days: expected an integer"),
        ("alpha: .nan\n", "alpha: expected a number"),
        ("lang: fr\n", "lang: 'fr' is not one of the allowed values \\(en, zh\\)"),
        ("client: [a, b]\n", "client: expected str, got a list"),
        ("split: {A: high}\n", "split: key 'A': expected a number"),
        ("lnag: zh\n", "lnag: unknown parameter in params.yaml \\(did you mean lang\\?\\)"),
        ("- just\n- a list\n", "must be a mapping"),
        ("a: [unclosed\n", "not valid YAML"),
    ],
)
def test_yaml_errors(tmp_path, declared, yaml_text, message):
    with pytest.raises(ParameterError, match=message):
        resolve(declared, params_file=write_yaml(tmp_path, yaml_text))


def test_overrides_and_flags(declared):
    values = resolve(
        declared,
        overrides=["client=007", "control=a, b ,c", "split=A=1,B=2.5", "churn_days=60", "bootstrap=1"],
        flags={"lang": "zh", "audience": None},
    )
    assert values["client"] == "007"
    assert values["control"] == ["a", "b", "c"]
    assert values["split"] == {"A": 1.0, "B": 2.5}
    assert values["churn_days"] == 60
    assert values["bootstrap"] is True
    assert values["lang"] == "zh"
    assert values["audience"] == "client"  # None means not given


def test_overrides_accept_flow_collections(declared):
    values = resolve(declared, overrides=['control=["x,y", z]', 'split={"A": 0.5, "B": 0.5}'])
    assert values["control"] == ["x,y", "z"]
    assert values["split"] == {"A": 0.5, "B": 0.5}


def test_later_source_wins(tmp_path, declared):
    path = write_yaml(tmp_path, "lang: zh\nclient: From File\nchurn_days: 30\n")
    values = resolve(declared, params_file=path, overrides=["client=From P", "lang=en"], flags={"lang": "zh"})
    assert (values["lang"], values["client"], values["churn_days"]) == ("zh", "From P", 30)


def test_flags_take_python_values(declared):
    values = resolve(declared, flags={"churn_days": 45, "alpha": 1, "control": ("A",), "bootstrap": False})
    assert values["churn_days"] == 45 and values["alpha"] == 1.0 and values["control"] == ["A"]
    with pytest.raises(ParameterError, match="churn_days: expected int, got bool"):
        resolve(declared, flags={"churn_days": True})
    with pytest.raises(ParameterError, match="--lang"):
        resolve(declared, flags={"lang": "fr"})


def test_as_of_is_checked_with_the_other_values_and_passed_on_as_written(declared):
    values = resolve(declared, overrides=["as_of=2026-09-30", "churn_days=60"])
    assert values["as_of"] == "2026-09-30"  # the report reads it again with the same parser
    with pytest.raises(ParameterError) as info:
        resolve(declared, overrides=["as_of=2026-13-45", "churn_days=many"])
    as_of, churn_days = info.value.problems
    assert as_of.startswith("as_of: expected YYYY-MM-DD (the end of that day), YYYY-MM-DD HH:MM:SS")
    assert "'2026-13-45'" in as_of and "(from -p; declared str)" in as_of
    assert churn_days.startswith("churn_days:")


def test_a_bad_as_of_default_is_refused(tmp_path):
    with pytest.raises(ParameterError, match="as_of: bad default: expected YYYY-MM-DD"):
        read_parameters(make_notebook(tmp_path, 'as_of: str = "last week"  # end of the window\n'))


def test_error_lists_every_problem_and_every_valid_parameter(declared):
    with pytest.raises(ParameterError) as info:
        resolve(declared, overrides=["nope=1", "lang=fr", "churn_days=many", "noequals"])
    err = info.value
    assert err.problems == [
        "-p 'noequals': expected name=value",
        "nope: unknown parameter in -p",
        "lang: 'fr' is not one of the allowed values (en, zh) (from -p; declared str)",
        "churn_days: expected an integer, got 'many' (from -p; declared int)",
    ]
    text = str(err)
    assert "Valid parameters:" in text
    for name in declared:
        assert name in text
    assert "client, analyst" in text and "list[str]" in text and '"Sample Brand"' in text


def test_format_parameters(declared):
    lines = format_parameters(declared).splitlines()
    assert len(lines) == 1 + len(declared)
    assert lines[0].split() == ["name", "type", "default", "allowed", "help"]
    row = {line.split()[0]: line for line in lines[1:]}
    assert row["lang"].split()[:4] == ["lang", "str", '"en"', "en,"]
    assert row["as_of"].split()[:4] == ["as_of", "str", '""', "-"]
    assert '["control", "holdout", "对照组", "A"]' in row["control"]
    assert row["churn_days"].split()[:4] == ["churn_days", "int", "90", "-"]
    # Columns are aligned: each row's type starts under the "type" header.
    offset = lines[0].index("type")
    assert all(line[offset:].startswith(declared[line.split()[0]].type_name) for line in lines[1:])


def test_format_parameters_aligns_chinese_text(tmp_path):
    src = 'control: list = ["对照组"]  # control names\nx: int = 1  # the x\n'
    lines = format_parameters(read_parameters(make_notebook(tmp_path, src))).splitlines()

    def columns(text):  # a CJK character takes two columns on a terminal
        return sum(2 if unicodedata.east_asian_width(ch) == "W" else 1 for ch in text)

    starts = [
        columns(line[: line.index(help_text)])
        for line, help_text in zip(lines, ["help", "control names", "the x"], strict=True)
    ]
    assert len(set(starts)) == 1


@pytest.fixture
def chapters(tmp_path):
    common = 'lang: str = "en"  # language, one of: en, zh\nclient: str = "Brand"  # client name\n'
    return {
        "02_lifecycle": read_parameters(
            make_notebook(tmp_path, common + "churn_days: int = 90  # churn\n", name="a.ipynb")
        ),
        "01_platform_matrix": read_parameters(
            make_notebook(
                tmp_path,
                common + 'goal: str = "conversion"  # goal, one of: conversion, brand\n',
                name="b.ipynb",
            )
        ),
    }


def test_resolve_for_chapters_gives_each_chapter_its_names(tmp_path, chapters):
    path = write_yaml(tmp_path, "client: 007\nchurn_days: 60\n")
    values = resolve_for_chapters(chapters, params_file=path, overrides=["goal=brand"], flags={"lang": "zh"})
    assert values == {
        "02_lifecycle": {"lang": "zh", "client": "007", "churn_days": 60},
        "01_platform_matrix": {"lang": "zh", "client": "007", "goal": "brand"},
    }


def test_resolve_for_chapters_errors(chapters):
    with pytest.raises(ParameterError) as info:
        resolve_for_chapters(chapters, overrides=["lang=fr", "goal=reach", "churn_dayz=3"])
    assert info.value.problems == [
        "churn_dayz: unknown parameter in -p (did you mean churn_days?)",
        "lang: 'fr' is not one of the allowed values (en, zh) (from -p; declared str)",
        "goal: 'reach' is not one of the allowed values (conversion, brand) (from -p; declared str) [in 01_platform_matrix]",
    ]
    text = str(info.value)
    assert "02_lifecycle:\n" in text and "01_platform_matrix:\n" in text
