"""Container image references, parsed and refused before anything reaches a cluster.

The grammar is distribution/reference's (`[registry[:port]/]path[:tag][@digest]`). An image
string travels from Slack, CI webhooks and the config file into a Deployment patch, so every
refusal says exactly what is allowed instead of letting the API server (or a shell) guess.
This module must not import kubernetes: the Slack workflow validates images too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_REFERENCE_LENGTH = 512
MAX_NAME_LENGTH = 255
MAX_TAG_LENGTH = 128
DEFAULT_REGISTRY = "docker.io"

_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[_.]|__|-+)"
_PATH_COMPONENT = re.compile(rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*")
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = re.compile(rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*(?::[0-9]+)?")
_TAG = re.compile(r"[\w][\w.-]*")
_SHA256 = re.compile(r"sha256:[0-9a-f]{64}")
_SHELL_METACHARACTERS = frozenset(";|&$`<>(){}[]'\"\\*?!~#%^=, ")

ALLOWED = (
    "an image reference is [registry[:port]/]path[:tag][@sha256:<64 hex digits>], "
    "e.g. registry.example.com/shop/api:1.4.2 or registry.example.com/shop/api@sha256:…; "
    "path components are lower-case letters and digits separated by '.', '_', '__' or '-', "
    f"a tag is at most {MAX_TAG_LENGTH} letters, digits, '_', '.' or '-' and does not start "
    "with '.' or '-'"
)


class InvalidImageReference(ValueError):
    """The image string cannot be deployed; the message says why and what is allowed."""

    def __init__(self, reference: str, problem: str) -> None:
        shown = reference if len(reference) <= 80 else reference[:77] + "..."
        super().__init__(f"invalid image reference {shown!r}: {problem}; {ALLOWED}")
        self.reference = reference
        self.problem = problem


@dataclass(frozen=True)
class ImageRef:
    """A parsed image reference; ``str()`` gives back the canonical text."""

    registry: str | None
    repository: str
    tag: str | None
    digest: str | None

    @property
    def repository_name(self) -> str:
        """Registry and path without tag or digest, as written in configuration."""
        return f"{self.registry}/{self.repository}" if self.registry else self.repository

    @property
    def normalized_repository_name(self) -> str:
        """The repository name as Docker resolves it (``api`` → ``docker.io/library/api``)."""
        registry = self.registry or DEFAULT_REGISTRY
        if registry in ("index.docker.io", "registry-1.docker.io"):
            registry = DEFAULT_REGISTRY
        path = self.repository
        if registry == DEFAULT_REGISTRY and "/" not in path:
            path = f"library/{path}"
        return f"{registry}/{path}"

    def belongs_to(self, repository: str) -> bool:
        """Whether this image comes from ``repository`` (a configured name, no tag/digest)."""
        return parse_image(repository).normalized_repository_name == (
            self.normalized_repository_name
        )

    @property
    def is_pinned(self) -> bool:
        return self.digest is not None

    def __str__(self) -> str:
        text = self.repository_name
        if self.tag is not None:
            text += f":{self.tag}"
        if self.digest is not None:
            text += f"@{self.digest}"
        return text


def parse_image(reference: str) -> ImageRef:
    """Parse ``reference`` or raise :class:`InvalidImageReference` saying what is wrong."""
    _refuse_dangerous(reference)
    name, _, digest = reference.partition("@")
    if "@" in reference and not digest:
        raise InvalidImageReference(reference, "'@' must be followed by a digest")
    if digest and not _SHA256.fullmatch(digest):
        raise InvalidImageReference(
            reference, "the digest must be 'sha256:' followed by 64 lower-case hex digits"
        )
    registry, path, tag = _split_name(reference, name)
    if len(name if tag is None else name[: -len(tag) - 1]) > MAX_NAME_LENGTH:
        raise InvalidImageReference(
            reference, f"the repository name is longer than {MAX_NAME_LENGTH} characters"
        )
    return ImageRef(registry=registry, repository=path, tag=tag, digest=digest or None)


def _refuse_dangerous(reference: str) -> None:
    if not reference:
        raise InvalidImageReference(reference, "it is empty")
    if len(reference) > MAX_REFERENCE_LENGTH:
        raise InvalidImageReference(
            reference, f"it is longer than {MAX_REFERENCE_LENGTH} characters"
        )
    if any(ch.isspace() for ch in reference):
        raise InvalidImageReference(reference, "it contains whitespace")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in reference):
        raise InvalidImageReference(reference, "it contains control characters")
    if not reference.isascii():
        raise InvalidImageReference(reference, "it contains non-ASCII characters")
    if reference.startswith("-"):
        raise InvalidImageReference(reference, "it starts with '-'")
    bad = sorted({ch for ch in reference if ch in _SHELL_METACHARACTERS})
    if bad:
        raise InvalidImageReference(
            reference, f"it contains characters that are never part of an image: {''.join(bad)}"
        )


def _split_name(reference: str, name: str) -> tuple[str | None, str, str | None]:
    if not name:
        raise InvalidImageReference(reference, "the repository name is missing")
    first, slash, rest = name.partition("/")
    registry: str | None = None
    remainder = name
    if slash and ("." in first or ":" in first or first == "localhost" or first != first.lower()):
        if not _HOST.fullmatch(first):
            raise InvalidImageReference(reference, f"{first!r} is not a valid registry host[:port]")
        registry, remainder = first, rest
    path, colon, tag = remainder.rpartition(":") if ":" in remainder else (remainder, "", "")
    if colon:
        if not tag:
            raise InvalidImageReference(reference, "':' must be followed by a tag")
        if len(tag) > MAX_TAG_LENGTH:
            raise InvalidImageReference(
                reference, f"the tag is longer than {MAX_TAG_LENGTH} characters"
            )
        if not _TAG.fullmatch(tag):
            raise InvalidImageReference(reference, f"{tag!r} is not a valid tag")
    if not path:
        raise InvalidImageReference(reference, "the repository path is missing")
    for component in path.split("/"):
        if component != component.lower():
            raise InvalidImageReference(
                reference, f"repository path component {component!r} must be lower-case"
            )
        if not _PATH_COMPONENT.fullmatch(component):
            raise InvalidImageReference(
                reference, f"{component!r} is not a valid repository path component"
            )
    return registry, path, tag if colon else None
