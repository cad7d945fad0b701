"""The search index's terms (workflow.search_terms): pure, table-driven."""
import random

import pytest

from portal.workflow.search_terms import (MOST_RARE_TERMS, access_term, compact_std_no, current_access_term,
                                         document_terms, former_access_term, grams, narrowing_terms, with_archive_state,
                                         word_grams)


@pytest.mark.parametrize("text, expected", [
    ("看護", {"看護"}),
    ("看護学", {"看護", "護学"}),
    ("相互貸借の現状", {"相互", "互貸", "貸借", "借の", "の現", "現状"}),
    ("Nursing", {"nur", "urs", "rsi", "sin", "ing"}),
    ("IT", set()),  # two Latin letters: no term (the search scans)
    ("看", set()),
    ("0385-4000", {"038", "385", "400", "000"}),  # runs of letters and digits: punctuation separates
    ("第2巻", {"第2", "2巻"}),
    ("ab看", {"b看"}),
    ("ABC abc", {"abc"}),  # lower case
    ("", set()),
    ("・「」", set()),
])
def test_grams(text, expected):
    assert grams(text) == expected


def test_document_terms_hold_the_access_of_each_library_once_and_sorted():
    terms = document_terms(["看護研究", "Journal"], [3, 7, None, 3])
    assert terms == sorted(terms)
    assert access_term(3) in terms and access_term(7) in terms and terms.count(access_term(3)) == 1
    assert "看護" in terms and "jou" in terms
    assert not any(term.startswith("_") for term in grams("_v3 __x"))  # an n-gram never looks like access


def test_a_record_not_archived_holds_its_libraries_twice_an_archived_one_once():
    current = document_terms(["看護"], [3, 7])
    archived = document_terms(["看護"], [3, 7], archived=True)
    assert current == sorted(["看護", access_term(3), access_term(7), current_access_term(3), current_access_term(7)])
    assert archived == sorted(["看護", access_term(3), access_term(7)])


def test_a_former_lender_that_is_no_party_has_its_own_term_while_not_archived():
    terms = document_terms(["看護"], [3, 7], former=[7, 9, None])
    assert access_term(9) in terms and current_access_term(9) in terms
    assert [t for t in terms if t.startswith("_w")] == [former_access_term(9)]  # 7 is the lender now
    assert not any(t.startswith("_w") for t in document_terms(["看護"], [3, 7], archived=True, former=[9]))


@pytest.mark.parametrize("archived", [False, True])
def test_with_archive_state_gives_the_terms_of_the_record_in_that_state(archived):
    for before in (False, True):
        terms = document_terms(["看護研究", "Nursing"], [3, 12, None], archived=before, former=[12, 40])
        assert with_archive_state(terms, archived, (3, 12)) == \
            document_terms(["看護研究", "Nursing"], [3, 12], archived=archived, former=[40])


def test_compact_std_no():
    assert compact_std_no("0385-400x") == "0385400X"
    assert compact_std_no("978 4 00") == "978400"


def test_every_substring_terms_are_terms_of_the_text():
    """The property the index rests on: a substring's terms are among its text's (fixed seed)."""
    rng = random.Random(5)
    alphabet = "看護学研究相互貸借のabcAB0129 -・"
    for _ in range(400):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 16)))
        start = rng.randrange(len(text))
        piece = text[start:start + rng.randrange(1, 8)]
        assert grams(piece) <= grams(text), (piece, text)


def test_word_grams_are_the_grams_of_each_word():
    assert word_grams("Journal of 看護") == [grams("journal"), {"看護"}]  # "of": no term
    assert word_grams("") == [] and set().union(*word_grams("相互貸借 Nursing")) == grams("相互貸借 Nursing")


SHARES = {"jou": 0.30, "our": 0.30, "urn": 0.30, "rna": 0.33, "nal": 0.33, "nur": 0.06, "urs": 0.06,
          "rsi": 0.06, "sin": 0.06, "ing": 0.12, "看護": 0.08, "相互": 0.079, "互貸": 0.078, "貸借": 0.079,
          "研究": 0.2, "学会": 0.1, "zzy": 0.005}


@pytest.mark.parametrize("text, expected", [
    ("Journal", {"jou"}),  # one word: its rarest trigram (ties: the first in order)
    ("Nursing", {"nur"}),
    ("看護", {"看護"}),
    ("相互貸借", {"互貸"}),
    ("Journal of Nursing", {"jou", "nur"}),  # a word each, though "our" and "urs" overlap
    ("看護研究学会", {"究学", "護研"}),  # missing from the statistics: rare (the common 看護, 研究 left out)
    ("fuzzy", {"zzy", "fuz", "uzz"}),  # rare ones besides the word's rarest
    ("abcdefghijkl", {"abc", "bcd", "cde", "def", "efg"}),  # at most MOST_RARE_TERMS besides the rarest
])
def test_narrowing_terms_keep_the_rarest_of_each_word_and_the_rare_ones(text, expected):
    terms = grams(text) | {access_term(3), current_access_term(3)}
    kept = narrowing_terms(terms, SHARES, word_grams(text))
    assert kept == expected | {access_term(3), current_access_term(3)}  # access terms always
    assert len(kept - {access_term(3), current_access_term(3)}) <= len(word_grams(text)) + MOST_RARE_TERMS


def test_narrowing_terms_without_statistics_or_words():
    terms = grams("Journal of Nursing") | {access_term(1)}
    assert narrowing_terms(terms, {}) == terms  # no statistics (SQLite, before ANALYZE): every term
    # without the words the overlapping trigrams chain into one group: its rarest alone (still a subset)
    assert narrowing_terms(terms, SHARES) == {"nur", access_term(1)}
    assert narrowing_terms({access_term(1)}, SHARES) == {access_term(1)}
