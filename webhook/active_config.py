"""The policy config the server judges with, loaded in the gunicorn master and inherited by workers.

Loading in the master means a bad config file stops ``gunicorn`` at start-up
with a clear message, and a bad file on ``SIGHUP`` keeps the last good config
instead of leaving workers with none.
"""

from policies.config import Config, load_config
from webhook.options import ServerOptions

_active: Config | None = None


def load(options: ServerOptions) -> Config:
    """(Re)load the config file the options name; raises ConfigError, keeping the old one."""
    global _active
    config = load_config(options.config_path)
    _active = config.with_mode(options.mode) if options.mode else config
    return _active


def current(options: ServerOptions) -> Config:
    return _active if _active is not None else load(options)
