"""The bundled voice's corpus: sentences written for it, rendered by eSpeak NG.

No recorded speech corpus ships in any package, and the repository may only ship
text it can licence, so the sentences are composed here from word lists and
templates written for Genloom (Apache-2.0, like the rest of the repository) with a
fixed seed, plus a few hand-written lines for numbers, questions and lists. Each
sentence is rendered by eSpeak NG (from the ``espeakng-loader`` wheel) in one of
several voice variants and phonemised by eSpeak NG in IPA the way Piper does.
"""

from __future__ import annotations

import random

# Speakers of the bundled voice: eSpeak NG's US English with four of its variants.
SPEAKERS: tuple[str, ...] = ("en-us", "en-us+f3", "en-us+m3", "en-us+f4")
PHONEMIZER_VOICE = "en-us"

_SUBJECTS = (
    "the old man", "a young woman", "my brother", "our neighbour", "the teacher",
    "a small child", "the doctor", "her father", "the captain", "a quiet student",
    "the baker", "his sister", "the farmer", "a tall stranger", "the musician",
    "the pilot", "my grandmother", "the gardener", "a clever fox", "the little dog",
    "the children", "two sailors", "the painter", "a busy engineer", "the actor",
    "our cousin", "the judge", "a nervous driver", "the writer", "the shepherd",
)
_VERBS = (
    "found", "carried", "painted", "opened", "watched", "followed", "cleaned", "built",
    "remembered", "borrowed", "noticed", "fixed", "pushed", "visited", "described",
    "measured", "wrapped", "dropped", "hid", "chose", "bought", "sold", "lost", "kept",
    "moved", "covered", "tested", "counted", "checked", "answered",
)
_ADJECTIVES = (
    "red", "heavy", "bright", "quiet", "broken", "golden", "narrow", "ancient", "strange",
    "wooden", "empty", "warm", "frozen", "gentle", "crooked", "shiny", "yellow", "lovely",
    "curious", "enormous", "tiny", "smooth", "rough", "purple", "careful", "muddy",
)
_OBJECTS = (
    "box", "letter", "window", "bridge", "garden", "ladder", "basket", "picture", "boat",
    "key", "bottle", "blanket", "lamp", "wagon", "violin", "mirror", "jacket", "map",
    "clock", "fence", "kettle", "pencil", "umbrella", "drum", "feather", "shovel",
)
_PLACES = (
    "near the river", "in the kitchen", "behind the barn", "at the station",
    "under the table", "on the hill", "by the harbour", "in the morning",
    "after dinner", "before the storm", "across the valley", "inside the tower",
    "at the market", "during the winter", "beside the lake", "along the road",
)
_ADVERBS = (
    "slowly", "quickly", "carefully", "happily", "suddenly", "quietly", "gladly",
    "easily", "loudly", "gently", "finally", "always", "rarely", "often",
)
_QUESTIONS = (
    "Did {s} really find the {a} {o}?", "Where did {s} put the {o}?",
    "Why is the {o} so {a}?", "Who {v} the {a} {o} {p}?",
    "Have you seen the {a} {o}?", "Can {s} bring the {o} tomorrow?",
    "What happened to the {a} {o}?", "How many {o}s did {s} count?",
)
_STATEMENTS = (
    "{S} {v} the {a} {o} {p}.", "{S} {d} {v} a {a} {o}.",
    "{P}, {s} {v} the {o}.", "{S} {v} the {o}, and then {s2} {v2} it {p}.",
    "When {s} {v} the {o}, everyone laughed.", "{S} said that the {o} was {a}.",
    "{S} {v} the {a} {o}; {s2} {v2} the {o2}.", "If the {o} is {a}, {s} will wait.",
    "The {a} {o} and the {a2} {o2} were {p}.", "{S} {v} the {o}, the {o2} and the {o3}.",
    "{S} {v} it {d}, but {s2} {v2} it {p}.", "It was {a}: {s} {v} the {o}.",
)
_EXCLAMATIONS = (
    "What a {a} {o}!", "Look at the {a} {o}!", "{S} {v} the {o} again!",
    "Stop, the {o} is {a}!", "Hurry, {s} {v} the {o}!",
)
_EXTRA = (
    "The train leaves at seven thirty in the evening.",
    "She counted one, two, three, four, five, and then stopped.",
    "In nineteen ninety nine, the bridge was painted green.",
    "Please call me back at four fifteen.",
    "The recipe needs two eggs, a cup of milk and some flour.",
    "Turn left at the second corner, then walk straight ahead.",
    "It is twelve degrees outside, so take a coat.",
    "The meeting moved from Monday to Thursday afternoon.",
    "We waited for twenty minutes, then the bus arrived.",
    "Thank you very much for your help yesterday.",
    "Yes, of course. No, not today. Maybe next week.",
    "Good morning, everyone, and welcome to the show.",
    "The number is three hundred and forty two.",
    "January, February, March and April were cold.",
    "This is only a scratch voice for a draft.",
)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _fill(template: str, rng: random.Random) -> str:
    s, s2 = rng.sample(_SUBJECTS, 2)
    v, v2 = rng.sample(_VERBS, 2)
    a, a2 = rng.sample(_ADJECTIVES, 2)
    o, o2, o3 = rng.sample(_OBJECTS, 3)
    p = rng.choice(_PLACES)
    d = rng.choice(_ADVERBS)
    return template.format(
        s=s, S=_cap(s), s2=s2, v=v, v2=v2, a=a, a2=a2, o=o, o2=o2, o3=o3, p=p, P=_cap(p), d=d
    )


def sentences(count: int, seed: int) -> list[str]:
    """``count`` distinct sentences, the same for the same seed."""
    rng = random.Random(seed)
    chosen: list[str] = []
    seen: set[str] = set()
    for line in _EXTRA:
        chosen.append(line)
        seen.add(line)
    kinds = (_STATEMENTS, _STATEMENTS, _STATEMENTS, _QUESTIONS, _EXCLAMATIONS)
    while len(chosen) < count:
        line = _fill(rng.choice(rng.choice(kinds)), rng)
        if line not in seen:
            seen.add(line)
            chosen.append(line)
    return chosen[:count]
