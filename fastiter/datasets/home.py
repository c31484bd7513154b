"""Where benchmark datasets live on disk: ``FASTITER_DATA_HOME``, else ``~/.fastiter/data``.

Every dataset gets one sub-folder (``mnist``, ``emnist``, ``cifar10``, ...).  Iterators
also accept an explicit ``data_dir`` so tests and users with their own copies can point
at any folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastiter import _env

__all__ = ["data_home", "dataset_dir", "ENV_VAR"]

#: The environment variable that moves the data home.
ENV_VAR = "FASTITER_DATA_HOME"


def data_home() -> Path:
    """The root folder for downloaded datasets (not created here).

    ``$FASTITER_DATA_HOME`` when set and non-empty, otherwise ``~/.fastiter/data``.

    Examples
    --------
    >>> import os
    >>> os.environ["FASTITER_DATA_HOME"] = "/tmp/fi-data"
    >>> str(data_home())
    '/tmp/fi-data'
    >>> del os.environ["FASTITER_DATA_HOME"]
    """
    return _env.get(ENV_VAR)


def dataset_dir(name: str, data_dir: str | os.PathLike | None = None) -> Path:
    """The folder holding dataset ``name``: ``data_dir`` if given, else ``data_home()/name``.

    Examples
    --------
    >>> dataset_dir("mnist", "/somewhere/else").as_posix()
    '/somewhere/else'
    """
    if data_dir is not None:
        if not isinstance(data_dir, (str, os.PathLike)):
            raise TypeError(
                f"data_dir must be a path (str or os.PathLike), got {type(data_dir).__name__}"
            )
        return Path(data_dir).expanduser().absolute()
    return data_home() / name
