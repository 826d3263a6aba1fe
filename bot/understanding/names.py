"""First names from free French text.

Usage::

    from bot.understanding.names import find_first_name

    find_first_name("Bonjour, je m'appelle julie")          # "Julie"
    find_first_name("je suis infirmière")                   # None
    find_first_name("Jean Dupont", expecting=True)          # "Jean"

Explicit forms ("je m'appelle", "mon prénom est", "moi c'est", "on m'appelle") are
taken anywhere. "c'est Léa" and "je suis Marc" need a capital letter (or the question
to have been asked), and the word must not be a common word, a skill or cause from
the taxonomy, or a large town. When the assistant has just asked for the first name
(``expecting=True``) a bare answer of one to three words is accepted.
"""

from __future__ import annotations

import functools
import re

from bot.taxonomy import load_taxonomy
from bot.understanding.places import town_population
from bot.understanding.text import fold, fold_aligned, stem, words

_STRONG_RE = re.compile(
    r"\b(?:je |j'?|on |ils |elles )?m'? ?ap+el+e?s?\b"
    r"|\b(?:tu peux|vous pouvez|pouvez|peux) m'? ?ap+el+er\b|\bap+el+(?:ez|e)[- ]moi\b"
    r"|\bje me (?:pre)?nom+e\b"
    r"|\bmon (?:pre)?nom(?: complet)?(?: c'? ?est| est| ?:| =)|\bprenom ?:"
    r"|\bmoi,? c'? ?est\b|\bmoi,? c\b(?!')"  # "moi c lea", as typed on a phone
)
_WEAK_RE = re.compile(r"\bc'? ?est\b|\b(?:je suis|j'? ?suis|chuis|ici)\b")
_NAME_RE = re.compile(r"\s*[:\"«“']?\s*([^\W\d_]+(?:['’-][^\W\d_]+)*)")
_CLAUSE_RE = re.compile(r"[,.;!?\n]|\s+et\s+")
_BARE_CHUNK_RE = re.compile(r"^[\"«“(]*([^\W\d_]+(?:['’-][^\W\d_]+)*)[\"»”)]*$")
_ELISION_RE = re.compile(r"^(?:[cjlmnst]|qu)'", re.IGNORECASE)
_MIN_LENGTH, _MAX_LENGTH = 2, 30
_LARGE_TOWN = 20_000
_FIRST_NAMES_THAT_ARE_TOWNS = frozenset({"nancy", "florence", "valence", "lourdes", "vienne"})

_LEADING_INTERJECTIONS = frozenset(
    {"bonjour", "bonsoir", "salut", "coucou", "hello", "hi", "hey", "yo", "bjr", "slt", "cc", "re", "oui", "ouais"}
    | {"ok", "okay", "alors", "euh", "heu", "ben", "bah", "ah", "oh", "moi", "daccord", "d'accord", "voila"}
)
_TITLES = frozenset({"madame", "monsieur", "mme", "mr", "m", "mlle", "mademoiselle", "mm", "docteur", "dr"})
# Words that follow "je suis" / "c'est" or make up a bare answer without being a first name.
NON_NAMES = frozenset(
    # A block of words is easier to review and edit than a list literal.
    """
    oui non ouais ouai nan si ok okay daccord accord bien bon bonne pareil pareille tout toute tous super top
    cool parfait genial nickel merci pardon
    desole desolee bonjour bonsoir salut coucou hello hi hey yo re bjr slt cc stop arret arrete annuler annule
    aide help menu recommencer restart start fin quitter supprimer test tester personne rien inconnu anonyme
    quoi comment pourquoi qui quand ou combien lequel laquelle quel quelle quels quelles je tu il elle on nous
    vous ils elles moi toi lui eux me te se le la les un une des du de au aux mon ma mes ton ta tes son sa ses
    notre nos votre vos leur leurs ce cet cette ces ca cela ceci et ou mais donc or ni car pas plus tres trop
    peu assez vraiment encore deja aussi juste seulement ici la labas voila voici en dans sur sous chez vers
    avec sans pour par a dispo dispos disponible disponibles libre libres occupe occupee pret prete partant
    partante interesse interessee motive motivee benevole benevoles nouveau nouvelle ravi ravie content contente
    heureux heureuse seul seule jeune vieux vieille age agee mineur mineure majeur majeure retraite retraitee
    etudiant etudiante lyceen lyceenne collegien collegienne chomeur chomeuse sans-emploi maman papa mere pere
    parent parents marie mariee celibataire enceinte malade fatigue fatiguee perdu perdue la-bas francais
    francaise lyonnais lyonnaise etranger etrangere homme femme fille garcon mec meuf gars madame monsieur
    mademoiselle mme mr mlle docteur lundi mardi mercredi jeudi vendredi samedi dimanche matin midi soir soiree
    semaine weekend week-end janvier fevrier mars avril mai juin juillet aout septembre octobre novembre
    decembre humain robot bot chatbot ia assistant association asso mission missions curieux curieuse
    interessant sympa gentil gentille dac bof euh heu hum bah ben bref hein voila
    """.split()  # noqa: SIM905
)
# Endings of adjectives and participles, checked only for names written in lowercase.
_ADJECTIVE_ENDINGS = ("euse", "eux", "ive", "if", "ant", "ante", "ants", "able", "ible", "ique", "aise", "oise")
_PARTICIPLE_ENDINGS = ("é", "ée", "és", "ées")


