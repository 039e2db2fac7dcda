"""Data with known truth: seeded generators and bundled datasets.

- :func:`make_service_chain` generates a panel from a chain with known
  parameters, returned with its :class:`~exlink.datasets.truth.ChainTruth`.
- :func:`load_retail_bank` loads a bundled panel of 120 bank branches over 36
  months, made once by the generator, with its truth.
- :data:`SURVEY_CHAIN` with :data:`SURVEY_CHAIN_TRUTH` generates the
  programme -> engagement -> customer impression -> growth chain with both
  middle stages measured by surveys.
- :data:`POLITICAL_DEMOCRACY` and :data:`HOLZINGER_SWINEFORD` are two
  published structural equation models as exlink chains of constructs, with
  lavaan's estimates of them (:mod:`exlink.datasets.published_sem`).
"""

from exlink.datasets.published_sem import (
    HOLZINGER_SWINEFORD,
    HOLZINGER_SWINEFORD_LAVAAN,
    POLITICAL_DEMOCRACY,
    POLITICAL_DEMOCRACY_LAVAAN,
)
from exlink.datasets.retail_bank import (
    RETAIL_BANK_CHAIN,
    RETAIL_BANK_SURVEYS,
    build_retail_bank,
    load_retail_bank,
)
from exlink.datasets.service_chain import DEFAULT_CHAIN, ServiceChainData, make_service_chain
from exlink.datasets.survey_measurement import SURVEY_CHAIN, SURVEY_CHAIN_TRUTH
from exlink.datasets.truth import ChainTruth

__all__ = [
    "DEFAULT_CHAIN",
    "HOLZINGER_SWINEFORD",
    "HOLZINGER_SWINEFORD_LAVAAN",
    "POLITICAL_DEMOCRACY",
    "POLITICAL_DEMOCRACY_LAVAAN",
    "RETAIL_BANK_CHAIN",
    "RETAIL_BANK_SURVEYS",
    "SURVEY_CHAIN",
    "SURVEY_CHAIN_TRUTH",
    "ChainTruth",
    "ServiceChainData",
    "build_retail_bank",
    "load_retail_bank",
    "make_service_chain",
]
