"""Shared fixtures for the pure geo-core tests (no Django).  Data come only from fixtures/."""

import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # importlib import mode does not put the repo on sys.path
    sys.path.insert(0, str(ROOT))

from geo.core import boundaries  # noqa: E402


@pytest.fixture(scope="session")
def raw_regions():
    return boundaries.load_fixture("kz_adm1_2024")


@pytest.fixture(scope="session")
def raw_districts():
    return boundaries.load_fixture("kz_adm2_2024")


@pytest.fixture(scope="session")
def regions():
    return boundaries.load_fixture("adm1_2024_clean")


@pytest.fixture(scope="session")
def districts():
    return boundaries.load_fixture("adm2_2024_clean")


@pytest.fixture(scope="session")
def old_regions():
    return boundaries.load_fixture("adm1_2018_clean")


@pytest.fixture(scope="session")
def district_population():
    path = boundaries.FIXTURES_DIR / "population" / "kz_population_districts_2023-01-01.csv"
    df = pd.read_csv(path, dtype={"ADM2_KATO": str})
    return df.dropna(subset=["ADM2_KATO"]).set_index("ADM2_KATO")


@pytest.fixture(scope="session")
def settlements():
    path = boundaries.FIXTURES_DIR / "settlements" / "kz_settlements_osm_hotosm.csv"
    return pd.read_csv(path, dtype={"ADM1_KATO": str, "ADM2_KATO": str})
