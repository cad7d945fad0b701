"""The terms of the search index: character n-grams that find every substring a search can ask for.

Free-text search matches a substring of a field in any case (ILIKE '%…%'). The index
keeps, per record, the set of
- CJK (and any non-ASCII) character *bigrams*: Japanese has no spaces, and a
  two-character word such as 看護 must be found;
- ASCII *trigrams* (bigrams of Latin letters and digits are too common to narrow a
  search: "in", "00");
of each run of letters and digits (str.isalnum) of each searchable field, lower-cased.
The same function turns the searched text into terms, and every term of a substring
is a term of the text that contains it: the records holding all of a search's terms
are a superset of the matches, which the original condition then checks (so the
results are exactly those of the LIKE search). A search with no term (one character,
two Latin letters, punctuation) falls back to the plain scan.

Besides the text, a record's terms say who may see it (`access_term`): its requester,
its current lender and every former lender, so that one index lookup also applies
"visible to this library". A record not archived holds each of those libraries a second
time as `current_access_term`: the default search (archived records left out) looks up
that term instead, so the index alone narrows to the visible, unarchived records and the
backfile's candidates are never fetched to be thrown away. A record not archived also holds
its former lenders that are neither its requester nor its lender now as `former_access_term`:
the search of a common word reads the latest records of each side in order and asks the
index only for those (services.search.latest_matches).

The terms of a record not archived also go, one row per current-access library and n-gram, into
`search_postings` with the record's latest change (`posting_pairs`): a single word's latest matches are
then read from the library's rows of the word's rarest n-gram, newest first, however many records the
library has (services.search.postings_of).
"""
from __future__ import annotations

from collections.abc import Iterable

ACCESS_PREFIX = "_v"  # never an n-gram: n-grams are letters and digits only
CURRENT_PREFIX = "_u"  # visible and not archived
FORMER_PREFIX = "_w"  # not archived, visible as a former lender only (neither requester nor lender)


def _lower(char: str) -> str:
    lowered = char.lower()
    return lowered if len(lowered) == 1 else char  # keep positions: İ lowers to two characters


def _runs(text: str) -> list[str]:
    runs, current = [], []
    for char in text:
        if char.isalnum():
            current.append(_lower(char))
        elif current:
            runs.append("".join(current))
            current = []
    if current:
        runs.append("".join(current))
    return runs


def grams(text: str) -> set[str]:
    """The n-gram terms of one text (see the module's docstring)."""
    terms = set()
    for run in _runs(text or ""):
        for i in range(len(run) - 1):
            pair = run[i:i + 2]
            if not pair.isascii():
                terms.add(pair)
            elif i + 2 < len(run) and run[i + 2].isascii():
                terms.add(run[i:i + 3])
    return terms


def word_grams(text: str) -> list[set[str]]:
    """The n-gram terms of each word (run of letters and digits) of a text, word by word."""
    return [terms for terms in (grams(run) for run in _runs(text or "")) if terms]


def access_term(library_id: int) -> str:
    return f"{ACCESS_PREFIX}{int(library_id)}"


def current_access_term(library_id: int) -> str:
    """The term of a record visible to the library and not archived."""
    return f"{CURRENT_PREFIX}{int(library_id)}"


def former_access_term(library_id: int) -> str:
    """The term of a record not archived that the library sees as a former lender only."""
    return f"{FORMER_PREFIX}{int(library_id)}"


def with_archive_state(terms: Iterable[str], archived: bool, parties: Iterable[int | None] = ()) -> list[str]:
    """The terms with the terms that say "not archived" (current and former-only access) taken out or put
    in, from the access terms and the record's parties (requester, lender), sorted: what a record's terms
    become when it is archived (or not)."""
    kept = {term for term in terms if not term.startswith((CURRENT_PREFIX, FORMER_PREFIX))}
    if not archived:
        visible = {int(term[len(ACCESS_PREFIX):]) for term in kept if term.startswith(ACCESS_PREFIX)}
        party_ids = {int(library_id) for library_id in parties if library_id is not None}
        kept |= {current_access_term(library_id) for library_id in visible}
        kept |= {former_access_term(library_id) for library_id in visible - party_ids}
    return sorted(kept)


