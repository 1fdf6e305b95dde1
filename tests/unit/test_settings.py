"""Settings: environment parsing, overrides and validation naming the setting."""

from __future__ import annotations

import pytest
from newsfuse.settings import Settings


def test_environment_then_overrides():
    env = {"NEWSFUSE_MAX_WORDS": "80", "NEWSFUSE_MODEL": "/m", "NEWSFUSE_PORT": "7000"}
    settings = Settings.from_env(env, port=7001, model=None)
    assert settings.max_words == 80
    assert settings.model == "/m"  # a None override keeps the environment's value
    assert settings.port == 7001


def test_empty_variable_means_unset():
    assert Settings.from_env({"NEWSFUSE_MODEL": ""}).model is None


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"NEWSFUSE_MAX_WORDS": "many"}, "NEWSFUSE_MAX_WORDS"),
        ({"NEWSFUSE_MAX_WORDS": "0"}, "max_words"),
        ({"NEWSFUSE_CANDIDATE_THRESHOLD": "1.5"}, "candidate_threshold"),
        ({"NEWSFUSE_CONFIRM_BONUS": "-0.1"}, "confirm_bonus"),
        ({"NEWSFUSE_EMBED_DTYPE": "float8"}, "embed_dtype"),
        ({"NEWSFUSE_SEQ2SEQ_CPU_DTYPE": "fp4"}, "seq2seq_cpu_dtype"),
        ({"NEWSFUSE_SEQ2SEQ_NUM_BEAMS": "0"}, "seq2seq_num_beams"),
        ({"NEWSFUSE_TLS_CERT": "/c.pem"}, "tls_cert"),
    ],
)
def test_bad_values_name_the_setting(env, names):
    with pytest.raises(ValueError, match=names):
        Settings.from_env(env)


def test_direct_construction_is_validated_too():
    with pytest.raises(ValueError, match="max_queue"):
        Settings(max_queue=0)
