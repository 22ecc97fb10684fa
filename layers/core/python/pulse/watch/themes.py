"""Complaint themes: what the month's negative and unanswered messages are about.

Offline, deterministic and fast (numpy only; docs/alerts.md has the method and figures):

1. **Normalise** each message: lower case, accents folded, links, handles, emoji and digits
   dropped; words of 3+ letters; French and English stop words removed (with the words every
   complaint uses, "toujours", "still", "merci"...); a light stemmer (plural ``s``/``x``); a small
   bilingual lexicon maps the commonest English complaint words onto their French twins (and
   back), so "refund" and "remboursement" are one feature in a brand's mixed-language month.
2. **Features**: those stems and adjacent pairs (bigrams), kept when they appear in at least
   3 messages (and 0.1 %) and in at most half of them (seed concepts always); TF-IDF (sub-linear term frequency, smooth idf),
   rows scaled to unit length. Identical texts are counted once with a weight.
3. **Clusters**: spherical k-means (cosine), k-means++ seeding from a fixed seed, 3 restarts,
   k = 8 at most (fewer for few messages); tiny clusters (< 3 % of the messages) go to "other".
4. **Themes and labels**: clusters whose messages share the same seed concept most (used by at
   least 40 % of them) merge into one theme. A theme's label is its three words with the highest
   share x log(share / share among all messages): words most of its messages use, and more
   than the others do; shown as people wrote them (the commonest surface form of each stem,
   accents kept), a bigram hiding its own words.
5. **Change**: last month's messages are assigned to this month's themes the way this
   month's are (nearest centroid, cosine >= 0.15, else "other"), so each theme has a
   previous count.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

MAX_THEMES = 8
#: Words in more than this share of the messages are not features (seed concepts always are).
MAX_DF = 0.5
#: k-means is fitted on at most this many distinct messages (fixed-seed sample), then all are assigned.
FIT_SAMPLE = 6000
MIN_SHARE = 0.03
ASSIGN_MIN_SIMILARITY = 0.15
SEED = 20261129

_STOP = """
a au aux avec ce ces cela celle celui cet cette chez comme dans de des du elle elles en et eu
il ils je la le les leur leurs lui ma mais me meme mes moi mon ne nos notre nous on ou par pas
plus pour qu que qui sa sans se ses si son sont sur ta te tes toi ton tu un une vos votre vous
y ete etre avoir ai as avez avons ont est suis sommes etes etait fait faire fais peu tres trop
bien tout tous toute toutes rien encore deja alors donc car puis apres avant depuis quand
comment pourquoi quoi ici quelle quel quels quelles cest jai nai ca ceci aussi autre meme
toujours jamais vraiment franchement serieusement bonjour bonsoir merci svp stp allo bref
oui non jour jours semaine semaines mois fois hier demain lundi vos deux trois
the a an and or but of to in on at for with from by is are was were be been being have has had
do does did not no yes it its this that these those i me my mine you your yours we our they
them their he she his her him what which who when where why how all any some just very too
can cant could would should will wont im ive dont doesnt didnt isnt wasnt still ever never
again already now then than so as if about after before since into out up down over only even
really honestly seriously hi hello hey thanks thank please pls day days week weeks month
one two three get got getting also back yet every time new nothing anyone someone single thing things lot
http https www com user url amp
"""
STOP_WORDS: frozenset[str] = frozenset(_STOP.split())

#: English complaint words and their French twins: one feature for both languages.
LEXICON: dict[str, str] = {
    "refund": "rembourse", "refunded": "rembourse", "remboursement": "rembourse",
    "rembourser": "rembourse", "remboursee": "rembourse", "rembourse": "rembourse",
    "delivery": "livraison", "delivered": "livraison", "livre": "livraison", "livree": "livraison",
    "parcel": "colis", "package": "colis", "order": "commande", "ordered": "commande",
    "tracking": "suivi", "courier": "livreur", "shipping": "expedition", "shipped": "expedition",
    "expediee": "expedition", "expedie": "expedition",
    "payment": "paiement", "pay": "paiement", "payer": "paiement", "charged": "debite",
    "card": "carte", "app": "appli", "application": "appli", "crash": "plante", "crashing": "plante",
    "support": "service", "customer": "client", "answer": "repond", "answers": "repond",
    "reply": "repond", "repondre": "repond", "response": "repond", "reponse": "repond",
    "quality": "qualite", "damaged": "abime", "abimee": "abime", "broke": "casse", "broken": "casse",
    "cassee": "casse", "price": "prix", "prices": "prix", "expensive": "cher", "fee": "frais",
    "fees": "frais", "size": "taille", "return": "retour", "returned": "retour",
}  # fmt: skip

#: Seed concepts: words (folded stems, after LEXICON) that community managers know belong
#: together. A message using one gets the concept as an extra feature, which pulls the
#: synonyms into one cluster; labels are still made of the words people wrote, and themes
#: outside these concepts still emerge from the words alone.
CONCEPTS: dict[str, frozenset[str]] = {
    name: frozenset(words.split())
    for name, words in {
        "delivery": "livraison colis livreur suivi transporteur expedition relais acheminement arrive "
        "arrived depot transit courier doorstep neighbour voisin express",
        "refund": "rembourse avoir retour money remboursez remboursements",
        "payment": "paiement carte appli site bug plante panier login checkout paypal debite "
        "erreur error logs mise jour update connexion connecter code",
        "support": "service client repond injoignable attente appel agent agents ticket chat hold "
        "rappel contacte contacter mail email telephone",
        "quality": "qualite abime casse couture dechire troue boulochee bouloche lache stitching seam "
        "torn zip fell apart tissu semelle faded matiere",
        "price": "prix cher frais hausse augmente augmentation tarif tarifs overdraft hidden",
    }.items()
}
_CONCEPT_OF: dict[str, str] = {w: c for c, ws in CONCEPTS.items() for w in ws}

_URL = re.compile(r"https?://\S+|www\.\S+")
_HANDLE = re.compile(r"[@#]\w+")
_WORD = re.compile(r"[a-z]{3,}")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _stem(word: str) -> str:
    if len(word) > 4 and word[-1] in "sx" and word[-2] not in "su":
        word = word[:-1]
    return LEXICON.get(word, word)


_TOKEN = re.compile(r"[^\W\d_]{3,}")
#: Written word (lower case) -> its stem, or None for a stop word; shared by every call.
_STEMS: dict[str, str | None] = {}
_CACHE_LIMIT = 500_000


def _stem_of(raw: str) -> str | None:
    try:
        return _STEMS[raw]
    except KeyError:
        pass
    folded = _fold(raw)
    stem: str | None = None
    if _WORD.fullmatch(folded) and folded not in STOP_WORDS:
        candidate = _stem(folded)
        stem = None if candidate in STOP_WORDS else candidate
    if len(_STEMS) > _CACHE_LIMIT:
        _STEMS.clear()
    _STEMS[raw] = stem
    return stem


def _words(text: str) -> list[str]:
    return _TOKEN.findall(_HANDLE.sub(" ", _URL.sub(" ", text)).lower())


def tokens(text: str) -> list[tuple[str, str]]:
    """(stem, surface word) pairs of ``text`` with stop words removed; surface keeps accents."""
    return [(stem, raw) for raw in _words(text) if (stem := _stem_of(raw)) is not None]


def features(text: str) -> list[str]:
    """Stems, adjacent stem pairs (``a_b``) and seed concepts (``@delivery``) of ``text``."""
    stems = [s for s, _ in tokens(text)]
    concepts = sorted({f"@{_CONCEPT_OF[s]}" for s in stems if s in _CONCEPT_OF})
    return stems + [f"{a}_{b}" for a, b in itertools.pairwise(stems) if a != b] + concepts


class _Encoder:
    """Texts -> (document, feature code) pairs, all in numpy: stem ids, bigram and concept codes.

    Feature codes: a stem ``i`` is ``i``; the pair ``(i, j)`` is ``S + i * S + j``; concept ``c``
    is ``S + S * S + c``, where ``S`` is :data:`MAX_STEMS`. Surface forms are counted on the way.
    """

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.stems: list[str] = []
        self.surface: Counter[str] = Counter()
        self.concepts = sorted(CONCEPTS)

    def encode(self, texts: Sequence[str], weights: I64 | None = None) -> tuple[I64, I64]:
        """(document, feature code) of every token, bigram and concept of ``texts``.

        The texts are cleaned and split as one string; Python touches each distinct word once
        (its stem) and each token once (a dictionary lookup); the rest is numpy.
        """
        if not texts:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        joined = _HANDLE.sub(" ", _URL.sub(" ", "\x01".join(texts))).lower()
        # Letters stay, everything else (digits, punctuation, emoji, "_") separates words.
        table: dict[int, str] = {ord(c): " " for c in set(joined) if not c.isalpha()}
        table[1] = " \x01 "
        words = joined.translate(table).split()
        raw_ids: dict[str, int] = {"\x01": -2}
        raw_stem: list[int] = []
        raws: list[str] = []
        for raw in set(words):
            if raw == "\x01":
                continue
            stem = _stem_of(raw) if len(raw) >= 3 else None
            if stem is None:
                raw_ids[raw] = -1
                continue
            i = self.ids.get(stem)
            if i is None:
                i = self.ids[stem] = len(self.stems)
                self.stems.append(stem)
            raw_ids[raw] = len(raws)
            raws.append(raw)
            raw_stem.append(i)
        token = np.array(list(map(raw_ids.__getitem__, words)), dtype=np.int64)
        doc_all = np.cumsum(token == -2)
        kept = token >= 0
        doc: I64 = doc_all[kept]
        raw_index: I64 = token[kept]
        w = np.ones(len(texts), dtype=np.int64) if weights is None else np.asarray(weights, dtype=np.int64)
        seen = np.bincount(raw_index, weights=w[doc], minlength=len(raws))
        for word, n in zip(raws, seen, strict=True):
            self.surface[word] += int(n)
        sid: I64 = np.asarray(raw_stem, dtype=np.int64)[raw_index] if len(raw_index) else raw_index
        big = MAX_STEMS
        pair = (doc[1:] == doc[:-1]) & (sid[1:] != sid[:-1])
        concept_of = np.array(
            [self.concepts.index(_CONCEPT_OF[t]) if t in _CONCEPT_OF else -1 for t in self.stems] or [-1],
            dtype=np.int64,
        )
        concept = concept_of[sid] if len(sid) else sid
        has = concept >= 0
        codes = np.concatenate(
            [sid, big + sid[:-1][pair] * big + sid[1:][pair], big + big * big + concept[has]]
        )
        owners = np.concatenate([doc, doc[:-1][pair], doc[has]])
        return owners, codes

    def name(self, code: int) -> str:
        big = MAX_STEMS
        if code < big:
            return self.stems[code]
        if code < big + big * big:
            a, b = divmod(code - big, big)
            return f"{self.stems[a]}_{self.stems[b]}"
        return "@" + self.concepts[code - big - big * big]

    def surface_forms(self) -> dict[str, str]:
        """Each stem's commonest written form (accents kept)."""
        best: dict[str, tuple[int, str]] = {}
        for raw, n in self.surface.items():
            stem = _STEMS.get(raw) or _stem_of(raw)
            if stem is not None and (stem not in best or (n, raw) > best[stem]):
                best[stem] = (n, raw)
        return {stem: raw for stem, (_, raw) in best.items()}


