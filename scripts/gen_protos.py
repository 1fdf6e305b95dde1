"""Generate the Python gRPC code of ``protos/`` into ``service/newsfuse/proto/``.

The generated modules are committed. ``--check`` regenerates into a temporary directory
and exits 1 when the committed files differ (the freshness check run by the tests).

    python scripts/gen_protos.py          # regenerate after editing a .proto
    python scripts/gen_protos.py --check  # fail when the committed code is stale
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "protos"
PACKAGE_DIR = ROOT / "service" / "newsfuse" / "proto"
# proto package directory -> Python subpackage of newsfuse.proto
VERSIONS = {"newsfuse/v1": "v1"}
_HEADER = '"""Generated from protos/{proto} by scripts/gen_protos.py. Do not edit."""\n'


def generate(out: Path) -> list[Path]:
    """Write the generated package tree under ``out``; return the written files."""
    import grpc_tools
    from grpc_tools import protoc

    well_known = Path(grpc_tools.__file__).parent / "_proto"
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as raw_dir:
        raw = Path(raw_dir)
        for proto_dir, subpackage in VERSIONS.items():
            protos = sorted(
                p.relative_to(PROTO_ROOT) for p in (PROTO_ROOT / proto_dir).glob("*.proto")
            )
            args = [
                "grpc_tools.protoc",
                f"-I{PROTO_ROOT}",
                f"-I{well_known}",
                f"--python_out={raw}",
                f"--pyi_out={raw}",
                f"--grpc_python_out={raw}",
                *(str(p) for p in protos),
            ]
            if protoc.main(args) != 0:
                raise SystemExit(f"protoc failed for {proto_dir}")
            target = out / subpackage
            target.mkdir(parents=True, exist_ok=True)
            init = target / "__init__.py"
            init.write_text(f'"""Generated code of the {proto_dir.replace("/", ".")} API."""\n')
            written.append(init)
            # Generated modules import each other as top-level ``newsfuse.v1``, which would
            # collide with our ``newsfuse`` package: make those imports package-relative.
            absolute = re.compile(rf"^from {re.escape(proto_dir.replace('/', '.'))} import ", re.M)
            for path in sorted((raw / proto_dir).iterdir()):
                text = absolute.sub("from . import ", path.read_text())
                proto = f"{proto_dir}/{path.name.split('_pb2')[0]}.proto"
                dest = target / path.name
                dest.write_text(_HEADER.format(proto=proto) + text)
                written.append(dest)
    return written


def check() -> int:
    """Return 0 when the committed generated code matches a fresh generation, else 1."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate(Path(tmp))
        stale = []
        for path in fresh:
            committed = PACKAGE_DIR / path.relative_to(tmp)
            new = path.read_text()
            old = committed.read_text() if committed.is_file() else ""
            if new != old:
                stale.append(committed)
                sys.stderr.writelines(
                    difflib.unified_diff(
                        old.splitlines(True), new.splitlines(True), str(committed), "regenerated"
                    )
                )
    if stale:
        print(
            "stale generated code: "
            + ", ".join(str(p.relative_to(ROOT)) for p in stale)
            + "\nrun: python scripts/gen_protos.py",
            file=sys.stderr,
        )
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when committed code is stale")
    args = parser.parse_args()
    if args.check:
        return check()
    for path in generate(PACKAGE_DIR):
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
