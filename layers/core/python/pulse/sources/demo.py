"""A deterministic demo source: realistic data for any brand, any window.

Each (brand, account, local day) has its own random generator seeded from
those values, so fetching overlapping windows returns the same rows and a
re-run is idempotent. Messages come in French or English following the brand's
language (with a few in the other language), with complaints, questions and
praise; the brand answers most of them after realistic, business-hours-shaped
delays, some never, and some customers answer back.
"""

from __future__ import annotations

import zlib
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pandas as pd

from pulse.config import Account, Brand
from pulse.sources.base import Progress, Source
from pulse.tables import ACCOUNT_METRICS, DATED_TABLES, TABLES, Tables, normalize

# Inbound messages are composed from parts (opening, what happened, detail, ending, emoji), per
# language and theme, with typos, missing accents, hashtags and the odd message in the other
# language, so a month reads like a month and not like a dozen sentences on repeat. ``kind``
# drives how likely and how fast the brand answers.
Kind = str  # "complaint" | "question" | "praise"

#: Complaint themes: what people write about each, in their words ({p} a product, {d} a number).
COMPLAINTS: dict[str, dict[str, list[str]]] = {
    "fr": {
        "livraison": [
            "toujours pas reçu ma commande après {d} jours",
            "mon colis est bloqué depuis {d} jours, le suivi ne bouge plus",
            "livraison prévue lundi et toujours rien",
            "le livreur a noté absent alors que j'étais chez moi",
            "commande passée il y a {d} jours, toujours pas expédiée",
            "colis livré chez le voisin sans prévenir, super",
            "on m'annonce encore un retard de livraison pour mon {p}",
        ],
        "remboursement": [
            "j'attends mon remboursement depuis {d} semaines",
            "retour renvoyé il y a {d} semaines et toujours pas remboursé",
            "on m'avait promis un avoir qui n'est jamais arrivé",
            "remboursement refusé sans aucune explication",
            "toujours pas été remboursée pour le {p} retourné",
        ],
        "paiement": [
            "le site plante au moment du paiement",
            "impossible de payer avec ma carte sur l'appli",
            "paiement débité deux fois pour une seule commande",
            "l'appli bug quand je valide mon panier",
            "code promo refusé au paiement alors qu'il est valable",
        ],
        "service": [
            "personne ne répond au téléphone depuis {d} jours",
            "3e mail au service client sans réponse",
            "le chat en ligne est toujours indisponible",
            "on m'a raccroché au nez au service client",
        ],
        "qualite": [
            "mon {p} a bouloché après un seul lavage",
            "la couture de mon {p} a lâché au bout d'une semaine",
            "{p} reçu abîmé, déçue",
            "la qualité a vraiment baissé, ça ne vaut plus le prix",
            "le {p} taille beaucoup trop petit, rien à voir avec le guide",
        ],
        "prix": [
            "les prix ont encore augmenté, c'est abusé",
            "frais de port à {d} € pour un {p}, sérieusement ?",
            "trop cher pour la qualité proposée",
        ],
    },
    "en": {
        "delivery": [
            "still haven't received my order after {d} days",
            "my parcel has been stuck for {d} days, tracking hasn't moved",
            "delivery was due Monday and still nothing",
            "courier says nobody was home, I was home all day",
            "ordered {d} days ago and it hasn't even shipped",
            "my new {p} never arrived",
        ],
        "refund": [
            "still waiting for my refund after {d} weeks",
            "sent the {p} back {d} weeks ago and no refund yet",
            "refund denied with no explanation",
            "you promised a credit that never showed up",
        ],
        "app": [
            "the app keeps crashing when I try to log in",
            "can't pay with my card in the app, error every time",
            "I got charged twice for the same payment",
            "the app logs me out every five minutes",
            "checkout fails every time I try to pay",
        ],
        "support": [
            "waited {d} minutes on hold and got disconnected",
            "third email to support and no reply",
            "live chat has been offline for days",
            "nobody answers my messages, {d} days now",
        ],
        "quality": [
            "my {p} fell apart after a week",
            "{p} arrived damaged",
            "the quality has really gone down, not worth the price anymore",
            "zip on my {p} broke the first time I used it",
        ],
        "fees": [
            "another fee increase, seriously?",
            "{d} dollars of fees for a {p}, that's a joke",
            "way too expensive for what you get",
        ],
    },
}