#: Distinct stems one call can hold (feature codes stay below 2**63).
MAX_STEMS = 1_000_000


@dataclass(frozen=True)
class Theme:
    """One complaint theme of the month."""

    label: str  # "livraison · commande · colis"
    terms: tuple[str, ...]
    count: int
    previous_count: int
    examples: tuple[str, ...]

    @property
    def change(self) -> int:
        return self.count - self.previous_count


@dataclass(frozen=True)
class Themes:
    """The month's complaint themes, largest first, and what fitted none."""

    themes: tuple[Theme, ...]
    total: int
    other: int
    previous_total: int
    #: For each input text, the index of its theme in ``themes`` (-1: none).
    assignments: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "total": self.total,
            "other": self.other,
            "previous_total": self.previous_total,
            "themes": [
                {
                    "label": t.label,
                    "terms": list(t.terms),
                    "count": t.count,
                    "previous_count": t.previous_count,
                    "examples": list(t.examples),
                }
                for t in self.themes
            ],
        }


@dataclass
class _Matrix:
    """A CSR matrix of unit-length TF-IDF rows (numpy arrays only)."""

    indptr: I64
    indices: I64
    data: F32
    n_cols: int

    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1

    def rows(self, selected: I64) -> _Matrix:
        """The sub-matrix of rows ``selected`` (sorted)."""
        starts, ends = self.indptr[selected], self.indptr[selected + 1]
        lengths = ends - starts
        take = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths) + np.arange(
            lengths.sum()
        )
        indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        return _Matrix(indptr, self.indices[take], self.data[take], self.n_cols)

    def dot(self, dense: F32) -> F32:
        """self @ dense.T for a (k, n_cols) dense matrix: (n_rows, k)."""
        out = np.zeros((self.n_rows, dense.shape[0]), dtype=np.float32)
        if len(self.data) == 0:
            return out
        products = np.ascontiguousarray(dense.T)[self.indices] * self.data[:, None]  # (nnz, k)
        starts = self.indptr[:-1]
        nonempty = self.indptr[1:] > starts
        out[nonempty] = np.add.reduceat(products, starts[nonempty], axis=0)
        return out


