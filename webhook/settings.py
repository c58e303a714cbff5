"""The server's configuration, loaded in the gunicorn master and inherited by workers.

Loading in the master means a bad config file stops ``gunicorn`` at start-up
with a clear message, and a bad file on ``SIGHUP`` keeps the last good config
instead of leaving workers with none.
"""

import traceback

from policies.config import Config, config_from_env
from webhook.audit_log import emit

_active: Config | None = None


def load() -> Config:
    """(Re)load from GATEHOUSE_CONFIG / GATEHOUSE_MODE; raises ConfigError, keeping the old one."""
    global _active
    _active = config_from_env()
    return _active


def active_config() -> Config:
    return _active if _active is not None else load()


def report_config_error(message: str) -> None:
    emit("error", "config invalid", error=message)


def report_unexpected(exc: BaseException) -> None:
    """Where it broke, never what it held: exception messages may quote a secret."""
    frames = [
        f"{f.filename}:{f.lineno} in {f.name}" for f in traceback.extract_tb(exc.__traceback__)
    ]
    emit("error", "unexpected error", type=type(exc).__name__, at=frames)
