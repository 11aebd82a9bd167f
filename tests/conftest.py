"""Shared test helpers: LibreOffice (``soffice``) conversion.

``soffice`` tests are marked ``@pytest.mark.libreoffice``. Without ``soffice`` they are skipped locally and
fail when the environment variable ``CI`` is set (CI installs libreoffice-calc-nogui).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

Convert = Callable[[Sequence[Path], str, Path], list[Path]]


def soffice_path() -> str | None:
    """The ``soffice`` executable, or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.fixture(scope="session")
def soffice(tmp_path_factory: pytest.TempPathFactory) -> Convert:
    """A function ``convert(files, target, outdir) -> outputs`` running one headless soffice for all files.

    ``target`` is a ``--convert-to`` argument, e.g. ``"pdf"``, ``"xlsx"`` or ``'csv:Text - txt - csv
    (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1'``. Uses a private profile directory.
    """
    executable = soffice_path()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("soffice (LibreOffice) is required in CI: apt-get install -y libreoffice-calc-nogui")
        pytest.skip("soffice (LibreOffice) is not installed; install libreoffice-calc-nogui to run this test")
    profile = tmp_path_factory.mktemp("lo-profile")

    def convert(files: Sequence[Path], target: str, outdir: Path) -> list[Path]:
        outdir.mkdir(parents=True, exist_ok=True)
        command = [executable, "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}",
                   "--convert-to", target, "--outdir", str(outdir), *map(str, files)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=240)
        assert done.returncode == 0, done.stderr
        return sorted(outdir.iterdir())

    return convert


@pytest.fixture(scope="session")
def spark() -> object:
    """One local Spark session (``local[2]``, UTC) for the whole test session.

    Without Java or PySpark the Spark tests are skipped locally and fail when ``CI`` is set (CI installs
    openjdk-17-jre-headless and ``.[spark]``).
    """
    missing = None
    if shutil.which("java") is None:
        missing = "Java is not installed (apt-get install -y openjdk-17-jre-headless)"
    else:
        try:
            import pyspark  # noqa: F401
        except ImportError:
            missing = 'PySpark is not installed (pip install -e ".[spark]")'
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"Spark tests are required in CI: {missing}")
        pytest.skip(f"Spark tests skipped: {missing}")
    import warnings

    from pyspark.sql import SparkSession

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        session = (SparkSession.builder.master("local[2]").appName("xlseg-tests")
                   .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
                   .config("spark.sql.session.timeZone", "UTC").config("spark.driver.memory", "1g")
                   .config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