def _sorted_unique(values: I64) -> I64:
    """np.unique for int64 by one sort (faster than hashing for millions of wide codes)."""
    if len(values) == 0:
        return values
    ordered: I64 = np.sort(values)
    result: I64 = ordered[np.concatenate([[True], ordered[1:] != ordered[:-1]])]
    return result


def _vectorise(owners: I64, codes: I64, n_docs: int, vocab_codes: I64, idf: F32) -> _Matrix:
    """Rows of sub-linear TF-IDF over the features in ``vocab_codes`` (sorted), unit length."""
    column = np.searchsorted(vocab_codes, codes)
    column = np.minimum(column, len(vocab_codes) - 1)
    known = vocab_codes[column] == codes
    keyed = np.sort(owners[known] * len(vocab_codes) + column[known])
    starts = np.flatnonzero(np.concatenate([[True], keyed[1:] != keyed[:-1]])) if len(keyed) else keyed
    pairs = keyed[starts]
    tf = np.diff(np.concatenate([starts, [len(keyed)]]))
    doc, col = np.divmod(pairs, len(vocab_codes))
    values = ((1.0 + np.log(tf)) * idf[col]).astype(np.float32)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(doc, minlength=n_docs))]).astype(np.int64)
    norms = np.sqrt(np.bincount(doc, weights=values.astype(np.float64) ** 2, minlength=n_docs))
    values = (values / np.maximum(norms[doc], 1e-12)).astype(np.float32)
    return _Matrix(indptr, col.astype(np.int64), values, len(vocab_codes))


