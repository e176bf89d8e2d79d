"""The secret registry is the last line of defence: every writer passes text through it."""

from __future__ import annotations

import io
import logging

from odc_pipeline.redaction import MASK, RedactingFilter, SecretRegistry, redact_tree


def test_registered_secrets_are_masked_longest_first():
    registry = SecretRegistry()
    registry.register("s3cr3t")
    registry.register("s3cr3t-extended")
    assert registry.redact("a s3cr3t-extended b s3cr3t c") == f"a {MASK} b {MASK} c"


def test_multiline_secrets_are_masked_line_by_line_too():
    registry = SecretRegistry()
    registry.register("line-one\nline-two")
    assert registry.redact("got line-two here") == f"got {MASK} here"


def test_short_values_are_not_treated_as_secrets():
    registry = SecretRegistry()
    registry.register("ab")
    assert registry.redact("ab cab") == "ab cab"
    assert "ab" not in registry


def test_listeners_hear_each_secret_once_and_replay_known_ones():
    registry = SecretRegistry()
    registry.register("first-secret")
    heard: list[str] = []
    registry.subscribe(heard.append)
    registry.register("second-secret")
    registry.register("second-secret")
    assert heard == ["first-secret", "second-secret"]
    registry.unsubscribe(heard.append)
    registry.register("third-secret")
    assert heard == ["first-secret", "second-secret"]


def test_logging_filter_masks_arguments_and_tracebacks():
    registry = SecretRegistry()
    registry.register("tok-123456")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter(registry))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("token is %s", "tok-123456")
        try:
            raise ValueError("bad tok-123456")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "tok-123456" not in text
    assert text.count(MASK) >= 3


def test_redact_tree_masks_strings_and_keys_and_keeps_other_values():
    registry = SecretRegistry()
    registry.register('s3"cr\\et')
    tree = {'k-s3"cr\\et': ['a s3"cr\\et', 1, None, ('s3"cr\\et',)], "n": 2.5}
    assert redact_tree(tree, registry) == {f"k-{MASK}": [f"a {MASK}", 1, None, [MASK]], "n": 2.5}


def test_escaped_spellings_of_a_secret_are_masked_too():
    """JSON encoding and repr() rewrite quotes and backslashes; the secret must still not show."""
    import json

    registry = SecretRegistry()
    secret = 'pa"ss\\wörd\tx'
    registry.register(secret)
    for text in (
        json.dumps({"k": secret}),
        json.dumps([secret], ensure_ascii=False),
        f"bad value {secret!r}",
    ):
        redacted = registry.redact(text)
        assert "pa" not in redacted.replace("***", ""), redacted
