"""SMS segments (pure rules): GSM-7 / UCS-2, extension characters, emoji, trimming,
the 660-character limit and the carriers' estimates of seed 003."""
from __future__ import annotations

import pytest

from portal.workflow.segments import MAX_CHARACTERS, count_sms, prepare_sms

EMOJI = "\U0001F4DA"  # 📚, outside the BMP: two UTF-16 code units

# (text, encoding, characters, units, segments)
CASES = [
    ("", "GSM-7", 0, 0, 0),
    ("a", "GSM-7", 1, 1, 1),
    ("a" * 160, "GSM-7", 160, 160, 1),
    ("a" * 161, "GSM-7", 161, 161, 2),
    ("a" * 306, "GSM-7", 306, 306, 2),
    ("a" * 307, "GSM-7", 307, 307, 3),
    ("€" * 80, "GSM-7", 80, 160, 1),  # an extension character takes two septets
    ("€" * 81, "GSM-7", 81, 162, 2),
    ("a" * 159 + "^", "GSM-7", 160, 161, 2),
    ("a" * 158 + "[", "GSM-7", 159, 160, 1),
    ("{}\\[~]|^€", "GSM-7", 9, 18, 1),
    # 152 septets, then "€" (2) cannot fit the first part of 153: it opens part 2
    ("a" * 152 + "€" + "a" * 10, "GSM-7", 163, 164, 2),
    ("a" * 152 + "€" + "a" * 152, "GSM-7", 305, 306, 3),
    ("Ça va? £5 @ 12:00", "GSM-7", 17, 17, 1),
    ("あ", "UCS-2", 1, 1, 1),
    ("あ" * 70, "UCS-2", 70, 70, 1),
    ("あ" * 71, "UCS-2", 71, 71, 2),
    ("あ" * 134, "UCS-2", 134, 134, 2),
    ("あ" * 135, "UCS-2", 135, 135, 3),
    ("a" * 69 + "é", "GSM-7", 70, 70, 1),
    ("a" * 160 + "あ", "UCS-2", 161, 161, 3),  # one non-GSM character switches the whole text
    (EMOJI, "UCS-2", 2, 2, 1),
    (EMOJI * 35, "UCS-2", 70, 70, 1),
    (EMOJI * 36, "UCS-2", 72, 72, 2),
    ("あ" * 66 + EMOJI + "あ", "UCS-2", 69, 69, 1),
    # 66 units then an emoji (2) cannot fit part 1 of 67: the pair is never split
    ("あ" * 66 + EMOJI + "あ" * 5, "UCS-2", 73, 73, 2),
    ("あ" * 66 + EMOJI + "あ" * 66, "UCS-2", 134, 134, 3),
    ("ｶﾀｶﾅ", "UCS-2", 4, 4, 1),
]


@pytest.mark.parametrize("text, encoding, characters, units, segments", CASES)
def test_segments(text, encoding, characters, units, segments):
    count = count_sms(text)
    assert (count.encoding, count.characters, count.units, count.segments) == (encoding, characters, units, segments)


@pytest.mark.parametrize("raw, sent", [
    ("\n\n  お知らせ\n本文\t \n\n", "お知らせ\n本文"),
    ("\t\t hello \t", "hello"),
    ("\r\n\r\nline 1\r\nline 2\r\n", "line 1\nline 2"),
    ("\u3000全角スペース\u3000", "全角スペース"),
    (" inner  spaces\tstay ", "inner  spaces\tstay"),
    (" \n\t ", ""),
])
def test_trimming(raw, sent):
    assert prepare_sms(raw) == sent
    assert count_sms(raw).text == sent


def test_trimmed_text_is_what_is_counted():
    assert count_sms("\n\n" + "a" * 160 + "  \n").segments == 1
    assert count_sms("\r\n".join(["a" * 79, "a" * 79])).units == 159  # CRLF counts as one LF


@pytest.mark.parametrize("characters, docomo, au, softbank", [
    (0, 0, 0, 0),
    (1, 1, 1, 1),
    (70, 1, 1, 1),
    (71, 2, 2, 1),
    (132, 2, 2, 1),
    (133, 3, 2, 1),
    (134, 3, 2, 1),
    (135, 3, 3, 1),
    (198, 3, 3, 1),
    (199, 4, 3, 1),  # seed 003: docomo 199-264 characters = 4 messages
    (201, 4, 3, 1),  # seed 003: a 201-character body is docomo 4, au 3, SoftBank 1
    (202, 4, 4, 1),
    (264, 4, 4, 1),
    (265, 5, 4, 1),
    (660, 10, 10, 1),
])
def test_carrier_estimates(characters, docomo, au, softbank):
    count = count_sms("あ" * characters)
    assert count.carriers == {"docomo": docomo, "au": au, "softbank": softbank}


def test_limit_of_660_characters():
    assert not count_sms("あ" * MAX_CHARACTERS).too_long
    assert count_sms("あ" * (MAX_CHARACTERS + 1)).too_long
    assert count_sms(EMOJI * 330).characters == 660 and not count_sms(EMOJI * 330).too_long
    assert count_sms(EMOJI * 331).too_long  # an emoji counts two toward the limit too
    assert not count_sms("  " + "a" * MAX_CHARACTERS + "\n\n").too_long  # trimmed before the limit