def _kmeans(
    x: _Matrix, weights: F32, k: int, rng: np.random.Generator, iters: int = 25
) -> tuple[I64, F32, float]:
    """Spherical k-means (cosine) with k-means++ seeding; returns labels, centroids, objective."""
    n = x.n_rows
    centroids = np.zeros((k, x.n_cols), dtype=np.float32)
    first = int(rng.choice(n, p=weights / weights.sum()))
    chosen = [first]
    best = np.zeros(n, dtype=np.float32)
    for c in range(k):
        row = chosen[-1]
        a, b = x.indptr[row], x.indptr[row + 1]
        centroids[c, x.indices[a:b]] = x.data[a:b]
        if c == k - 1:
            break
        best = np.maximum(best, x.dot(centroids[c : c + 1])[:, 0])
        distance = np.maximum(1.0 - best, 0.0) * weights
        total = float(distance.sum())
        if total <= 0:
            break
        chosen.append(int(rng.choice(n, p=distance / total)))
    labels = np.zeros(n, dtype=np.int64)
    row_of = np.repeat(np.arange(n), np.diff(x.indptr))
    for _ in range(iters):
        sims = x.dot(centroids)
        new = np.argmax(sims, axis=1).astype(np.int64)
        if _ and np.array_equal(new, labels):
            break
        labels = new
        flat = np.bincount(
            labels[row_of] * x.n_cols + x.indices,
            weights=x.data * weights[row_of],
            minlength=k * x.n_cols,
        )
        centroids = flat.reshape(k, x.n_cols).astype(np.float32)
        norms = np.linalg.norm(centroids, axis=1, keepdims=True)
        centroids /= np.maximum(norms, 1e-12)
    sims = x.dot(centroids)
    objective = float((sims[np.arange(n), labels] * weights).sum())
    return labels, centroids, objective


