"""The hidden reporter's blanking: a text is matched only with the alternatives that can occur in it."""

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
    """Blank ``text`` with every alternative of the reporter's pattern (what redact did before)."""
    national = redaction._national_digits(reporter.reporter_phone)
    return redaction._identity_pattern(reporter.reporter_name, reporter.reporter_email,
                                       national if len(national) >= redaction.SHORTEST_NUMBER else "",
                                       True).sub(REDACTED, text)


def test_the_phone_is_compiled_into_the_pattern_only_for_a_text_that_holds_its_digits(monkeypatch):
    compiled = []
    monkeypatch.setattr(redaction, "_alternation", lambda alternatives: compiled.append(alternatives) or
                        redaction.re.compile("|".join(alternatives) or "(?!)", redaction.re.IGNORECASE))
    redaction._identity_pattern.cache_clear()

    text = "Jalan berlubang di depan pasar No. 12, Wayang (laporan 3), telepon kantor 0361 777 000 1."

    assert redact(REPORTER, text) == text
    assert not any("7" in alternative for alternative in compiled[-1])
    said = "Bu SEKARWANGI menelepon dari 0813 7777 0001."
    assert redact(REPORTER, said) == f"Bu {REDACTED} menelepon dari {REDACTED}."
    assert any("7" in alternative for alternative in compiled[-1])


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