OPENINGS = {
    "fr": ["", "", "Bonjour, ", "Franchement ", "Sérieusement, ", "@{brand} ", "Allo ? ", "Bonsoir, "],
    "en": ["", "", "Hi, ", "Honestly ", "Seriously, ", "@{brand} ", "Hello? ", "Hey "],
}
ENDINGS = {
    "fr": ["", "", ".", "…", " !", " !!", ". Inadmissible.", ". Je suis très déçue.",
           ", c'est n'importe quoi.", ". Vous comptez faire quelque chose ?", " #servicenul", " #déçue",
           ". Dernière commande chez vous."],
    "en": ["", "", ".", "...", "!", "!!", ". Unacceptable.", ". Really disappointed.",
           ", this is ridiculous.", ". Are you going to do anything?", " #fail", " #badservice",
           ". Never ordering again."],
}  # fmt: skip
ANGRY = ["😡", "😤", "😠", "🙄", "👎", "😞", "", "", ""]
HAPPY = ["😍", "👍", "🙌", "❤️", "😊", "✨", "", ""]

QUESTIONS = {
    "fr": [
        "Vous livrez en {pays} ?",
        "Bonjour, comment modifier l'adresse de livraison de ma commande ?",
        "Est-ce que le {p} existe en {couleur} ?",
        "Quels sont vos horaires pendant les fêtes ?",
        "Le {p} taille comment ? Je fais du {taille} d'habitude",
        "Peut-on retourner en boutique un article acheté en ligne ?",
        "Bonjour, le {p} sera de nouveau dispo quand ?",
        "Vous avez une boutique à {ville} ?",
        "C'est possible de faire un paquet cadeau ?",
    ],
    "en": [
        "Do you ship to {pays}?",
        "Hi, how do I change the delivery address on my order?",
        "Does the {p} come in {couleur}?",
        "What are your opening hours over the holidays?",
        "How does the {p} fit? I'm usually a {taille}",
        "Can I return something I bought online in store?",
        "When will the {p} be back in stock?",
        "Do you have a store in {ville}?",
        "Is gift wrapping available?",
    ],
}
PRAISE = {
    "fr": [
        "Merci pour la réponse rapide, problème réglé",
        "J'adore mon nouveau {p}, bravo à toute l'équipe",
        "Super accueil en boutique à {ville}, vendeuse adorable",
        "Reçu en 2 jours, parfait",
        "Très contente de mon {p}, la qualité est top",
        "Merci {brand}, toujours au top",
        "Le {p} est magnifique, je recommande",
    ],
    "en": [
        "Thanks for sorting this out so quickly, great service",
        "Love my new {p}, well done team",
        "Lovely staff at the {ville} store today",
        "Arrived in two days, perfect",
        "Really happy with my {p}, great quality",
        "Thanks {brand}, always great",
        "Best customer support I've dealt with in years",
    ],
}
FILL = {
    "pays": ["Belgique", "Suisse", "Canada", "Espagne", "Germany", "Ireland"],
    "couleur": ["noir", "bleu marine", "vert", "bordeaux", "beige"],
    "taille": ["S", "M", "38", "40", "L"],
    "ville": ["Lyon", "Bordeaux", "Lille", "Montréal", "Boston", "Leeds"],
}
#: What each demo brand sells and which complaint themes its customers raise (relative weights).
PRODUCTS: dict[str, list[str]] = {
    "maison-lumiere": ["pull", "manteau", "robe", "écharpe", "sac"],
    "brightbank": ["card", "debit card", "account", "transfer"],
    "cafe-boreal": ["latte", "croissant", "café en grains", "carte de fidélité"],
    "northwind-outdoor": ["jacket", "tent", "boots", "backpack"],
}
THEME_WEIGHTS: dict[str, dict[str, float]] = {
    "maison-lumiere": {
        "livraison": 3,
        "remboursement": 2,
        "qualite": 2,
        "paiement": 1,
        "service": 1,
        "prix": 1,
    },
    "brightbank": {"app": 4, "fees": 2, "support": 2, "refund": 1, "delivery": 0.5},
    "cafe-boreal": {"service": 2, "prix": 2, "qualite": 1, "paiement": 1, "livraison": 0.5},
    "northwind-outdoor": {"delivery": 2, "quality": 3, "refund": 2, "support": 1},
}