def find_themes(
    texts: Sequence[str],
    previous: Sequence[str] = (),
    *,
    max_themes: int = MAX_THEMES,
    examples: int = 2,
) -> Themes:
    """Group ``texts`` (the month's negative and unanswered messages) into themes.

    ``previous`` are last month's such messages, assigned to this month's themes for the
    change. Deterministic: the same texts give the same themes, labels and examples.
    """
    counts = Counter(t for t in texts if t and not t.isspace())
    unique = sorted(counts)
    n_total = sum(counts.values())
    if not unique:
        return Themes((), 0, 0, len(previous), tuple(-1 for _ in texts))
    weights = np.array([counts[t] for t in unique], dtype=np.float32)
    encoder = _Encoder()
    owners, codes = encoder.encode(unique, weights.astype(np.int64))

    # Vocabulary by weighted document frequency.
    # Distinct (feature, document) pairs by one sort; a feature's runs give its document frequency.
    n_docs = len(unique)
    code_doc = _sorted_unique(codes * n_docs + owners)
    present_codes, present_docs = np.divmod(code_doc, n_docs)
    if len(present_codes) == 0:
        return Themes((), n_total, n_total, len(previous), tuple(-1 for _ in texts))
    runs = np.flatnonzero(np.concatenate([[True], present_codes[1:] != present_codes[:-1]]))
    feature_codes = present_codes[runs]
    df = np.add.reduceat(weights[present_docs].astype(np.float64), runs)
    low = max(3, int(0.001 * n_total))
    # A word in most messages says nothing about any theme; a seed concept always stays (in a
    # month with one big storm, the storm's concept is in most complaints).
    is_concept = feature_codes >= MAX_STEMS + MAX_STEMS * MAX_STEMS
    keep = (df >= low) & ((df <= MAX_DF * n_total) | is_concept)
    if not keep.any():
        return Themes((), n_total, n_total, len(previous), tuple(-1 for _ in texts))
    vocab_codes = feature_codes[keep]
    vocab_terms = [encoder.name(int(c)) for c in vocab_codes]
    idf = (np.log((1 + n_total) / (1 + df[keep])) + 1).astype(np.float32)
    x = _vectorise(owners, codes, len(unique), vocab_codes, idf)
    has_features = np.diff(x.indptr) > 0

    k = int(min(max_themes, max(2, n_total // 10), int(has_features.sum())))
    k = max(k, 1)
    # Fit on at most FIT_SAMPLE distinct messages (a fixed-seed sample), then assign them all.
    fit_rows = np.flatnonzero(has_features)
    if len(fit_rows) > FIT_SAMPLE:
        sampler = np.random.default_rng(SEED)
        fit_rows = np.sort(sampler.choice(fit_rows, FIT_SAMPLE, replace=False))
    fit = x.rows(fit_rows)
    best: tuple[I64, F32, float] | None = None
    for restart in range(3):
        result = _kmeans(fit, weights[fit_rows], k, np.random.default_rng(SEED + restart))
        if best is None or result[2] > best[2]:
            best = result
    assert best is not None
    centroids = best[1]
    similarity = x.dot(centroids)
    nearest = np.argmax(similarity, axis=1)
    close = similarity[np.arange(len(nearest)), nearest] >= ASSIGN_MIN_SIMILARITY
    labels = np.where(has_features & close, nearest, -1).astype(np.int64)

    surface = encoder.surface_forms()
    # Presence of each feature in each message, and its weighted share among all messages.
    row_of = np.repeat(np.arange(x.n_rows), np.diff(x.indptr))
    share_all = np.bincount(x.indices, weights=weights[row_of], minlength=x.n_cols) / n_total
    is_concept = np.array([t.startswith("@") for t in vocab_terms], dtype=bool)

    # Clusters whose messages mostly share one seed concept are one theme; then small ones go.
    groups: dict[str, list[int]] = {}
    for c in range(k):
        members = labels == c
        if not members.any():
            continue
        share = _shares(x, row_of, weights, members)
        concept = _dominant(share, is_concept)
        groups.setdefault(vocab_terms[concept] if concept is not None else f"#{c}", []).append(c)
    group_of = np.full(k, -1, dtype=np.int64)
    kept: list[list[int]] = []
    for clusters in groups.values():
        size = float(weights[np.isin(labels, clusters)].sum())
        if size >= max(3, MIN_SHARE * n_total):
            group_of[clusters] = len(kept)
            kept.append(clusters)
    grouped = np.where(labels >= 0, group_of[np.maximum(labels, 0)], -1)

    prev_counts: Counter[int] = Counter()
    for c, n in _assign(previous, encoder, vocab_codes, idf, centroids).items():
        if group_of[c] >= 0:
            prev_counts[int(group_of[c])] += n
    themes: list[tuple[Theme, int]] = []
    for g, clusters in enumerate(kept):
        members = np.flatnonzero(grouped == g)
        count = int(weights[members].sum())
        share = _shares(x, row_of, weights, grouped == g)
        terms = _label_terms(share, share_all, vocab_terms, is_concept)
        words = tuple(_show(t, surface) for t in terms)
        sims = similarity[members][:, clusters].max(axis=1)
        picks = _pick_examples(unique, members, sims, examples)
        themes.append((Theme(" · ".join(words), words, count, prev_counts.get(g, 0), picks), g))
    themes.sort(key=lambda tg: (-tg[0].count, tg[0].label))
    position = {g: i for i, (_, g) in enumerate(themes)}
    of_unique = {text: position.get(int(group), -1) for text, group in zip(unique, grouped, strict=True)}
    assignments = tuple(of_unique.get(t, -1) for t in texts)
    other = n_total - sum(t.count for t, _ in themes)
    return Themes(tuple(t for t, _ in themes), n_total, other, len(previous), assignments)


def _shares(x: _Matrix, row_of: I64, weights: F32, members: npt.NDArray[np.bool_]) -> F64:
    """Weighted share of the ``members`` messages that contain each feature."""
    inside = members[row_of]
    total = float(weights[members].sum())
    counts = np.bincount(x.indices[inside], weights=weights[row_of[inside]], minlength=x.n_cols)
    return counts / max(total, 1e-12)


def _dominant(share: F64, is_concept: npt.NDArray[np.bool_]) -> int | None:
    """The seed concept most shared by a cluster's messages, if at least 40 % of them use it."""
    if not is_concept.any():
        return None
    columns = np.flatnonzero(is_concept)
    best = int(columns[np.argmax(share[columns])])
    return best if share[best] >= 0.4 else None


def _label_terms(
    share: F64, share_all: F64, vocab_terms: list[str], is_concept: npt.NDArray[np.bool_], n: int = 3
) -> list[str]:
    """Words most of the theme's messages use, and more than the other messages do:
    share x log(share / share among all), concepts excluded, a bigram hiding its own words."""
    score = np.where(is_concept, -np.inf, share * np.log((share + 1e-9) / (share_all + 1e-9)))
    order = np.argsort(-score, kind="stable")
    chosen: list[str] = []
    covered: set[str] = set()
    for j in order[: 8 * n]:
        if not np.isfinite(score[j]) or score[j] <= 0:
            break
        term = vocab_terms[int(j)]
        parts = term.split("_")
        if any(p in covered for p in parts):
            continue
        chosen.append(term)
        covered.update(parts)
        if len(chosen) == n:
            break
    return chosen or [vocab_terms[int(order[0])].lstrip("@")]


def _show(term: str, surface: dict[str, str]) -> str:
    return " ".join(surface.get(p, p) for p in term.split("_"))


def _pick_examples(texts: list[str], members: I64, sims: F32, n: int) -> tuple[str, ...]:
    """``n`` messages close to the theme's centre, of readable length, and not near-copies of
    each other (at most half their words shared)."""
    order = sorted(
        range(len(members)),
        key=lambda i: (not 25 <= len(texts[members[i]]) <= 160, -float(sims[i]), texts[members[i]]),
    )
    picked: list[str] = []
    seen: list[set[str]] = []
    for i in order:
        text = texts[members[i]]
        words = {s for s, _ in tokens(text)}
        if any(len(words & other) > 0.5 * max(1, min(len(words), len(other))) for other in seen):
            continue
        picked.append(text)
        seen.append(words)
        if len(picked) == n:
            break
    for i in order:  # too few distinct ones: near-copies will do
        if len(picked) == n:
            break
        if texts[members[i]] not in picked:
            picked.append(texts[members[i]])
    return tuple(picked)


def _assign(
    texts: Sequence[str], encoder: _Encoder, vocab_codes: I64, idf: F32, centroids: F32
) -> Counter[int]:
    """How many of ``texts`` fall nearest each centroid (cosine at least ASSIGN_MIN_SIMILARITY)."""
    if not texts:
        return Counter()
    owners, codes = encoder.encode(texts)
    x = _vectorise(owners, codes, len(texts), vocab_codes, idf)
    sims = x.dot(centroids)
    best = np.argmax(sims, axis=1)
    ok = sims[np.arange(len(best)), best] >= ASSIGN_MIN_SIMILARITY
    return Counter(int(b) for b, good in zip(best, ok, strict=True) if good)
