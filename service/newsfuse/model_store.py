"""Known-good seq2seq checkpoints: the manifest, fetching one, verifying a directory.

The service never downloads weights. ``newsfuse models fetch NAME`` is run once on a machine
with network access (or while building the container image): it downloads the checkpoint
from the Hugging Face Hub into ``models/NAME`` through ``huggingface_hub``, pinned to one
commit, and checks every file — against the SHA-256 recorded in ``models/manifest.json``
when there is one, else against the hashes the Hub publishes for the commit (LFS SHA-256,
git blob SHA-1). ``--record`` writes the commit and the SHA-256 of every file into the
manifest, so later fetches must match byte for byte.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsfuse.errors import InvalidInput, ModelLoadError

_LOGGER = logging.getLogger(__name__)

#: Files of a checkpoint other than its weights, taken when the repository has them.
SUPPORT_FILES = (
    "config.json",
    "generation_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.json",
    "merges.txt",
    "spiece.model",
    "sentencepiece.bpe.model",
)
_HUB_HINT = (
    "fetching needs network access to the Hugging Face Hub: run `newsfuse models fetch {name}` "
    "on a machine that has it (or in the container build) and copy the directory {dest} here"
)


class FetchError(ModelLoadError):
    """A checkpoint could not be downloaded or did not match its expected hashes."""


@dataclass(frozen=True, slots=True)
class RecordedFile:
    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class ModelEntry:
    """One checkpoint of the manifest."""

    name: str
    family: str
    source: str
    revision: str | None
    licence: str
    parameters_millions: int
    download_mb: int
    max_input_tokens: int
    weights: tuple[str, ...]
    files: dict[str, RecordedFile] | None
    use: str
    quality: str


def repo_root_models() -> Path:
    """``models/`` of the source checkout this package runs from, else of the working directory."""
    beside = Path(__file__).resolve().parents[2] / "models"
    return beside if (beside / "manifest.json").is_file() else Path.cwd() / "models"


def default_manifest() -> Path:
    return repo_root_models() / "manifest.json"


def load_manifest(path: str | Path | None = None) -> dict[str, ModelEntry]:
    """Read and check the manifest; entries by name, in file order."""
    path = Path(path) if path is not None else default_manifest()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FetchError(f"model manifest {path} does not exist") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise FetchError(f"model manifest {path} cannot be read: {exc}") from None
    entries: dict[str, ModelEntry] = {}
    for i, item in enumerate(raw.get("models", [])):
        where = f"{path}: models[{i}]"
        try:
            files = item.get("files")
            entry = ModelEntry(
                name=str(item["name"]),
                family=str(item["family"]),
                source=str(item["source"]),
                revision=item.get("revision"),
                licence=str(item["licence"]),
                parameters_millions=int(item["parameters_millions"]),
                download_mb=int(item["download_mb"]),
                max_input_tokens=int(item["max_input_tokens"]),
                weights=tuple(item["weights"]),
                files=None
                if files is None
                else {
                    name: RecordedFile(sha256=str(f["sha256"]), size=int(f["size"]))
                    for name, f in files.items()
                },
                use=str(item.get("use", "")),
                quality=str(item.get("quality", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise FetchError(f"{where} is malformed: {exc!r}") from None
        if entry.name in entries:
            raise FetchError(f"{where}: name {entry.name!r} appears twice")
        if not entry.weights:
            raise FetchError(f"{where}: weights lists no file")
        entries[entry.name] = entry
    return entries


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def git_blob_sha1(path: Path) -> str:
    """The id git (and the Hub) gives a small file's content."""
    digest = hashlib.sha1(usedforsecurity=False)
    digest.update(f"blob {path.stat().st_size}\0".encode())
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class FileCheck:
    name: str
    ok: bool
    detail: str
    sha256: str | None = None
    size: int | None = None


def check_recorded(directory: Path, files: dict[str, RecordedFile]) -> list[FileCheck]:
    """Compare the files of ``directory`` with recorded SHA-256 hashes."""
    checks = []
    for name, recorded in sorted(files.items()):
        path = directory / name
        if not path.is_file():
            checks.append(FileCheck(name, False, "missing"))
            continue
        actual = sha256_file(path)
        size = path.stat().st_size
        ok = actual == recorded.sha256 and size == recorded.size
        detail = (
            "sha256 matches the manifest"
            if ok
            else (
                f"sha256 {actual} (size {size}) but the manifest records "
                f"{recorded.sha256} (size {recorded.size})"
            )
        )
        checks.append(FileCheck(name, ok, detail, actual, size))
    return checks


