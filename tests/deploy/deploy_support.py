"""Readers for the deployment files (Dockerfile, .dockerignore, compose.yaml, deploy/*).

There is no Docker engine where these tests run, so the files are read the way Docker and
Compose read them (instructions, build-time substitution, ignore patterns, interpolation)
and the commands they run are run here, outside a container.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import re
import shlex
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
COMPOSE_FILE = REPO / "compose.yaml"
ENVOY_FILE = REPO / "deploy" / "envoy.yaml"
PROMETHEUS_FILE = REPO / "deploy" / "prometheus.yml"


# --- Dockerfile ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Instruction:
    keyword: str
    """Upper-case instruction name (``RUN``, ``COPY``, ...)."""
    args: str
    """Everything after the keyword, continuation lines joined."""
    line: int

    def exec_form(self) -> list[str] | None:
        """The JSON array of an exec-form ``CMD``/``ENTRYPOINT``/``RUN``, else ``None``."""
        text = self.args.strip()
        if not text.startswith("["):
            return None
        value = json.loads(text)
        assert isinstance(value, list) and all(isinstance(v, str) for v in value), self
        return value

    def flags(self) -> dict[str, str]:
        """Leading ``--name=value`` options (``COPY --from=``, ``HEALTHCHECK --interval=``)."""
        found = {}
        for token in self.args.split():
            if not token.startswith("--"):
                break
            name, _, value = token[2:].partition("=")
            found[name] = value
        return found

    def without_flags(self) -> str:
        tokens = self.args.split(" ")
        while tokens and (tokens[0].startswith("--") or tokens[0] == ""):
            tokens.pop(0)
        return " ".join(tokens)


@dataclass(slots=True)
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def args(self) -> dict[str, str | None]:
        """``ARG`` names declared in this stage with their defaults (``None``: no default)."""
        return _arg_defaults(self.all("ARG"))


@dataclass(slots=True)
class Dockerfile:
    global_args: dict[str, str | None]
    stages: list[Stage]

    def stage(self, name: str) -> Stage:
        matches = [s for s in self.stages if s.name == name]
        assert matches, f"Dockerfile has no stage named {name!r}"
        return matches[0]

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    def root_image(self, stage: Stage) -> str:
        """The external image a stage finally builds on (following ``FROM <stage>``)."""
        names = {s.name: s for s in self.stages if s.name}
        base = stage.base
        while base in names:
            base = names[base].base
        return base

    def env(self, stage: Stage, build_args: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment a stage ends with, ``ENV`` by ``ENV`` as the builder computes it.

        Only what the Dockerfile sets (plus the ``PATH`` of the base, as ``$PATH``): build
        arguments are the declared defaults, overridden by ``build_args``.
        """
        build_args = dict(build_args or {})
        chain = []
        names = {s.name: s for s in self.stages if s.name}
        current: Stage | None = stage
        while current is not None:
            chain.append(current)
            current = names.get(current.base)
        env: dict[str, str] = {"PATH": "$PATH"}
        for current in reversed(chain):
            # ARGs are scoped to their stage; ENV is inherited from the parent stage.
            args: dict[str, str] = {}
            for instruction in current.instructions:
                if instruction.keyword == "ARG":
                    for name, default in _arg_defaults([instruction]).items():
                        value = build_args.get(name, default)
                        if value is not None:
                            args[name] = value
                elif instruction.keyword == "ENV":
                    scope = {**args, **env}
                    for name, raw in _env_pairs(instruction.args):
                        env[name] = substitute(raw, scope)
        return env


def parse_dockerfile(text: str) -> Dockerfile:
    """Instructions grouped by stage; comments dropped and ``\\`` continuations joined."""
    instructions: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # comment lines inside a continuation are dropped, as Docker does
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1].strip())
            continue
        pending.append(stripped)
        joined = " ".join(part for part in pending if part)
        pending = []
        keyword, _, args = joined.partition(" ")
        instructions.append(Instruction(keyword.upper(), args.strip(), start))
    assert not pending, "Dockerfile ends inside a line continuation"

    global_args: dict[str, str | None] = {}
    stages: list[Stage] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            words = instruction.without_flags().split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            base = substitute(words[0], {k: v for k, v in global_args.items() if v is not None})
            stages.append(Stage(base=base, name=name))
        elif not stages:
            assert instruction.keyword == "ARG", f"only ARG may precede FROM: {instruction}"
            global_args.update(_arg_defaults([instruction]))
        else:
            stages[-1].instructions.append(instruction)
    return Dockerfile(global_args, stages)


