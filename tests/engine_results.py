"""Comparing one chapter's results contract across engines: integers, text and booleans exactly, floats closely."""

from __future__ import annotations

import pytest


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def json_differences(one, other, rtol: float = 1e-9, path: str = "", names: tuple[str, str] = ("one", "other")):
    """Where two JSON values differ: keys, lengths, text, booleans and integers exactly, floats to `rtol`.

    Returns a list of lines such as ``/stages/new: 120 on PostgreSQL, 121 on DuckDB`` (empty when they agree).
    """
    if isinstance(one, dict) and isinstance(other, dict):
        if one.keys() != other.keys():
            return [f"{path}: keys {sorted(one.keys() ^ other.keys())} on one engine only"]
        return [d for k in one for d in json_differences(one[k], other[k], rtol, f"{path}/{k}", names)]
    if isinstance(one, list) and isinstance(other, list):
        if len(one) != len(other):
            return [f"{path}: {len(one)} items on {names[0]}, {len(other)} on {names[1]}"]
        return [d for i, (a, b) in enumerate(zip(one, other, strict=True))
                for d in json_differences(a, b, rtol, f"{path}[{i}]", names)]
    if _is_number(one) and _is_number(other) and (isinstance(one, float) or isinstance(other, float)):
        same = one == pytest.approx(other, rel=rtol, abs=1e-12)
    else:
        same = type(one) is type(other) and one == other
    return [] if same else [f"{path}: {one!r} on {names[0]}, {other!r} on {names[1]}"]
