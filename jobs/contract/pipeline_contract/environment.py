"""The pipeline's environment variables as jobs/contract/variables.json declares them, and the readers
the Python jobs parse them with: each applies the declared default and names the variable in its error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

# jobs/contract/variables.json, beside this package.
VARIABLES_FILE = Path(__file__).resolve().parents[1] / "variables.json"

# How a default names another variable, e.g. "${PIPELINE_TOPIC}.dlq".
_REFERENCE = re.compile(r"\$\{([A-Z0-9_]+)\}")


class ConfigError(ValueError):
    """A pipeline environment variable is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Variable:
    name: str
    default: str | None  # None: required
    read_by: frozenset[str]  # components, as in the declaration's "components"
    set_by_platform: bool
    secret: bool  # also read from the file NAME_FILE names (a swarm mounts secrets as files)


def _load(file: Path) -> dict[str, Variable]:
    try:
        declaration = json.loads(file.read_text(encoding="utf-8"))
        components = set(declaration["components"])
        variables = {
            entry["name"]: Variable(
                entry["name"],
                entry["default"],
                frozenset(entry["readBy"]),
                entry["setByPlatform"],
                entry.get("secret", False) is True,
            )
            for entry in declaration["variables"]
        }
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise RuntimeError(f"cannot read the variables' declaration {file}: {error!r}") from None
    for variable in variables.values():
        if not variable.read_by <= components:
            unknown = sorted(variable.read_by - components)
            raise RuntimeError(f"{file}: {variable.name} is read by undeclared components {unknown}")
    return variables


VARIABLES: Mapping[str, Variable] = _load(VARIABLES_FILE)


def _declared(name: str) -> Variable:
    try:
        return VARIABLES[name]
    except KeyError:
        raise LookupError(f"{name} is not declared in {VARIABLES_FILE}") from None


def _from_file(env: Mapping[str, str], name: str) -> str:
    """Where a swarm puts a secret: the file NAME_FILE names (README, "A swarm of hosts")."""
    file = env.get(f"{name}_FILE", "").strip() if VARIABLES[name].secret else ""
    if not file:
        return ""
    try:
        return Path(file).read_text(encoding="utf-8").strip()
    except OSError as error:
        raise ConfigError(f"{name}_FILE names {file}, which cannot be read ({error.strerror})") from None


def declared_default(env: Mapping[str, str], name: str) -> str | None:
    """name's declared default, with each ${OTHER} replaced by OTHER's value in env; None if required."""
    default = _declared(name).default
    if default is None:
        return None
    return _REFERENCE.sub(lambda reference: text(env, reference.group(1)), default)


def text(env: Mapping[str, str], name: str) -> str:
    """The value, stripped (for a secret, else the content of the file NAME_FILE names), else the default."""
    # Looked up first, so that a job cannot read a variable the declaration does not know.
    _declared(name)
    value = env.get(name, "").strip() or _from_file(env, name)
    if value:
        return value
    default = declared_default(env, name)
    if default is None:
        raise ConfigError(f"{name} is required but not set")
    return default


def integer(env: Mapping[str, str], name: str, minimum: int, maximum: int | None = None) -> int:
    raw = text(env, name)
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        upper = "" if maximum is None else f" and <= {maximum}"
        raise ConfigError(f"{name} must be >= {minimum}{upper}, got {value}")
    return value


def http_url(env: Mapping[str, str], name: str) -> str:
    value = text(env, name)
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        # The value is not echoed: a registry URL may carry credentials.
        raise ConfigError(f"{name} must be an http(s) URL")
    return value
