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
import pandas as pd

from pulse.config import Account, Brand
from pulse.sources.base import Progress, Source
from pulse.tables import Tables, normalize

# (text, kind) - kind drives how likely and how fast the brand answers.
INBOUND: dict[str, list[tuple[str, str]]] = {
    "fr": [
        ("Toujours pas reçu ma commande après 10 jours, c'est inadmissible 😡 #servicenul", "complaint"),
        ("Le site plante au moment du paiement, impossible de valider mon panier…", "complaint"),
        ("3e appel au service client et personne ne répond. #yenamarre", "complaint"),
        ("Produit arrivé cassé, je demande un remboursement immédiat !", "complaint"),
        ("Franchement déçu par la qualité, ça ne vaut pas le prix.", "complaint"),
        ("Vous livrez en Belgique ? Merci d'avance", "question"),
        ("Bonjour, comment modifier l'adresse de livraison de ma commande ?", "question"),
        ("Est-ce que la collection d'hiver sera dispo en magasin ?", "question"),
        ("Quels sont vos horaires pendant les fêtes ?", "question"),
        ("Merci pour la réponse rapide, problème réglé 👍", "praise"),
        ("J'adore la nouvelle collection, bravo à toute l'équipe ! 😍", "praise"),
        ("Super expérience en boutique aujourd'hui, vendeuse adorable", "praise"),
        ("Pas mal du tout ce nouveau produit, je recommande", "praise"),
        ("<b>Encore</b> un retard & aucune info… <script>alert('x')</script>", "complaint"),
    ],
    "en": [
        ("Still no refund after three weeks. This is unacceptable 😠", "complaint"),
        ("Your app keeps crashing when I try to log in. Fix it please!", "complaint"),
        ("Waited 40 minutes on hold and got disconnected. #fail", "complaint"),
        ("Package arrived damaged and nobody answers my emails.", "complaint"),
        ("Really disappointed with the latest update, it's so slow now.", "complaint"),
        ("Do you ship to Canada?", "question"),
        ("Hi, how do I change the card linked to my account?", "question"),
        ("When will the new range be back in stock?", "question"),
        ("Are your stores open on Sunday?", "question"),
        ("Thanks for sorting this out so quickly, great service 🙌", "praise"),
        ("Love the new design, well done team! ❤️", "praise"),
        ("Best customer support I've dealt with in years.", "praise"),
        ("Not bad at all, the new feature works great", "praise"),
        ("<i>Again</i> a delay & no update… <script>alert('x')</script>", "complaint"),
    ],
}

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
        posts, messages, followers = [], [], []
        for account in brand.accounts:
            day = first
            while day <= last:
                p, m, f = self._day(brand, account, day, tz)
                posts += p
                messages += m
                followers += f
                day += timedelta(days=1)
        lo, hi = pd.Timestamp(start).tz_convert(UTC), pd.Timestamp(end).tz_convert(UTC)
        tables = Tables(
            posts=normalize("posts", pd.DataFrame(posts or None, columns=_POST_COLS), where="demo"),
            messages=normalize("messages", pd.DataFrame(messages or None, columns=_MSG_COLS), where="demo"),
            followers=normalize(
                "followers", pd.DataFrame(followers or None, columns=_FOL_COLS), where="demo"
            ),
        )
        tables.posts = tables.posts[(tables.posts["created_at"] >= lo) & (tables.posts["created_at"] < hi)]
        tables.messages = tables.messages[
            (tables.messages["created_at"] >= lo) & (tables.messages["created_at"] < hi)
        ]
        local_lo = pd.Timestamp(start.astimezone(tz).date())
        local_hi = pd.Timestamp(end.astimezone(tz).date())
        tables.followers = tables.followers[
            (tables.followers["date"] >= local_lo) & (tables.followers["date"] < local_hi)
        ]
        for name in ("posts", "messages", "followers"):
            setattr(tables, name, tables.get(name).reset_index(drop=True))
        return tables

    def _day(
        self, brand: Brand, account: Account, day: date, tz: ZoneInfo
    ) -> tuple[list[dict[str, object]], list[dict[str, object]], list[dict[str, object]]]:
        rng = np.random.default_rng(_seed(brand.id, account.platform, account.id, day.isoformat()))
        base_followers, posts_per_day, inbound_per_day, has_views = PLATFORM_PROFILE[account.platform]
        lang = brand.language
        other = "en" if lang == "fr" else "fr"
        offset = _brand_offset(brand)
        age = (day - self.epoch).days
        weekend = day.weekday() >= 5
        midnight = datetime(day.year, day.month, day.day, tzinfo=tz)

        # Followers: steady growth that speeds up a little every month, plus noise.
        growth = (8 + 20 * offset) * (1 + 0.04 * (age // 30))
        count = int(base_followers * (0.6 + offset) + growth * age + rng.normal(0, 15))
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
        for i in range(rng.poisson(inbound_per_day * (0.7 if weekend else 1.0))):
            mlang = other if rng.random() < 0.1 else lang
            text, kind = INBOUND[mlang][int(rng.integers(len(INBOUND[mlang])))]
            at = midnight + timedelta(hours=float(rng.triangular(0, 14, 24)))
            mid = f"m{_seed(account.id, day, 'in', i)}"
            author = AUTHORS[int(rng.integers(len(AUTHORS)))]
            reply_to_post = (
                posts[int(rng.integers(len(posts)))]["post_id"] if posts and rng.random() < 0.4 else None
            )
            messages.append(_message(account, mid, at, author, False, reply_to_post, text))
            answer_prob = {"complaint": 0.85, "question": 0.9, "praise": 0.6}[kind] - 0.15 * offset
            if rng.random() >= answer_prob:
                continue
            local_hour = at.hour + at.minute / 60
            delay_min = float(rng.lognormal(np.log(35 + 60 * offset), 0.9))
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