#: A planted incident: a carrier outage from day 13 to 15 of every month for one brand. Delivery
#: complaints multiply and the team, swamped, answers fewer and later. The calm brands have none.
INCIDENTS: dict[str, tuple[int, int, float]] = {"maison-lumiere": (13, 3, 9.0)}  # first day, days, x
INCIDENT_TEXTS = [
    "tous les colis sont bloqués ou quoi ?? toujours rien reçu",
    "le suivi indique « incident de livraison » depuis {d} jours",
    "votre transporteur ne répond plus, où est ma commande ??",
    "commande du {d} toujours pas livrée, aucune info",
    "colis bloqué au dépôt depuis {d} jours, personne ne répond",
    "3 jours de retard et pas un mail, c'est une blague ?",
    "ma commande devait arriver hier, suivi bloqué",
    "livraison annulée sans prévenir, je fais comment pour Noël ?",
]


def _pick(rng: np.random.Generator, items: list[str]) -> str:
    return items[int(rng.integers(len(items)))]


def _typos(rng: np.random.Generator, text: str) -> str:
    """What people do to text on a phone: no accents, no capitals, a swapped or doubled letter."""
    if rng.random() < 0.15:
        text = text.translate(str.maketrans("éèêàçùôî", "eeeacuoi"))
    if rng.random() < 0.25:
        text = text.lower()
    if rng.random() < 0.12 and len(text) > 12:
        i = int(rng.integers(1, len(text) - 2))
        if text[i].isalpha() and text[i + 1].isalpha():
            text = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if rng.random() < 0.05:
        text = text.upper()
    return text


def _fill(rng: np.random.Generator, template: str, brand: Brand) -> str:
    products = PRODUCTS.get(brand.id, ["article", "product", "order"])
    values = {k: _pick(rng, v) for k, v in FILL.items()}
    values.update(p=_pick(rng, products), d=str(int(rng.integers(2, 21))), brand=brand.name.replace(" ", ""))
    return template.format(**values)


def _themes(brand: Brand, lang: str) -> tuple[list[str], npt.NDArray[np.float64]]:
    weights = THEME_WEIGHTS.get(brand.id, {})
    names = list(COMPLAINTS[lang])
    w = np.array([weights.get(n, 0.0) for n in names]) + 0.5
    return names, w / w.sum()


def compose_message(rng: np.random.Generator, brand: Brand, lang: str, kind: Kind) -> tuple[str, str | None]:
    """One inbound message of ``kind`` and its complaint theme (None for questions and praise)."""
    if kind == "question":
        return _typos(rng, _fill(rng, _pick(rng, QUESTIONS[lang]), brand)), None
    if kind == "praise":
        text = (
            _fill(rng, _pick(rng, PRAISE[lang]), brand)
            + _pick(rng, ["", " !", ".", " 👏"])
            + " "
            + _pick(rng, HAPPY)
        )
        return _typos(rng, text.strip()), None
    if kind == "incident":
        core, theme = _fill(rng, _pick(rng, INCIDENT_TEXTS), brand), "livraison"
    else:
        names, weights = _themes(brand, lang)
        theme = names[int(rng.choice(len(names), p=weights))]
        core = _fill(rng, _pick(rng, COMPLAINTS[lang][theme]), brand)
    opening = _fill(rng, _pick(rng, OPENINGS[lang]), brand)
    text = (opening + (core[0].upper() + core[1:] if not opening else core)) + _pick(rng, ENDINGS[lang])
    text = f"{text} {_pick(rng, ANGRY)}".strip()
    if rng.random() < 0.004:  # someone always tries
        text = "<b>Encore</b> un retard & aucune info… <script>alert('x')</script>"
    return _typos(rng, text), theme


REPLIES: dict[str, list[str]] = {
    "fr": [
        "Bonjour, nous sommes désolés pour ce désagrément. Pouvez-vous nous écrire en MP avec votre numéro de commande ?",
        "Merci pour votre message ! Nous regardons cela tout de suite.",
        "Bonjour, oui tout à fait ! Toutes les infos sont sur notre site.",
        "Merci beaucoup pour votre retour, toute l'équipe est ravie 😊",
    ],
    "en": [
        "Hi, we're sorry about this. Could you DM us your order number so we can help?",
        "Thanks for reaching out! We're looking into it right now.",
        "Hi! Yes, you'll find all the details on our website.",
        "Thank you so much, the whole team is delighted to hear this 😊",
    ],
}

