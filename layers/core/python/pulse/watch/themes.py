"""Complaint themes: what the month's negative and unanswered messages are about.

Offline, deterministic and fast (numpy only; docs/alerts.md has the method and figures):

1. **Normalise** each message: lower case, accents folded, links, handles, emoji and digits
   dropped; words of 3+ letters; French and English stop words removed (with the words every
   complaint uses, "toujours", "still", "merci"...); a light stemmer (plural ``s``/``x``); a small
   bilingual lexicon maps the commonest English complaint words onto their French twins (and
   back), so "refund" and "remboursement" are one feature in a brand's mixed-language month.
2. **Features**: those stems and adjacent pairs (bigrams), kept when they appear in at least
   3 messages (and 0.1 %) and in at most 40 %; TF-IDF (sub-linear term frequency, smooth idf),
   rows scaled to unit length. Identical texts are counted once with a weight.
3. **Clusters**: spherical k-means (cosine), k-means++ seeding from a fixed seed, 3 restarts,
   k = 8 at most (fewer for few messages); tiny clusters (< 3 % of the messages) go to "other".
4. **Labels**: a cluster's three heaviest features in its centroid, shown in the words people
   used (the commonest surface form of each stem, accents kept), a bigram hiding its own words.
   Clusters whose labels start with the same word merge.
5. **Change**: last month's messages are assigned to this month's themes (nearest centroid,
   cosine >= 0.15), so each theme has a previous count.
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
I64 = npt.NDArray[np.int64]

MAX_THEMES = 8
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


def tokens(text: str) -> list[tuple[str, str]]:
    """(stem, surface word) pairs of ``text`` with stop words removed; surface keeps accents."""
    text = _HANDLE.sub(" ", _URL.sub(" ", text))
    out = []
    for raw in re.findall(r"[^\W\d_]{3,}", text.lower()):
        folded = _fold(raw)
        if not _WORD.fullmatch(folded) or folded in STOP_WORDS:
            continue
        stem = _stem(folded)
        if stem not in STOP_WORDS:
            out.append((stem, raw))
    return out


def features(text: str) -> list[str]:
    """Stems and adjacent stem pairs (``a_b``) of ``text``."""
    stems = [s for s, _ in tokens(text)]
    concepts = sorted({f"@{_CONCEPT_OF[s]}" for s in stems if s in _CONCEPT_OF})
    return stems + [f"{a}_{b}" for a, b in itertools.pairwise(stems) if a != b] + concepts


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

    def dot(self, dense: F32) -> F32:
        """self @ dense.T for a (k, n_cols) dense matrix: (n_rows, k)."""
        out = np.zeros((self.n_rows, dense.shape[0]), dtype=np.float32)
        if len(self.data) == 0:
            return out
        products = dense[:, self.indices] * self.data  # (k, nnz)
        starts = self.indptr[:-1]
        nonempty = self.indptr[1:] > starts
        sums = np.add.reduceat(products, starts[nonempty], axis=1)
        out[nonempty] = sums.T
        return out


def _vectorise(docs: Sequence[list[str]], vocabulary: dict[str, int], idf: F32) -> _Matrix:
    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    for feats in docs:
        counts = Counter(f for f in feats if f in vocabulary)
        for feat, c in sorted(counts.items()):
            j = vocabulary[feat]
            indices.append(j)
            data.append((1.0 + np.log(c)) * float(idf[j]))
        indptr.append(len(indices))
    ip = np.asarray(indptr, dtype=np.int64)
    values = np.asarray(data, dtype=np.float32)
    norms = np.sqrt(np.add.reduceat(values**2, ip[:-1][ip[1:] > ip[:-1]])) if len(values) else values
    lengths = np.diff(ip)
    scale = np.repeat(norms, lengths[lengths > 0]) if len(values) else values
    return _Matrix(
        ip,
        np.asarray(indices, dtype=np.int64),
        (values / np.maximum(scale, 1e-12)).astype(np.float32),
        len(vocabulary),
    )


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
    counts = Counter(" ".join(t.split()) for t in texts if t and t.strip())
    unique = sorted(counts)
    n_total = sum(counts.values())
    if not unique:
        return Themes((), 0, 0, len(previous), tuple(-1 for _ in texts))
    feats = [features(t) for t in unique]
    weights = np.array([counts[t] for t in unique], dtype=np.float32)

    # Vocabulary by weighted document frequency.
    df: Counter[str] = Counter()
    for f, w in zip(feats, weights, strict=True):
        for feat in set(f):
            df[feat] += int(w)
    low = max(3, int(0.001 * n_total))
    vocab_terms = sorted(t for t, c in df.items() if low <= c <= 0.4 * n_total)
    if not vocab_terms:
        return Themes((), n_total, n_total, len(previous), tuple(-1 for _ in texts))
    vocabulary = {t: i for i, t in enumerate(vocab_terms)}
    dfs = np.array([df[t] for t in vocab_terms], dtype=np.float32)
    idf = (np.log((1 + n_total) / (1 + dfs)) + 1).astype(np.float32)
    x = _vectorise(feats, vocabulary, idf)
    has_features = np.diff(x.indptr) > 0

    k = int(min(max_themes, max(2, n_total // 10), int(has_features.sum())))
    k = max(k, 1)
    best: tuple[I64, F32, float] | None = None
    for restart in range(3):
        result = _kmeans(x, weights, k, np.random.default_rng(SEED + restart))
        if best is None or result[2] > best[2]:
            best = result
    assert best is not None
    labels, centroids, _ = best
    labels = np.where(has_features, labels, -1)

    surface = _surface_forms(unique, weights)
    concept_columns = np.array([i for i, t in enumerate(vocab_terms) if t.startswith("@")], dtype=np.int64)
    clusters: dict[str, tuple[int, list[str]]] = {}  # leading word -> (cluster, terms)
    alias: dict[int, int] = {}
    sizes = np.bincount(labels[labels >= 0], weights=weights[labels >= 0], minlength=k)
    for c in np.argsort(-sizes, kind="stable"):
        if sizes[c] < max(3, MIN_SHARE * n_total):
            labels[labels == c] = -1
            continue
        terms = _label_terms(centroids[c], vocab_terms)
        key = _merge_key(centroids[c], vocab_terms, concept_columns) or terms[0]
        if key in clusters:  # same leading concept (or word): one theme
            alias[int(c)] = clusters[key][0]
            labels[labels == c] = alias[int(c)]
            continue
        clusters[key] = (int(c), terms)
        alias[int(c)] = int(c)

    prev_counts: Counter[int] = Counter()
    for c, n in _assign(previous, vocabulary, idf, centroids).items():
        if c in alias:
            prev_counts[alias[c]] += n
    themes: list[tuple[Theme, int]] = []
    for c, terms in clusters.values():
        members = np.flatnonzero(labels == c)
        count = int(weights[members].sum())
        words = tuple(_show(t, surface) for t in terms)
        sims = x.dot(centroids[c : c + 1])[members, 0]
        picks = _pick_examples(unique, members, sims, examples)
        themes.append((Theme(" · ".join(words), words, count, prev_counts.get(c, 0), picks), c))
    themes.sort(key=lambda tc: (-tc[0].count, tc[0].label))
    position = {c: i for i, (_, c) in enumerate(themes)}
    of_unique = {text: position.get(int(label), -1) for text, label in zip(unique, labels, strict=True)}
    assignments = tuple(of_unique.get(" ".join(t.split()), -1) if t else -1 for t in texts)
    other = n_total - sum(t.count for t, _ in themes)
    return Themes(tuple(t for t, _ in themes), n_total, other, len(previous), assignments)


def _merge_key(centroid: F32, vocab_terms: list[str], concept_columns: I64) -> str | None:
    """The cluster's dominant seed concept, when one clearly leads (clusters sharing one merge)."""
    if len(concept_columns) == 0:
        return None
    weights = centroid[concept_columns]
    top = int(np.argmax(weights))
    second = float(np.partition(weights, -2)[-2]) if len(weights) > 1 else 0.0
    if weights[top] >= 0.2 and weights[top] >= 2 * second:
        return vocab_terms[int(concept_columns[top])]
    return None