def posting_pairs(terms: Iterable[str]) -> list[tuple[int, str]]:
    """A record's rows of search_postings from its terms: (library, n-gram) for each library with current
    access (none when archived) and each n-gram."""
    ngrams = sorted(term for term in terms if not term.startswith("_"))
    libraries = sorted(int(term[len(CURRENT_PREFIX):]) for term in terms if term.startswith(CURRENT_PREFIX))
    return [(library_id, gram) for library_id in libraries for gram in ngrams]


def compact_std_no(std_no: str) -> str:
    """An ISSN/ISBN as the standard-number search compares it: hyphens and spaces out, upper case."""
    return (std_no or "").replace("-", "").replace(" ", "").upper()


def document_terms(texts: Iterable[str], library_ids: Iterable[int | None], archived: bool = False,
                   former: Iterable[int | None] = ()) -> list[str]:
    """A record's terms: the n-grams of its searchable texts and the libraries that may see it (its
    parties `library_ids`, its `former` lenders), again as current access when it is not archived, and
    its former lenders that are no party as former-only access, sorted."""
    terms: set[str] = set()
    for text in texts:
        terms |= grams(text)
    parties = {int(library_id) for library_id in library_ids if library_id is not None}
    visible = parties | {int(library_id) for library_id in former if library_id is not None}
    terms |= {access_term(library_id) for library_id in visible}
    if not archived:
        terms |= {current_access_term(library_id) for library_id in visible}
        terms |= {former_access_term(library_id) for library_id in visible - parties}
    return sorted(terms)


#: A term held by less than this share of the records is rare: cheap for the index to read, and it narrows.
RARE_SHARE = 0.01
#: At most this many rare terms besides the rarest term of each word.
MOST_RARE_TERMS = 4


def _chains(terms: Iterable[str]) -> list[set[str]]:
    """Terms grouped by the word they may come from, as far as the terms alone tell: n-grams of one length
    that overlap by all but one character chain together ("jou", "our", "urn")."""
    groups: list[set[str]] = []
    for term in sorted(terms):
        linked = [group for group in groups if any(
            len(other) == len(term) and (other[1:] == term[:-1] or term[1:] == other[:-1]) for other in group)]
        merged = {term}.union(*linked)
        groups = [group for group in groups if group not in linked] + [merged]
    return groups


def narrowing_terms(terms: Iterable[str], share: dict[str, float], words: Iterable[set[str]] = ()) -> set[str]:
    """The terms worth asking the index for, by the share of records holding each (`share`, the database's
    statistics; a term missing from them is rare): every access term, the rarest n-gram of each word (the
    `words` known, e.g. word_grams of the searched text; the other n-grams chained by overlap), and the
    rarest of the other rare n-grams. The n-grams of one word mostly come together, and the index reads
    each term's whole list of records: "journal"'s five trigrams cost five times its rarest one and narrow
    little more. Any subset of a search's terms gives a superset of its matches, which the search's own
    conditions check (the results stay the same). Without statistics: every term."""
    terms = set(terms)
    if not share:
        return terms
    kept = {term for term in terms if term.startswith("_")}
    ngrams = terms - kept
    known = [word & ngrams for word in words if word & ngrams]
    groups = known + _chains(ngrams.difference(*known))
    rarest = {min(group, key=lambda term: (share.get(term, 0.0), term)) for group in groups}
    rare = sorted((term for term in ngrams - rarest if share.get(term, 0.0) < RARE_SHARE),
                  key=lambda term: (share.get(term, 0.0), term))
    return kept | rarest | set(rare[:MOST_RARE_TERMS])
