"""Error types. Every message is one line that names the offending file or parameter and says how to fix it."""


class OquabError(Exception):
    """Base class of every error the library raises on purpose."""


class ConfigError(OquabError, ValueError):
    """A profile, parameter or path given by the user is not acceptable."""


class DataError(OquabError, ValueError):
    """A file on disk (image, XML, split list, JSON) is missing or malformed."""


class DiskFullError(OquabError, OSError):
    """A cache write does not fit on its file system (the message names the folder and the space needed)."""