def find_first_name(text: str, *, expecting: bool = False) -> str | None:
    """The first name a person gives, capitalised ("anne-sophie" -> "Anne-Sophie"), or None."""
    found = first_name_span(text, expecting=expecting)
    return found[0] if found else None


def first_name_span(text: str, *, expecting: bool = False) -> tuple[str, int, int] | None:
    """The first name with its start and end offsets in the text, or None."""
    folded = fold_aligned(text)
    for match in _STRONG_RE.finditer(folded):
        found = _name_after(text, match.end(), strict=False)
        if found:
            return found
    for match in _WEAK_RE.finditer(folded):
        found = _name_after(text, match.end(), strict=not expecting)
        if found:
            return found
    return _bare_name(text) if expecting else None


def _name_after(text: str, position: int, *, strict: bool) -> tuple[str, int, int] | None:
    match = _NAME_RE.match(text, position)
    if match is None:
        return None
    name, start, end = match.group(1), match.start(1), match.end(1)
    if fold(name) in _TITLES:
        return None
    # "julie.martin@mail.fr" or "julie69" are not names.
    if end < len(text) and (text[end] == "@" or text[end].isdigit() or re.match(r"\.\w", text[end : end + 2])):
        return None
    if not _plausible(name, strict=strict, weak_context=strict):
        return None
    return _capitalise(name), start, end


def _bare_name(text: str) -> tuple[str, int, int] | None:
    """A message that is nothing but a name ("Julie", "julie.", "Jean Dupont", "Oui, Karim !")."""
    offset = 0
    remainder = text
    while True:
        stripped = remainder.lstrip(" \t\n,.;:!?-")
        offset += len(remainder) - len(stripped)
        remainder = stripped
        head = re.match(r"[^\s,.;:!?]+", remainder)
        if head is None or fold(head.group()) not in _LEADING_INTERJECTIONS:
            break
        offset += head.end()
        remainder = remainder[head.end() :]
    first_chunk = remainder.split(maxsplit=1)[0] if remainder.strip() else ""
    if "@" in first_chunk or any(ch.isdigit() for ch in first_chunk):
        return None
    clause = _CLAUSE_RE.split(remainder, maxsplit=1)[0]
    chunks = clause.split()
    if not 1 <= len(chunks) <= 3:
        return None
    first = _BARE_CHUNK_RE.match(chunks[0])
    if first is None or any(_BARE_CHUNK_RE.match(chunk) is None for chunk in chunks[1:]):
        return None
    name = first.group(1)
    if _ELISION_RE.match(name) or fold(name) in _TITLES:
        return None
    if not _plausible(name, strict=False, weak_context=False):
        return None
    start = offset + remainder.index(name)
    return _capitalise(name), start, start + len(name)


def _plausible(name: str, *, strict: bool, weak_context: bool) -> bool:
    """Whether a word can be a first name; strict asks for a capital letter."""
    folded = fold(name)
    if not _MIN_LENGTH <= len(name) <= _MAX_LENGTH or folded in NON_NAMES:
        return False
    if strict and not name[:1].isupper():
        return False
    if folded.replace("-", "").replace("'", "") in NON_NAMES or _in_taxonomy(folded):
        return False
    lower = name.lower()
    if name[:1].islower() and (lower.endswith(_PARTICIPLE_ENDINGS) or folded.endswith(_ADJECTIVE_ENDINGS)):
        return False
    return not (weak_context and _is_large_town(folded))


def _in_taxonomy(folded: str) -> bool:
    return folded in _taxonomy_words() or stem(folded) in _taxonomy_words()


@functools.cache
def _taxonomy_words() -> frozenset[str]:
    """Stems of the one-word synonyms of the taxonomy ("infirmière", "bricoleur", "prof")."""
    taxonomy = load_taxonomy()
    result: set[str] = set()
    for term in (*taxonomy.skills.values(), *taxonomy.causes.values()):
        for synonym in term.synonyms:
            parts = words(synonym.rstrip("*"))
            if len(parts) == 1 and len(parts[0]) > 2:
                result.update({parts[0], stem(parts[0])})
    return frozenset(result)


def _is_large_town(folded: str) -> bool:
    if folded in _FIRST_NAMES_THAT_ARE_TOWNS:
        return False
    return town_population(folded) >= _LARGE_TOWN


def _capitalise(name: str) -> str:
    """ "anne-sophie" -> "Anne-Sophie", "o'neil" -> "O'Neil", "JULIE" -> "Julie"."""
    parts = re.split(r"(['’-])", name)
    return "".join(part if part in "'’-" else part[:1].upper() + part[1:].lower() for part in parts).replace("’", "'")
