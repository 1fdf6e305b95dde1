"""Loading local checkpoints: families, conventions and the error messages."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from newsfuse.errors import ERROR_TABLE, ModelLoadError
from newsfuse.modeling import DOC_SEP, inspect_checkpoint, load_model


@pytest.mark.parametrize(
    ("family", "label", "max_input"),
    [
        ("bart", "tiny-bart (bart)", 512),
        ("t5", "tiny-t5 (t5)", 512),
        ("led", "tiny-primera (led)", 1024),
    ],
)
def test_loads_each_family_through_the_auto_classes(checkpoints, family, label, max_input):
    loaded = load_model(checkpoints[family], device="cpu", threads=1)
    assert loaded.family == family
    assert loaded.label == label
    assert loaded.device == "cpu" and loaded.dtype == "float32"
    assert loaded.max_input_tokens == max_input
    assert loaded.model.config.is_encoder_decoder
    assert not loaded.model.training


def test_family_conventions(checkpoints):
    t5 = load_model(checkpoints["t5"], device="cpu", threads=1)
    led = load_model(checkpoints["led"], device="cpu", threads=1)
    bart = load_model(checkpoints["bart"], device="cpu", threads=1)
    assert t5.prefix == "summarize: " and t5.doc_sep_id is None
    assert led.doc_sep_id == led.tokenizer.convert_tokens_to_ids(DOC_SEP)
    assert bart.prefix == "" and bart.doc_sep_id is None
    assert bart.max_output_tokens == 512 and t5.max_output_tokens is None


def test_max_input_tokens_setting_caps_the_model_limit(checkpoints):
    assert load_model(checkpoints["bart"], threads=1, max_input_tokens=64).max_input_tokens == 64


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _message(path: Path, **kwargs) -> str:
    with pytest.raises(ModelLoadError) as info:
        load_model(path, threads=1, **kwargs)
    message = str(info.value)
    assert str(path) in message, message
    return message


def test_missing_directory_names_it_and_what_was_expected(tmp_path):
    message = _message(tmp_path / "no-such-model")
    assert "does not exist" in message
    assert "encoder-decoder" in message and "config.json" in message


def test_directory_without_config(tmp_path):
    assert "has no config.json" in _message(tmp_path)


def test_broken_config(tmp_path, checkpoints):
    directory = _copy(checkpoints["bart"], tmp_path / "broken")
    (directory / "config.json").write_text('{"model_type": "bart", ', encoding="utf-8")
    assert "broken config.json" in _message(directory)


def test_truncated_weights_are_a_broken_checkpoint(tmp_path, checkpoints):
    directory = _copy(checkpoints["bart"], tmp_path / "truncated")
    weights = directory / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    message = _message(directory)
    assert "cannot load the weights" in message and "broken" in message


def test_weights_that_do_not_fit_the_config(tmp_path, checkpoints):
    directory = _copy(checkpoints["bart"], tmp_path / "mismatched")
    config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
    config["encoder_layers"] = 3  # one layer more than the weights have
    (directory / "config.json").write_text(json.dumps(config), encoding="utf-8")
    message = _message(directory)
    assert "do not match config.json" in message and "missing" in message


def test_decoder_only_model_is_refused(checkpoints):
    message = _message(checkpoints["gpt2"])
    assert "gpt2" in message and "not an encoder-decoder" in message
    assert "BART" in message  # says what would work


def test_checkpoint_without_tokenizer(tmp_path, checkpoints):
    directory = _copy(checkpoints["bart"], tmp_path / "no-tokenizer")
    (directory / "tokenizer.json").unlink()
    assert "no tokenizer files" in _message(directory)


def test_checkpoint_without_weights(tmp_path, checkpoints):
    directory = _copy(checkpoints["t5"], tmp_path / "no-weights")
    (directory / "model.safetensors").unlink()
    assert "has no weights" in _message(directory)


def test_inspect_checkpoint_needs_no_torch_work(checkpoints):
    info = inspect_checkpoint(checkpoints["led"])
    assert (info.model_type, info.family, info.label) == ("led", "led", "tiny-primera (led)")


def test_cli_reports_a_bad_model_directory(tmp_path, capsys):
    from newsfuse.cli import main

    article = tmp_path / "a.txt"
    article.write_text("The council approved the budget on Monday.", encoding="utf-8")
    code = main(["summarize", "--model", str(tmp_path / "missing"), str(article)])
    err = capsys.readouterr().err
    assert code == ERROR_TABLE[ModelLoadError].exit_code  # 4: a model directory problem
    assert str(tmp_path / "missing") in err and "does not exist" in err


@pytest.mark.parametrize("cpu_dtype", ["bfloat16", "int8"])
def test_reduced_cpu_precisions_load_and_generate(checkpoints, cpu_dtype):
    from newsfuse.embed import HashingEmbedder
    from newsfuse.fuse.seq2seq import Seq2SeqFuser
    from newsfuse.settings import Settings
    from newsfuse.support import SupportScorer

    loaded = load_model(checkpoints["bart"], device="cpu", threads=1, cpu_dtype=cpu_dtype)
    assert loaded.dtype == cpu_dtype
    if cpu_dtype == "int8":
        kinds = {type(m).__module__ for m in loaded.model.modules()}
        assert any("quantized" in k for k in kinds)
    fuser = Seq2SeqFuser(
        loaded, Settings(threads=1, seq2seq_num_beams=1), HashingEmbedder(), SupportScorer()
    )
    chunk = fuser.packer.render(fuser.packer.text_units(["The council approved the budget."]))
    (text,) = fuser.generate([chunk], fuser.generation_params(10)[0])
    assert isinstance(text, str)


def test_unknown_cpu_precision_is_refused(checkpoints):
    with pytest.raises(ValueError, match="seq2seq_cpu_dtype"):
        load_model(checkpoints["bart"], cpu_dtype="float8")
