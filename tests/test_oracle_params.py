"""Oracle: vramlab's exact parameter counts equal transformers' for every preset."""

import pytest

import vramlab as vl
from vramlab.presets import preset_record

from .oracle import meta_param_count

pytestmark = pytest.mark.oracle


@pytest.mark.parametrize("model_id", vl.list_models())
def test_param_count_equals_transformers_meta_model(model_id):
    config = preset_record(model_id)["config"]
    assert vl.load_model(model_id).param_count() == meta_param_count(config)
