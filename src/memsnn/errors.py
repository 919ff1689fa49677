"""Error types that the command line turns into one clear message and a non-zero exit."""


class MemsnnError(Exception):
    """Base class of errors caused by the user's input (config, data, options)."""


class ConfigError(MemsnnError, ValueError):
    """An invalid configuration value; the message names the value."""


class DataError(MemsnnError, OSError):
    """Missing, corrupt or malformed data; the message names the path and the expected layout."""