FOLLOW_UPS: dict[str, list[str]] = {
    "fr": ["C'est fait, merci.", "Toujours rien reçu malgré votre message…", "Merci !"],
    "en": ["Done, thanks.", "Still nothing, even after your reply…", "Thanks!"],
}

POST_TEXTS: dict[str, list[str]] = {
    "fr": [
        "Découvrez notre nouvelle collection automne ✨",
        "Jeu concours : tentez de gagner un bon de 100 € ! #concours",
        "Coulisses : notre atelier prépare les commandes de la semaine",
        "Nos conseils pour bien entretenir vos produits",
        "Merci pour vos 10 000 abonnés ! 🎉",
        "Nouvelle boutique ouverte à Lyon, venez nous voir !",
    ],
    "en": [
        "Meet our new autumn range ✨",
        "Giveaway: win a $100 voucher! #giveaway",
        "Behind the scenes: packing this week's orders",
        "Five tips to get the most out of your subscription",
        "Thank you for 10,000 followers! 🎉",
        "Our new store opens in Boston this Saturday!",
    ],
}

AUTHORS = ["camille_r", "j.martin", "lea.b", "tom_h", "sarah.k", "mike_d", "nina.v", "alex_p", "zoe.m"]

# Per platform: base follower count, daily posts, daily inbound messages, whether impressions/reach exist.
PLATFORM_PROFILE: dict[str, tuple[int, float, float, bool]] = {
    "x": (18_000, 1.6, 7.0, True),
    "facebook": (42_000, 1.0, 5.0, True),
    "instagram": (31_000, 0.9, 6.0, True),
    "linkedin": (9_000, 0.5, 1.2, True),
    "youtube": (12_000, 0.15, 2.0, True),
    "tiktok": (25_000, 0.6, 4.0, True),
    "mastodon": (2_500, 0.8, 1.5, False),
    "bluesky": (4_000, 1.0, 2.0, False),
}


def _seed(*parts: object) -> int:
    return zlib.crc32("|".join(str(p) for p in parts).encode())


def _brand_offset(brand: Brand) -> float:
    return (_seed(brand.id) % 1000) / 1000.0


