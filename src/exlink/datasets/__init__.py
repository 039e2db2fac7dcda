"""Data with known truth: seeded generators and bundled datasets.

- :func:`make_service_chain` generates a panel from a chain with known
  parameters, returned with its :class:`~exlink.datasets.truth.ChainTruth`.
- :func:`load_retail_bank` loads a bundled panel of 120 bank branches over 36
  months, made once by the generator, with its truth.
- :data:`SURVEY_CHAIN` with :data:`SURVEY_CHAIN_TRUTH` generates the
  programme -> engagement -> customer impression -> growth chain with both
  middle stages measured by surveys.
"""

from exlink.datasets.retail_bank import RETAIL_BANK_CHAIN, build_retail_bank, load_retail_bank
from exlink.datasets.service_chain import DEFAULT_CHAIN, ServiceChainData, make_service_chain
from exlink.datasets.survey_measurement import SURVEY_CHAIN, SURVEY_CHAIN_TRUTH
from exlink.datasets.truth import ChainTruth

__all__ = [
    "DEFAULT_CHAIN",
    "RETAIL_BANK_CHAIN",
    "SURVEY_CHAIN",
    "SURVEY_CHAIN_TRUTH",
    "ChainTruth",
    "ServiceChainData",
    "build_retail_bank",
    "load_retail_bank",
    "make_service_chain",
]
