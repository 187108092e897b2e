"""The planted crisis shared by the chapter 05 tests: row-level mentions, their engine table and the analysis."""

import pytest

from socialops.crisis.analysis import analyse_crisis
from tests.crisis_data import mentions_frame


@pytest.fixture(scope="module")
def crisis_frame():
    return mentions_frame()


@pytest.fixture(scope="module")
def crisis_table(con, crisis_frame):
    return con.create_table("mentions_crisis", crisis_frame, overwrite=True)


@pytest.fixture(scope="module")
def crisis(crisis_table):
    return analyse_crisis(crisis_table)
