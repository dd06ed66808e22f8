"""The hidden reporter's blanking: a text that cannot hold their identity is passed over without a pattern."""

from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from workflow.services import redaction
from workflow.services.redaction import REDACTED, redact

REPORTER = SimpleNamespace(reporter_name="Ni Wayan Sekarwangi", reporter_email="wayan.rahasia@example.id",
                           reporter_phone="0813-7777-0001")
# Letters whose case folding is unusual (dotted I, sharp s, long s, Kelvin sign, final sigma), other scripts'
# digits, and the separators people type in numbers and names.
TRICKY = "aiIİıßſsSKkσςΣéÉ0813٣7 .-()@+\n"


def full_pattern(reporter, text):
    """Blank ``text`` with the reporter's pattern, always compiling it (what redact did before)."""
    return redaction._identity_pattern(reporter.reporter_name, reporter.reporter_email,
                                       reporter.reporter_phone).sub(REDACTED, text)


def test_a_text_without_a_number_or_a_word_of_the_identity_is_left_as_it_is_without_a_pattern():
    redaction._identity_pattern.cache_clear()

    text = "Jalan berlubang di depan pasar No. 12, Wayang (laporan 3), mohon segera diperbaiki."

    assert redact(REPORTER, text) == text
    assert redaction._identity_pattern.cache_info().misses == 0
    said = "Bu SEKARWANGI menelepon dari 0813 7777 0001."
    assert redact(REPORTER, said) == f"Bu {REDACTED} menelepon dari {REDACTED}."
    assert redaction._identity_pattern.cache_info().misses == 1


@settings(max_examples=400, deadline=None)
@given(name=st.text(TRICKY, max_size=12), email=st.text(TRICKY, max_size=8),
       phone=st.text("0123456789 +-", max_size=14), text=st.text(TRICKY + "0123456789" * 3, max_size=40))
def test_passing_a_text_over_never_leaves_what_the_pattern_would_blank(name, email, phone, text):
    reporter = SimpleNamespace(reporter_name=name, reporter_email=email, reporter_phone=phone)

    assert redact(reporter, text) == full_pattern(reporter, text)


@settings(max_examples=200, deadline=None)
@given(before=st.text(TRICKY, max_size=10), after=st.text(TRICKY, max_size=10),
       word=st.sampled_from(["Sekarwangi", "SEKARWANGI", "sekarwangi", "Wayan", "WAYAN.RAHASIA@EXAMPLE.ID"]))
def test_a_word_of_the_name_or_the_email_in_any_case_is_blanked(before, after, word):
    text = f"{before} {word} {after}"

    assert redact(REPORTER, text) == full_pattern(REPORTER, text)
    assert word.casefold() not in redact(REPORTER, text).casefold()