class DemoSource(Source):
    """Generated data, the same for the same brand and day whatever the window."""

    name = "demo"

    def __init__(self, epoch: date = date(2025, 1, 1)) -> None:
        self.epoch = epoch

    def fetch(
        self,
        brand: Brand,
        start: datetime,
        end: datetime,
        *,
        deadline: float | None = None,
        on_progress: Progress | None = None,
    ) -> Tables:
        tz = brand.tz
        # Replies and follow-ups of messages from earlier days may land in the window.
        first = (start.astimezone(tz) - timedelta(days=4)).date()
        last = (end.astimezone(tz)).date()
        posts, messages, followers, account_days = [], [], [], []
        for account in brand.accounts:
            day = first
            while day <= last:
                p, m, f = self._day(brand, account, day, tz)
                posts += p
                messages += m
                followers += f
                account_days += self._account_day(brand, account, day)
                day += timedelta(days=1)
        lo, hi = pd.Timestamp(start).tz_convert(UTC), pd.Timestamp(end).tz_convert(UTC)
        tables = Tables(
            posts=normalize("posts", pd.DataFrame(posts or None, columns=_POST_COLS), where="demo"),
            messages=normalize("messages", pd.DataFrame(messages or None, columns=_MSG_COLS), where="demo"),
            followers=normalize(
                "followers", pd.DataFrame(followers or None, columns=_FOL_COLS), where="demo"
            ),
            account_daily=normalize(
                "account_daily", pd.DataFrame(account_days or None, columns=_DAY_COLS), where="demo"
            ),
        )
        tables.posts = tables.posts[(tables.posts["created_at"] >= lo) & (tables.posts["created_at"] < hi)]
        tables.messages = tables.messages[
            (tables.messages["created_at"] >= lo) & (tables.messages["created_at"] < hi)
        ]
        local_lo = pd.Timestamp(start.astimezone(tz).date())
        local_hi = pd.Timestamp(end.astimezone(tz).date())
        for dated in DATED_TABLES:
            frame = tables.get(dated)
            setattr(tables, dated, frame[(frame["date"] >= local_lo) & (frame["date"] < local_hi)])
        for name in TABLES:
            setattr(tables, name, tables.get(name).reset_index(drop=True))
        return tables

    def _follower_count(
        self, brand: Brand, account: Account, day: date, rng: np.random.Generator | None = None
    ) -> int:
        """The day's follower snapshot: steady growth that speeds up a little every month, plus
        noise (the first draw of the day's generator, so the day's other draws don't depend on it)."""
        if rng is None:
            rng = np.random.default_rng(_seed(brand.id, account.platform, account.id, day.isoformat()))
        age = (day - self.epoch).days
        growth = (8 + 20 * _brand_offset(brand)) * (1 + 0.04 * (age // 30))
        base_followers = PLATFORM_PROFILE[account.platform][0]
        return int(base_followers * (0.6 + _brand_offset(brand)) + growth * age + rng.normal(0, 15))

    def _account_day(self, brand: Brand, account: Account, day: date) -> list[dict[str, object]]:
        """What the platform's account insights would say of the day (only where its API gives
        them: Facebook, Instagram, LinkedIn, YouTube; LinkedIn has no unfollows). Follows minus
        unfollows is exactly the change of the snapshots, as on a real account."""
        metrics = ACCOUNT_INSIGHTS.get(account.platform)
        if not metrics:
            return []
        rng = np.random.default_rng(_seed(brand.id, account.platform, account.id, day.isoformat(), "account"))
        count = self._follower_count(brand, account, day)
        net = count - self._follower_count(brand, account, day - timedelta(days=1))
        lost = max(int(rng.poisson(count * 0.0007)), -net)
        age = (day - self.epoch).days
        views = int(count * rng.lognormal(-0.4, 0.35) * (1 + 0.02 * (age // 30)))
        values: dict[str, object] = {
            "followers_gained": net + lost,
            "followers_lost": lost,
            "views": views,
            "reach": int(views * rng.uniform(0.45, 0.75)),
            "profile_views": int(views * rng.uniform(0.01, 0.03)),
        }
        row: dict[str, object] = {"platform": account.platform, "account": account.id, "date": day}
        row.update({m: values[m] if m in metrics else None for m in ACCOUNT_METRICS})
        return [row]

    def _day(
        self, brand: Brand, account: Account, day: date, tz: ZoneInfo
    ) -> tuple[list[dict[str, object]], list[dict[str, object]], list[dict[str, object]]]:
        rng = np.random.default_rng(_seed(brand.id, account.platform, account.id, day.isoformat()))
        _, posts_per_day, inbound_per_day, has_views = PLATFORM_PROFILE[account.platform]
        lang = brand.language
        other = "en" if lang == "fr" else "fr"
        offset = _brand_offset(brand)
        age = (day - self.epoch).days
        weekend = day.weekday() >= 5
        midnight = datetime(day.year, day.month, day.day, tzinfo=tz)

        count = self._follower_count(brand, account, day, rng)
        followers = [{"platform": account.platform, "account": account.id, "date": day, "followers": count}]

        posts: list[dict[str, object]] = []
        for i in range(rng.poisson(posts_per_day * (0.5 if weekend else 1.0))):
            at = midnight + timedelta(hours=float(rng.uniform(8, 20)))
            impressions = int(count * rng.lognormal(-1.0, 0.5) * (1 + 0.02 * (age // 30)))
            rate = float(rng.uniform(0.01, 0.06))
            likes = int(impressions * rate * 0.7)
            posts.append(
                {
                    "platform": account.platform,
                    "account": account.id,
                    "post_id": f"{account.platform[:2]}{_seed(account.id, day, i)}",
                    "created_at": at.isoformat(),
                    "text": POST_TEXTS[lang][int(rng.integers(len(POST_TEXTS[lang])))],
                    "impressions": impressions if has_views else None,
                    "reach": int(impressions * rng.uniform(0.55, 0.85)) if has_views else None,
                    "likes": likes,
                    "comments": int(impressions * rate * 0.08),
                    "shares": int(impressions * rate * 0.12),
                    "saves": int(impressions * rate * 0.05) if account.platform == "instagram" else 0,
                    "clicks": int(impressions * rate * 0.3) if has_views else 0,
                }
            )

        messages: list[dict[str, object]] = []
        plan = INCIDENTS.get(brand.id)
        outage = plan is not None and plan[0] <= day.day < plan[0] + plan[1]
        # How many messages and of which kind: complaints vary by brand and month (themes come and go).
        month_mood = 0.7 + 0.6 * ((_seed(brand.id, day.year, day.month) % 100) / 100)
        kinds = ["complaint", "question", "praise"]
        kind_p = np.array([0.36 * month_mood, 0.34, 0.30])
        n_inbound = int(rng.poisson(inbound_per_day * (0.7 if weekend else 1.0)))
        n_outage = int(rng.poisson(inbound_per_day * plan[2] * 0.6)) if outage and plan else 0
        for i in range(n_inbound + n_outage):
            mlang = other if rng.random() < 0.08 else lang
            kind = "incident" if i >= n_inbound else kinds[int(rng.choice(3, p=kind_p / kind_p.sum()))]
            if kind == "incident":
                mlang = lang
            text, _theme = compose_message(rng, brand, mlang, kind)
            if kind == "incident":
                kind = "complaint"
                at = midnight + timedelta(hours=float(rng.uniform(6, 23.5)))
            else:
                at = midnight + timedelta(hours=float(rng.triangular(0, 14, 24)))
            mid = f"m{_seed(account.id, day, 'in', i)}"
            author = AUTHORS[int(rng.integers(len(AUTHORS)))]
            reply_to_post = (
                posts[int(rng.integers(len(posts)))]["post_id"] if posts and rng.random() < 0.4 else None
            )
            messages.append(_message(account, mid, at, author, False, reply_to_post, text))
            answer_prob = {"complaint": 0.85, "question": 0.9, "praise": 0.6}[kind] - 0.15 * offset
            if outage:  # the team is swamped: fewer answers, later
                answer_prob *= 0.45
            if rng.random() >= answer_prob:
                continue
            local_hour = at.hour + at.minute / 60
            delay_min = float(rng.lognormal(np.log(35 + 60 * offset), 0.9)) * (8.0 if outage else 1.0)
            if local_hour >= 19 or local_hour < 8 or weekend:
                delay_min += 60 * float(rng.uniform(6, 14))  # answered next morning
            reply_at = at + timedelta(minutes=delay_min)
            reply_id = f"r{_seed(account.id, day, 'reply', i)}"
            reply_text = REPLIES[mlang][
                {"complaint": 0, "question": 2, "praise": 3}[kind] if rng.random() < 0.7 else 1
            ]
            messages.append(_message(account, reply_id, reply_at, brand.name, True, mid, reply_text))
            if rng.random() < 0.15:  # a second brand message in the same thread
                later = reply_at + timedelta(minutes=float(rng.uniform(5, 120)))
                messages.append(
                    _message(account, f"{reply_id}b", later, brand.name, True, mid, REPLIES[mlang][1])
                )
            if rng.random() < 0.2:  # the customer answers back
                back = reply_at + timedelta(minutes=float(rng.uniform(3, 600)))
                follow = FOLLOW_UPS[mlang][int(rng.integers(len(FOLLOW_UPS[mlang])))]
                messages.append(_message(account, f"{reply_id}c", back, author, False, reply_id, follow))
        return posts, messages, followers


def _message(
    account: Account, mid: str, at: datetime, author: str, from_brand: bool, in_reply_to: object, text: str
) -> dict[str, object]:
    return {
        "platform": account.platform,
        "account": account.id,
        "message_id": mid,
        "created_at": at.astimezone(UTC).isoformat(),
        "author": author,
        "from_brand": from_brand,
        "in_reply_to": in_reply_to,
        "text": text,
    }


_POST_COLS = ["platform", "account", "post_id", "created_at", "text", "impressions", "reach",
              "likes", "comments", "shares", "saves", "clicks"]  # fmt: skip
_MSG_COLS = ["platform", "account", "message_id", "created_at", "author", "from_brand", "in_reply_to", "text"]
_FOL_COLS = ["platform", "account", "date", "followers"]
_DAY_COLS = ["platform", "account", "date", *ACCOUNT_METRICS]

#: The account-day metrics each platform's API gives (docs/connectors.md); others give none.
ACCOUNT_INSIGHTS: dict[str, frozenset[str]] = {
    "facebook": frozenset({"followers_gained", "followers_lost", "views", "reach"}),
    "instagram": frozenset({"followers_gained", "followers_lost", "views", "reach", "profile_views"}),
    "linkedin": frozenset({"followers_gained"}),
    "youtube": frozenset({"followers_gained", "followers_lost", "views"}),
}
