"""Every dashboard test runs on TODAY, over the small province of province.py."""

import pytest
import time_machine

from tests.evaluations.dashboard.province import TODAY, build


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def province(world):
    return build(world)
