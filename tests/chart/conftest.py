"""Fixtures for the chart tests: the default rendering and one per chart/ci/*-values.yaml."""

import pytest

from tests.chart.render import Obj, Rendered, ci_values, render

CI_VALUES = ci_values()


@pytest.fixture(scope="session")
def default() -> Rendered:
    """What `helm install gatehouse ./chart -n gatehouse` renders."""
    return render()


@pytest.fixture(scope="session")
def enforce() -> Rendered:
    return render({"mode": "enforce"})


@pytest.fixture(params=sorted(CI_VALUES), scope="session")
def ci_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def ci_vals(ci_name: str) -> Obj:
    return CI_VALUES[ci_name]


@pytest.fixture(scope="session")
def ci(ci_vals: Obj) -> Rendered:
    return render(ci_vals)
