import pytest

from bot.images import ImageRef, InvalidImageReference, parse_image

DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("api", ImageRef(None, "api", None, None)),
        ("api:1.4.2", ImageRef(None, "api", "1.4.2", None)),
        ("shop/api:v1_rc-2", ImageRef(None, "shop/api", "v1_rc-2", None)),
        (
            "registry.example.com/shop/api:1.4.2",
            ImageRef("registry.example.com", "shop/api", "1.4.2", None),
        ),
        ("localhost:5000/api", ImageRef("localhost:5000", "api", None, None)),
        ("localhost/api:1", ImageRef("localhost", "api", "1", None)),
        (
            f"registry.example.com:443/shop/api:1.4.2@{DIGEST}",
            ImageRef("registry.example.com:443", "shop/api", "1.4.2", DIGEST),
        ),
        (f"shop/api@{DIGEST}", ImageRef(None, "shop/api", None, DIGEST)),
        ("a/b__c/d-e.f:" + "x" * 128, ImageRef(None, "a/b__c/d-e.f", "x" * 128, None)),
    ],
)
def test_valid_references_parse_into_parts(text: str, expected: ImageRef) -> None:
    parsed = parse_image(text)
    assert parsed == expected
    assert str(parsed) == text


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ("api 1.0", "whitespace"),
        ("api:1.0\n", "whitespace"),
        ("api\x00", "control characters"),
        ("-api", "starts with '-'"),
        ("api;rm -rf /", "whitespace"),
        ("api;rm", "never part of an image: ;"),
        ("api$(id)", "never part of an image"),
        ("api`id`", "never part of an image"),
        ("api|x", "never part of an image"),
        ("shop/Api:1", "must be lower-case"),
        ("registry.example.com/Shop/api", "must be lower-case"),
        ("api:", "followed by a tag"),
        ("api:" + "x" * 129, "longer than 128"),
        ("api:.hidden", "not a valid tag"),
        ("api@sha256:abc", "64 lower-case hex"),
        ("api@md5:" + "a" * 32, "64 lower-case hex"),
        ("api@", "followed by a digest"),
        ("api//x", "not a valid repository path component"),
        ("api_/x", "not a valid repository path component"),
        ("a" * 600, "longer than 512"),
        ("a/" * 130 + "a", "longer than 255"),
        ("ré/api", "non-ASCII"),
        ("bad_host.com:x/api", "not a valid registry"),
    ],
)
def test_malformed_references_are_refused_with_the_reason(text: str, problem: str) -> None:
    with pytest.raises(InvalidImageReference) as caught:
        parse_image(text)
    assert problem in str(caught.value)
    assert "an image reference is [registry[:port]/]path" in str(caught.value)


def test_repository_name_drops_tag_and_digest() -> None:
    ref = parse_image(f"registry.example.com/shop/api:1.4.2@{DIGEST}")
    assert ref.repository_name == "registry.example.com/shop/api"
    assert ref.is_pinned
    assert ref.belongs_to("registry.example.com/shop/api")
    assert not ref.belongs_to("registry.example.com/shop/web")


def test_docker_hub_names_normalize() -> None:
    assert parse_image("nginx:1.27").belongs_to("docker.io/library/nginx")
    assert parse_image("docker.io/library/nginx").normalized_repository_name == (
        "docker.io/library/nginx"
    )
    assert not parse_image("nginx").is_pinned