def _hub() -> Any:
    try:
        import huggingface_hub
    except ImportError:
        raise FetchError(
            "fetching models needs huggingface_hub: pip install 'newsfuse[fetch]'"
        ) from None
    return huggingface_hub


def fetch(
    entry: ModelEntry,
    dest: str | Path,
    *,
    manifest: str | Path | None = None,
    record: bool = False,
) -> list[FileCheck]:
    """Download ``entry`` into ``dest`` and verify every file; raise ``FetchError`` if not.

    With ``record``, the resolved commit and the SHA-256 of every file are written into the
    manifest entry.
    """
    hub = _hub()
    dest = Path(dest)
    hint = _HUB_HINT.format(name=entry.name, dest=dest)
    try:
        info = hub.HfApi().model_info(entry.source, revision=entry.revision, files_metadata=True)
    except Exception as exc:  # noqa: BLE001 - offline, DNS, HTTP and hub errors alike
        raise FetchError(
            f"cannot reach the Hugging Face Hub for {entry.source} "
            f"(revision {entry.revision or 'main'}): {_reason(exc)}. {hint}"
        ) from None
    siblings = {s.rfilename: s for s in info.siblings or ()}
    if entry.files is not None:
        wanted = sorted(entry.files)
    else:
        weights = next((w for w in entry.weights if w in siblings), None)
        if weights is None:
            raise FetchError(
                f"{entry.source} at {info.sha} has none of the weight files "
                f"{', '.join(entry.weights)}"
            )
        wanted = sorted([name for name in SUPPORT_FILES if name in siblings] + [weights])
    missing = [name for name in wanted if name not in siblings]
    if missing:
        raise FetchError(f"{entry.source} at {info.sha} lacks {', '.join(missing)}")
    _LOGGER.info("fetching %s (%s at %s) into %s", entry.name, entry.source, info.sha, dest)
    try:
        hub.snapshot_download(
            entry.source, revision=info.sha, local_dir=dest, allow_patterns=wanted
        )
    except Exception as exc:  # noqa: BLE001
        raise FetchError(
            f"downloading {entry.source} at {info.sha} failed: {_reason(exc)}. {hint}"
        ) from None
    if entry.files is not None:
        checks = check_recorded(dest, entry.files)
    else:
        checks = [_check_against_hub(dest / name, siblings[name]) for name in wanted]
    bad = [c for c in checks if not c.ok]
    if bad:
        raise FetchError(
            f"{entry.name} in {dest} does not verify: "
            + "; ".join(f"{c.name}: {c.detail}" for c in bad)
        )
    if record:
        record_entry(manifest or default_manifest(), entry.name, info.sha, dest, wanted)
    return checks


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).strip().rstrip('.')}"


def _check_against_hub(path: Path, sibling: Any) -> FileCheck:
    if not path.is_file():
        return FileCheck(path.name, False, "missing after download")
    actual = sha256_file(path)
    size = path.stat().st_size
    lfs = getattr(sibling, "lfs", None)
    if lfs is not None:
        expected = lfs.sha256 if hasattr(lfs, "sha256") else lfs["sha256"]
        ok = actual == expected
        detail = "sha256 matches the Hub's LFS record" if ok else f"sha256 {actual} != {expected}"
        return FileCheck(path.name, ok, detail, actual, size)
    blob = getattr(sibling, "blob_id", None)
    if blob:
        ok = git_blob_sha1(path) == blob
        detail = "git blob id matches the Hub" if ok else f"git blob id differs from {blob}"
        return FileCheck(path.name, ok, detail, actual, size)
    return FileCheck(path.name, False, "the Hub published no hash to check against", actual, size)


