import pandas as pd
import pytest

from frames import small_frame


@pytest.fixture
def frame() -> pd.DataFrame:
    return small_frame()