def _arg_defaults(instructions: list[Instruction]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for instruction in instructions:
        for token in shlex.split(instruction.args):
            name, equals, default = token.partition("=")
            found[name] = default if equals else None
    return found


def _env_pairs(args: str) -> list[tuple[str, str]]:
    lexer = shlex.shlex(args, posix=True, punctuation_chars=False)
    lexer.whitespace_split = True
    lexer.escape = ""  # keep backslashes; quotes still group and are removed
    tokens = list(lexer)
    if tokens and "=" not in tokens[0]:  # legacy ``ENV NAME value``
        return [(tokens[0], " ".join(tokens[1:]))]
    return [tuple(token.split("=", 1)) for token in tokens]  # type: ignore[misc]


_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_SUBSTITUTION = re.compile(rf"\$(?:\{{(?P<braced>{_NAME})(?P<op>:?[-+])?|(?P<bare>{_NAME}))")


def substitute(text: str, scope: Mapping[str, str]) -> str:
    """Dockerfile/compose variable substitution: ``$X``, ``${X}``, ``${X:-w}``, ``${X:+w}``
    (and ``-``/``+`` without the colon), with nested substitutions inside ``w``; a variable
    missing from ``scope`` is left as written (as the builder does with ``$PATH``)."""
    out: list[str] = []
    position = 0
    while True:
        match = _SUBSTITUTION.search(text, position)
        if match is None:
            out.append(text[position:])
            return "".join(out)
        out.append(text[position : match.start()])
        if match.group("bare"):
            name = match.group("bare")
            out.append(scope.get(name, match.group(0)))
            position = match.end()
            continue
        name, op = match.group("braced"), match.group("op")
        word_start = match.end()
        depth, end = 1, word_start
        while depth:
            assert end < len(text), f"unclosed ${{ in {text!r}"
            if text.startswith("${", end):
                depth += 1
                end += 2
                continue
            if text[end] == "}":
                depth -= 1
            end += 1
        word = substitute(text[word_start : end - 1], scope)
        value = scope.get(name)
        empty = value is None or (op is not None and op.startswith(":") and value == "")
        if op is None:
            assert word == "", f"unsupported substitution in {text!r}"
            out.append(value if value is not None else text[match.start() : end])
        elif op.endswith("-"):
            out.append(word if empty else value)  # type: ignore[arg-type]
        else:
            out.append("" if empty else word)
        position = end


# --- .dockerignore ------------------------------------------------------------------------


def read_dockerignore(text: str) -> list[str]:
    patterns = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        body = line[1:].strip() if negated else line
        # Docker cleans each pattern like a path: leading and trailing "/" are dropped.
        body = os.path.normpath(body.strip("/")) if body.strip("/") else "."
        patterns.append(("!" if negated else "") + body)
    return patterns


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            if pattern.startswith("/", i):  # "**/" also matches no directory at all
                out[-1] = "(?:.*/)?"
                i += 1
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def dockerignore_excludes(patterns: list[str], path: str) -> bool:
    """Whether ``path`` (relative, ``/``-separated) stays out of the build context.

    Docker's rule: the last pattern matching the path or one of its parent directories
    decides; ``!`` patterns re-include.
    """
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        regex = _pattern_regex(pattern[1:] if negated else pattern)
        if any(regex.match(candidate) for candidate in candidates):
            excluded = not negated
    return excluded


# --- Envoy -------------------------------------------------------------------------------


def import_envoy_types(value: Any) -> None:
    """Import the generated modules of every ``@type`` so Any fields can be parsed."""
    if isinstance(value, dict):
        if "@type" in value:
            package = value["@type"].split("/", 1)[1].rsplit(".", 1)[0]
            module = importlib.import_module(package)
            for info in pkgutil.iter_modules(module.__path__):
                if info.name.endswith("_pb2"):
                    importlib.import_module(f"{package}.{info.name}")
        for item in value.values():
            import_envoy_types(item)
    elif isinstance(value, list):
        for item in value:
            import_envoy_types(item)


# --- compose ------------------------------------------------------------------------------


def interpolate(value: Any, environ: Mapping[str, str]) -> Any:
    """Compose's ``${VAR}``/``${VAR:-default}`` interpolation over a parsed YAML tree."""
    if isinstance(value, dict):
        return {k: interpolate(v, environ) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, environ) for v in value]
    if isinstance(value, str):
        unescaped = value.replace("$$", "\0")
        return substitute(unescaped, environ).replace("\0", "$")
    return value


def compose_cli() -> list[str] | None:
    """``docker compose`` (v2 plugin) or ``docker-compose`` (v1, Debian package), if any."""
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run(
            [docker, "compose", "version"], capture_output=True, text=True, check=False
        )
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def clean_environ() -> dict[str, str]:
    """The caller's environment without anything that would change what compose renders."""
    prefixes = ("NEWSFUSE_", "COMPOSE_", "DOCKER_", "ENVOY_", "PROMETHEUS_")
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


def run_compose_config(*extra: str) -> subprocess.CompletedProcess[str]:
    cli = compose_cli()
    assert cli is not None
    return subprocess.run(
        [*cli, "--project-directory", str(REPO), "-f", str(COMPOSE_FILE), *extra, "config"],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        env=clean_environ(),
        timeout=120,
    )


def copy_build_context(source: Path, dest: Path, patterns: list[str]) -> list[str]:
    """Copy what ``docker build`` would send as the context; returns the relative paths."""
    reincluded = [p[1:] for p in patterns if p.startswith("!")]
    copied = []
    for root, dirs, files in os.walk(source):
        relative_root = Path(root).relative_to(source).as_posix()
        prefix = "" if relative_root == "." else f"{relative_root}/"
        # skip excluded directories unless an exception pattern may re-include below them
        dirs[:] = [
            d
            for d in dirs
            if not dockerignore_excludes(patterns, prefix + d)
            or any(p.startswith(prefix + d + "/") for p in reincluded)
        ]
        for name in files:
            relative = prefix + name
            if dockerignore_excludes(patterns, relative):
                continue
            target = dest / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(Path(root) / name, target)
            copied.append(relative)
    return copied
