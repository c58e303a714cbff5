"""Placeholder until the detector lands (being written now)."""

from collections.abc import Mapping
from dataclasses import dataclass

from policies.base import PodSpec, Violation

ID = "no-plaintext-secrets"
SUMMARY = "env values must not hold literal secrets"
SETTINGS_KEYS: tuple[str, ...] = ()
EXEMPTION_KEYS = ("envNames",)


@dataclass(frozen=True)
class Settings:
    exempt_env_names: tuple[str, ...] = ()


def parse_settings(raw: Mapping[str, object]) -> Settings:
    return Settings()


def check(pod: PodSpec, settings: Settings) -> list[Violation]:
    return []
