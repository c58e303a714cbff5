"""The installed package's version, for ``--version`` and the SARIF driver."""


def installed_version() -> str | None:
    """The version of the installed ``gatehouse`` package; None when run from a bare checkout.

    importlib.metadata is slow to import and most runs never ask, so it is imported here.
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gatehouse")
    except PackageNotFoundError:
        return None