def _label_terms(centroid: F32, vocab_terms: list[str], n: int = 3) -> list[str]:
    order = np.argsort(-centroid, kind="stable")
    chosen: list[str] = []
    covered: set[str] = set()
    for j in order[: 6 * n]:
        term = vocab_terms[int(j)]
        if term.startswith("@"):
            continue
        parts = term.split("_")
        if any(p in covered for p in parts) or centroid[j] <= 0:
            continue
        chosen.append(term)
        covered.update(parts)
        if len(chosen) == n:
            break
    return chosen or [vocab_terms[int(order[0])]]


def _surface_forms(texts: list[str], weights: F32) -> dict[str, str]:
    """Each stem's commonest written form (accents kept)."""
    forms: dict[str, Counter[str]] = {}
    for text, w in zip(texts, weights, strict=True):
        for stem, raw in tokens(text):
            forms.setdefault(stem, Counter())[raw] += int(w)
    return {stem: c.most_common(1)[0][0] for stem, c in forms.items()}


def _show(term: str, surface: dict[str, str]) -> str:
    return " ".join(surface.get(p, p) for p in term.split("_"))


def _pick_examples(texts: list[str], members: I64, sims: F32, n: int) -> tuple[str, ...]:
    """The ``n`` messages closest to the theme's centre, readable length first."""
    order = sorted(
        range(len(members)),
        key=lambda i: (not 25 <= len(texts[members[i]]) <= 160, -float(sims[i]), texts[members[i]]),
    )
    return tuple(texts[members[i]] for i in order[:n])


def _assign(texts: Sequence[str], vocabulary: dict[str, int], idf: F32, centroids: F32) -> Counter[int]:
    """How many of ``texts`` fall nearest each centroid (cosine at least ASSIGN_MIN_SIMILARITY)."""
    if not texts:
        return Counter()
    x = _vectorise([features(t) for t in texts], vocabulary, idf)
    sims = x.dot(centroids)
    best = np.argmax(sims, axis=1)
    ok = sims[np.arange(len(best)), best] >= ASSIGN_MIN_SIMILARITY
    return Counter(int(b) for b, good in zip(best, ok, strict=True) if good)