def record_entry(
    manifest: str | Path, name: str, revision: str, directory: Path, files: Sequence[str]
) -> None:
    """Write the commit and the SHA-256 of ``files`` into the manifest entry ``name``."""
    path = Path(manifest)
    raw = json.loads(path.read_text(encoding="utf-8"))
    for item in raw["models"]:
        if item["name"] == name:
            item["revision"] = revision
            item["files"] = {
                f: {"sha256": sha256_file(directory / f), "size": (directory / f).stat().st_size}
                for f in sorted(files)
            }
            break
    else:
        raise FetchError(f"{path} has no model named {name!r}")
    path.write_text(json.dumps(raw, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    _LOGGER.info("recorded %s at %s in %s", name, revision, path)


def verify(directory: str | Path, entry: ModelEntry | None) -> tuple[str, list[FileCheck]]:
    """Check a checkpoint directory: its structure, and its files against the manifest.

    Returns the model label and the file checks (empty when the manifest records no hashes
    for it). Raises ``ModelLoadError`` when the directory is not a usable checkpoint.
    """
    from newsfuse.modeling import inspect_checkpoint

    info = inspect_checkpoint(directory)
    if entry is None or entry.files is None:
        return info.label, []
    return info.label, check_recorded(info.path, entry.files)


# -- command line ---------------------------------------------------------------------------


def register(subparsers: Any) -> None:
    """Add ``newsfuse models list|fetch|verify`` to the ``newsfuse`` command."""
    models = subparsers.add_parser("models", help="list, fetch and verify seq2seq checkpoints")
    models.add_argument(
        "--manifest", type=Path, help="manifest file (default models/manifest.json)"
    )
    sub = models.add_subparsers(dest="models_command", required=True)

    p = sub.add_parser("list", help="the known checkpoints and which are present locally")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("fetch", help="download a checkpoint into models/NAME and verify it")
    p.add_argument("name", metavar="NAME")
    p.add_argument(
        "--dest", type=Path, metavar="DIR", help="target directory (default models/NAME)"
    )
    p.add_argument(
        "--record",
        action="store_true",
        help="write the commit and the files' SHA-256 into the manifest (default off)",
    )
    p.set_defaults(func=_cmd_fetch)

    p = sub.add_parser("verify", help="check a checkpoint directory (and its recorded hashes)")
    p.add_argument("directory", type=Path, metavar="DIR")
    p.add_argument("--name", help="manifest entry to check against (default: the DIR's name)")
    p.add_argument(
        "--load", action="store_true", help="also load it and generate a few tokens (default off)"
    )
    p.set_defaults(func=_cmd_verify)


def _entry(entries: dict[str, ModelEntry], name: str) -> ModelEntry:
    if name not in entries:
        known = ", ".join(entries)
        raise InvalidInput("NAME", f"no model named {name!r} in the manifest; known: {known}")
    return entries[name]


def _cmd_list(args: argparse.Namespace) -> int:
    entries = load_manifest(args.manifest)
    root = (args.manifest.parent if args.manifest else repo_root_models()).resolve()
    rows = [("name", "family", "params", "download", "licence", "hashes", "local", "use")]
    for e in entries.values():
        local = root / e.name
        rows.append(
            (
                e.name,
                e.family,
                f"{e.parameters_millions}M",
                f"{e.download_mb / 1000:.1f} GB",
                e.licence,
                "recorded" if e.files else "at fetch",
                "yes" if (local / "config.json").is_file() else "no",
                e.use,
            )
        )
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [str(c).ljust(w) for c, w in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]).rstrip())
    print(f"\nfetch one with: newsfuse models fetch NAME   (into {root}/NAME)")
    return 0


def _cmd_fetch(args: argparse.Namespace) -> int:
    manifest = args.manifest or default_manifest()
    entry = _entry(load_manifest(manifest), args.name)
    dest = args.dest or Path(manifest).resolve().parent / entry.name
    checks = fetch(entry, dest, manifest=manifest, record=args.record)
    for c in checks:
        print(f"ok  {c.name}: {c.detail}")
    print(f"{entry.name} is in {dest}; use it with --model {dest} (or NEWSFUSE_MODEL={dest})")
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    entries = (
        load_manifest(args.manifest) if (args.manifest or default_manifest().is_file()) else {}
    )
    name = args.name or args.directory.resolve().name
    if args.name:
        _entry(entries, args.name)
    entry = entries.get(name)
    label, checks = verify(args.directory, entry)
    print(f"{args.directory}: a loadable layout for {label}")
    for c in checks:
        print(f"{'ok ' if c.ok else 'BAD'} {c.name}: {c.detail}")
    if entry is None:
        print(f"(no manifest entry named {name!r}: file hashes not checked)")
    elif not checks:
        print(f"(the manifest records no hashes for {name!r} yet: fetch it with --record)")
    if args.load:
        from newsfuse.embed import HashingEmbedder
        from newsfuse.fuse.seq2seq import Seq2SeqFuser
        from newsfuse.modeling import load_model
        from newsfuse.settings import Settings
        from newsfuse.support import SupportScorer

        settings = Settings.from_env(model=str(args.directory))
        model = load_model(args.directory, device=settings.device, threads=settings.threads)
        # The warm-up only generates: grounding (embedder, scorer) is not exercised.
        Seq2SeqFuser(model, settings, HashingEmbedder(), SupportScorer()).warmup()
        print(f"loaded on {model.device} ({model.dtype}) and generated")
    if any(not c.ok for c in checks):
        print(f"newsfuse: error: {args.directory} does not match the manifest", file=sys.stderr)
        return 1
    return 0
