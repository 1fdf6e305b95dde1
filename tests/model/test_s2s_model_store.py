"""The model manifest, ``newsfuse models fetch|verify|list`` and their failure messages."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from newsfuse import model_store
from newsfuse.cli import main
from newsfuse.errors import ERROR_TABLE, ModelLoadError
from newsfuse.model_store import FetchError, fetch, git_blob_sha1, load_manifest, sha256_file
from newsfuse.modeling import FAMILIES

REPO_MANIFEST = Path(__file__).resolve().parents[2] / "models" / "manifest.json"


def test_repo_manifest_lists_the_recommended_checkpoints():
    entries = load_manifest(REPO_MANIFEST)
    assert {"distilbart-cnn-12-6", "bart-large-cnn", "pegasus-multi_news", "PRIMERA-multinews"} <= (
        entries.keys()
    )
    for entry in entries.values():
        assert entry.family in set(FAMILIES.values())
        assert entry.licence and entry.source.count("/") == 1
        # Hashes are recorded by a real fetch (--record), never written by hand.
        assert (entry.files is None) == (entry.revision is None)


def test_models_list(capsys):
    assert main(["models", "--manifest", str(REPO_MANIFEST), "list"]) == 0
    out = capsys.readouterr().out
    assert "distilbart-cnn-12-6" in out and "PRIMERA-multinews" in out and "apache-2.0" in out


def test_fetch_offline_fails_with_a_clear_message(tmp_path, monkeypatch, capsys):
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "is_offline_mode", lambda: True)
    dest = tmp_path / "distilbart"
    argv = ["models", "--manifest", str(REPO_MANIFEST), "fetch", "distilbart-cnn-12-6"]
    code = main([*argv, "--dest", str(dest)])
    err = capsys.readouterr().err
    assert code == ERROR_TABLE[ModelLoadError].exit_code
    assert "cannot reach the Hugging Face Hub for sshleifer/distilbart-cnn-12-6" in err
    assert "on a machine that has it" in err and str(dest) in err
    assert not dest.exists()


def test_fetch_of_an_unknown_name(capsys):
    assert main(["models", "--manifest", str(REPO_MANIFEST), "fetch", "gpt-5"]) == 2
    assert "no model named 'gpt-5'" in capsys.readouterr().err


# -- fetching through a stand-in hub that serves a local checkpoint -------------------------


@dataclass
class _Lfs:
    sha256: str


@dataclass
class _Sibling:
    rfilename: str
    blob_id: str | None = None
    lfs: _Lfs | None = None


class FakeHub:
    """``HfApi().model_info`` and ``snapshot_download`` over a local directory."""

    def __init__(self, source: Path) -> None:
        self.source = source
        self.calls: list[dict] = []

    def HfApi(self):  # noqa: N802 - mirrors huggingface_hub's name
        return self

    def model_info(self, repo_id, revision=None, files_metadata=False):
        siblings = []
        for path in sorted(self.source.iterdir()):
            if path.suffix == ".safetensors":
                siblings.append(_Sibling(path.name, lfs=_Lfs(sha256_file(path))))
            else:
                siblings.append(_Sibling(path.name, blob_id=git_blob_sha1(path)))
        return type("Info", (), {"sha": "0" * 40, "siblings": siblings})()

    def snapshot_download(self, repo_id, revision, local_dir, allow_patterns):
        self.calls.append({"revision": revision, "files": list(allow_patterns)})
        Path(local_dir).mkdir(parents=True, exist_ok=True)
        for name in allow_patterns:
            shutil.copy(self.source / name, Path(local_dir) / name)


@pytest.fixture
def manifest(tmp_path) -> Path:
    path = tmp_path / "models" / "manifest.json"
    path.parent.mkdir()
    shutil.copy(REPO_MANIFEST, path)
    return path


def test_fetch_verifies_against_the_hub_and_records_hashes(
    checkpoints, tmp_path, manifest, monkeypatch
):
    source = tmp_path / "hub"
    shutil.copytree(checkpoints["bart"], source)
    hub = FakeHub(source)
    monkeypatch.setattr(model_store, "_hub", lambda: hub)
    entry = load_manifest(manifest)["distilbart-cnn-12-6"]
    dest = manifest.parent / entry.name
    checks = fetch(entry, dest, manifest=manifest, record=True)
    assert all(c.ok for c in checks)
    assert hub.calls[0]["revision"] == "0" * 40  # pinned to the resolved commit
    assert "model.safetensors" in hub.calls[0]["files"]
    recorded = load_manifest(manifest)["distilbart-cnn-12-6"]
    assert recorded.revision == "0" * 40
    assert recorded.files["model.safetensors"].sha256 == sha256_file(dest / "model.safetensors")

    # A later fetch must match the recorded hashes byte for byte.
    (source / "config.json").write_text(
        (source / "config.json").read_text().replace("32", "33"), encoding="utf-8"
    )
    with pytest.raises(FetchError, match="config.json: sha256"):
        fetch(recorded, tmp_path / "again", manifest=manifest)


def test_fetch_rejects_a_corrupted_download(checkpoints, tmp_path, manifest, monkeypatch):
    source = tmp_path / "hub"
    shutil.copytree(checkpoints["bart"], source)
    hub = FakeHub(source)
    real_download = hub.snapshot_download

    def corrupting(repo_id, revision, local_dir, allow_patterns):
        real_download(repo_id, revision, local_dir, allow_patterns)
        with open(Path(local_dir) / "model.safetensors", "r+b") as handle:
            handle.seek(100)
            handle.write(b"\xff\xff")

    hub.snapshot_download = corrupting
    monkeypatch.setattr(model_store, "_hub", lambda: hub)
    entry = load_manifest(manifest)["distilbart-cnn-12-6"]
    with pytest.raises(FetchError, match="model.safetensors: sha256"):
        fetch(entry, tmp_path / "dest", manifest=manifest)


def test_verify_a_directory_against_recorded_hashes(checkpoints, tmp_path, manifest, capsys):
    directory = tmp_path / "distilbart-cnn-12-6"
    shutil.copytree(checkpoints["bart"], directory)
    files = [p.name for p in directory.iterdir()]
    model_store.record_entry(manifest, "distilbart-cnn-12-6", "f" * 40, directory, files)
    argv = ["models", "--manifest", str(manifest), "verify", str(directory)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "tiny-bart" not in out and "distilbart-cnn-12-6 (bart)" in out
    assert "ok  model.safetensors" in out

    weights = directory / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert "BAD model.safetensors" in captured.out
    assert "does not match the manifest" in captured.err


def test_verify_loads_and_generates(checkpoints, manifest, capsys, monkeypatch):
    monkeypatch.setenv("NEWSFUSE_THREADS", "1")
    argv = ["models", "--manifest", str(manifest), "verify", str(checkpoints["t5"]), "--load"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "tiny-t5 (t5)" in out and "generated" in out and "file hashes not checked" in out


def test_verify_refuses_a_decoder_only_model(checkpoints, manifest, capsys):
    code = main(["models", "--manifest", str(manifest), "verify", str(checkpoints["gpt2"])])
    assert code == ERROR_TABLE[ModelLoadError].exit_code
    assert "not an encoder-decoder" in capsys.readouterr().err


def test_malformed_manifest_names_the_entry(tmp_path):
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"models": [{"name": "x"}]}), encoding="utf-8")
    with pytest.raises(FetchError, match=r"models\[0\] is malformed"):
        load_manifest(path)
