"""The registry: unique kebab-case ids, modules named after them, all in the default config."""

import importlib
import re
from types import ModuleType

import pytest
import yaml

from policies import registry
from policies.config import DEFAULT_CONFIG
from policies.registry import BY_ID, POLICIES, Policy
from policies.workloads import MALFORMED_ID

KEBAB = re.compile(r"[a-z]+(-[a-z]+)*")
IDS = [p.id for p in POLICIES]


def test_ids_are_unique() -> None:
    assert len(set(IDS)) == len(IDS) == len(BY_ID)
    assert MALFORMED_ID not in BY_ID


def test_the_policies_gatehouse_ships() -> None:
    assert {"no-root-containers", "require-resource-limits"} <= set(IDS)


@pytest.mark.parametrize("policy", POLICIES, ids=IDS)
def test_id_is_kebab_case_and_names_the_module(policy: Policy) -> None:
    assert KEBAB.fullmatch(policy.id)
    module = importlib.import_module(f"policies.{policy.id.replace('-', '_')}")
    assert policy.id == module.ID
    assert module.check is policy.check
    assert module.parse_settings is policy.parse_settings
    assert BY_ID[policy.id] is policy


@pytest.mark.parametrize("policy", POLICIES, ids=IDS)
def test_summary_is_one_line(policy: Policy) -> None:
    assert policy.summary and "\n" not in policy.summary


def test_every_policy_is_in_the_default_config_and_nothing_else() -> None:
    shipped = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))["policies"]
    assert list(shipped) == IDS


def fake_policy(name: str, policy_id: str) -> ModuleType:
    module = ModuleType(f"policies.{name}")
    module.ID = policy_id  # type: ignore[attr-defined]
    module.SUMMARY = "a test policy"  # type: ignore[attr-defined]
    module.HELP = "What the test policy requires, and why."  # type: ignore[attr-defined]
    module.SETTINGS_KEYS = ()  # type: ignore[attr-defined]
    module.parse_settings = lambda raw: None  # type: ignore[attr-defined]
    module.check = lambda pod, settings: []  # type: ignore[attr-defined]
    return module


def test_a_well_formed_module_registers() -> None:
    policy = registry._register(fake_policy("require_probes", "require-probes"))
    assert (policy.id, policy.settings_keys, policy.exemption_keys) == ("require-probes", (), ())


@pytest.mark.parametrize(
    "name, policy_id, error",
    [
        ("require_probes", "Require-Probes", "not kebab-case"),
        ("require_probes", "require_probes", "not kebab-case"),
        ("require_probes", "require-probes-", "not kebab-case"),
        ("probes", "require-probes", "module named after its id"),
    ],
)
def test_a_malformed_policy_fails_at_start_up(name: str, policy_id: str, error: str) -> None:
    with pytest.raises(RuntimeError, match=error):
        registry._register(fake_policy(name, policy_id))


def test_a_module_missing_a_name_fails_at_start_up() -> None:
    module = fake_policy("require_probes", "require-probes")
    del module.check
    with pytest.raises(AttributeError, match="check"):
        registry._register(module)


@pytest.mark.parametrize("policy", POLICIES, ids=IDS)
def test_help_is_prose_for_a_person_not_for_the_source(policy: Policy) -> None:
    """Reports show it as rule help: Markdown with single backticks, no reST, no modules."""
    assert len(policy.help) > len(policy.summary)
    assert "``" not in policy.help and ":ref:" not in policy.help
    assert "policies." not in policy.help and ".py" not in policy.help
    assert policy.help.count("`") % 2 == 0
