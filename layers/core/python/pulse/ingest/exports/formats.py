"""The platforms' own analytics exports this project recognises, and what each one feeds.

Each :class:`ExportFormat` lists, per canonical field, the header names the
platform writes in English and in French. A file is recognised when every
``signature`` field is found in one of its first rows (exports often start with
a title row). Sources for the column names are cited next to each format; the
French names marked *unverified* come from the platforms' French interfaces as
we know them but no public French sample was found: tell us if a real download
differs (``pulse import`` then lists the columns it saw).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from pulse.ingest.exports.values import DateOrder

#: What a format feeds: posts, follower counts, daily net follower changes, or nothing.
Feeds = Literal["posts", "followers", "follower_changes", "nothing"]


def norm(header: object) -> str:
    """A header as compared: NFC, case-folded, one space, typographic quotes straightened."""
    text = unicodedata.normalize("NFC", str(header or ""))
    text = text.replace("\u2019", "'").replace("\u00a0", " ").replace("\u202f", " ").replace("\ufeff", "")
    return " ".join(text.split()).strip(" \"'").casefold()


@dataclass(frozen=True)
class ExportFormat:
    """One platform export: how to recognise it and how its columns map to the canonical tables."""

    key: str
    platform: str
    title: str
    feeds: Feeds
    #: canonical field -> {"en": header names, "fr": header names}
    columns: Mapping[str, Mapping[str, tuple[str, ...]]]
    signature: tuple[str, ...]
    #: What the file cannot give, in the users' words (shown by ``pulse import`` and in docs/import.md).
    limits: str
    source: str
    #: Numeric dates when the headers are English (French: day first). A column whose first
    #: number is above 12 decides by itself.
    english_dates: DateOrder = "mdy"
    #: Extracts the post id from the link when the export has no id column.
    id_from_link: re.Pattern[str] | None = None
    #: Sheet names (case-folded) to prefer in a workbook.
    sheets: tuple[str, ...] = ()
    #: Title (first line) words that must appear, for formats recognised by their title row.
    title_words: tuple[str, ...] = ()
    #: Values of the id/date column that mark a summary row, not data.
    total_rows: tuple[str, ...] = ("total", "totaux", "totals")

    def header_names(self, field_name: str) -> dict[str, set[str]]:
        """Normalised header -> the languages that write it, for one canonical field."""
        out: dict[str, set[str]] = {}
        for lang, group in self.columns.get(field_name, {}).items():
            for name in group:
                out.setdefault(norm(name), set()).add(lang)
        return out


def _c(en: tuple[str, ...] | str, fr: tuple[str, ...] | str = ()) -> dict[str, tuple[str, ...]]:
    return {
        "en": (en,) if isinstance(en, str) else en,
        "fr": (fr,) if isinstance(fr, str) else fr,
    }


FORMATS: tuple[ExportFormat, ...] = (
    ExportFormat(
        key="x-content",
        platform="x",
        title="X account analytics: content export (one row per post)",
        feeds="posts",
        columns={
            "post_id": _c("Post id"),
            "created_at": _c("Date"),
            "text": _c("Post text"),
            "link": _c("Post Link"),
            "impressions": _c("Impressions"),
            "likes": _c("Likes"),
            "comments": _c("Replies"),
            "shares": _c("Reposts"),
            "saves": _c("Bookmarks"),
            "clicks": _c("URL Clicks"),
        },
        signature=("post_id", "link", "impressions"),
        limits=(
            "X gives the day of each post, not its time (read as 00:00 in the brand's time zone); no reach. "
            "X writes this file in English whatever the interface language."
        ),
        source=(
            "X analytics 'Export data' > content, file account_analytics_content_<from>_<to>.csv; header "
            "'Post id,Date,Post text,Post Link,Impressions,Likes,Engagements,Bookmarks,Shares,New follows,"
            "Replies,Reposts,Profile visits,Detail Expands,URL Clicks,Hashtag Clicks,Permalink Clicks' and "
            "dates like 'Tue, Jul 14, 2026' as in public parsers of this file on GitHub (code index, e.g. a "
            "Deno test 'parseXAnalyticsCsv reads the real export shape'); issue #16 quotes the same header."
        ),
        id_from_link=re.compile(r"/status/(\d+)"),
    ),
    ExportFormat(
        key="x-overview",
        platform="x",
        title="X account analytics: account overview export (one row per day)",
        feeds="follower_changes",
        columns={
            "date": _c("Date"),
            "gained": _c("New follows"),
            "lost": _c("Unfollows"),
            "views": _c("Impressions"),
            "profile_views": _c("Profile visits"),
        },
        signature=("date", "gained", "lost"),
        limits=(
            "Daily new follows and unfollows, not the follower count: the counts are rebuilt from a count "
            "already in the lake (API or a followers file) or from --follower-count x=N (the count at the "
            "end of the file's last day). Follows, unfollows, impressions and profile visits per day are "
            "also kept as the account's daily metrics (account_daily); engagements are not per post: not used."
        ),
        source=(
            "X analytics 'Export data' > account overview; header 'Date,Impressions,Engagements,Likes,Replies,"
            "Reposts,New follows,Unfollows,Bookmarks,Shares,Profile visits,Create Post,Video views,Media views' "
            "as in public parsers of this file on GitHub (code index: a 'parse_overview_csv' test)."
        ),
    ),
    ExportFormat(
        key="facebook-posts",
        platform="facebook",
        title="Meta Business Suite: Facebook content export (one row per post)",
        feeds="posts",
        columns={
            "post_id": _c("Post ID", ("Identifiant de la publication", "ID de la publication")),
            "account_id": _c("Page ID", ("ID de la Page", "Identifiant de la Page")),
            "account_name": _c("Page name", "Nom de la Page"),
            "created_at": _c("Publish time", ("Heure de publication", "Date de publication")),
            "text": _c(("Description", "Title"), ("Description", "Titre")),
            "link": _c("Permalink", ("Permalien", "Lien permanent")),
            "impressions": _c("Views", "Vues"),
            "reach": _c("Reach", "Couverture"),
            "likes": _c("Reactions", "Réactions"),
            "comments": _c("Comments", "Commentaires"),
            "shares": _c("Shares", "Partages"),
            "clicks": _c("Total clicks", ("Total des clics", "Nombre total de clics")),
        },
        signature=("post_id", "account_id", "created_at", "likes"),
        limits="No saves on Facebook. 'Views' (Meta's successor of impressions) is stored as impressions.",
        source=(
            "Meta Business Suite > Insights > Content > Export (CSV); English header 'Post ID,Page ID,Page name,"
            "Title,Description,Duration (sec),Publish time,Caption type,Permalink,...,Date,Views,Reach,"
            "Reactions, Comments and Shares,Reactions,Comments,Shares,Total clicks,...' with 'Publish time' "
            "like '03/27/2026 06:08' and 'Date' = 'Lifetime', as in public parsers and a data profile of 12 "
            "monthly downloads on GitHub (code index). French names as read by a public French Meta "
            "parser on GitHub ('Identifiant de la publication', 'ID de la Page', 'Nom de la page', 'Heure de "
            "publication', 'Permalien', 'Vues', 'Couverture', 'Réactions', 'Commentaires', 'Partages', "
            "'Total des clics') and a public test of a French export ('Titre;Heure de publication;Réactions, "
            "commentaires et partages', day-first dates, semicolons)."
        ),
    ),
    ExportFormat(
        key="instagram-posts",
        platform="instagram",
        title="Meta Business Suite: Instagram content export (one row per post)",
        feeds="posts",
        columns={
            "post_id": _c("Post ID", ("Identifiant de la publication", "ID de la publication")),
            "account_id": _c("Account ID", ("Identifiant du compte", "ID du compte")),
            "account_name": _c("Account username", "Nom d'utilisateur du compte"),
            "created_at": _c("Publish time", ("Heure de publication", "Date de publication")),
            "text": _c("Description", "Description"),
            "link": _c("Permalink", ("Permalien", "Lien permanent")),
            "impressions": _c("Views", "Vues"),
            "reach": _c("Reach", "Couverture"),
            "likes": _c("Likes", "J'aime"),
            "comments": _c("Comments", "Commentaires"),
            "shares": _c("Shares", "Partages"),
            "saves": _c("Saves", "Enregistrements"),
        },
        signature=("post_id", "account_name", "created_at", "likes"),
        limits="No link clicks per post in this export (clicks stay 0). 'Views' is stored as impressions.",
        source=(
            "Meta Business Suite > Insights > Content > Export; English header 'Post ID,Account ID,Account "
            "username,Account name,Description,Duration (sec),Publish time,Permalink,Post type,Data comment,"
            "Date,Views,Reach,Likes,Shares,Follows,Comments,Saves' with '03/27/2026 06:08' times, as in public "
            "tests of Instagram CSV importers on GitHub (code index). French names: unverified."
        ),
    ),
    ExportFormat(
        key="meta-follows",
        platform="meta",
        title="Meta Business Suite: Facebook or Instagram 'follows' export (one row per day)",
        feeds="nothing",
        columns={"date": _c("Date", "Date"), "value": _c("Primary", ("Principal", "Principale"))},
        signature=("date", "value"),
        title_words=("follow", "abonn"),
        limits=(
            "Only new follows per day (days without any are left out), no unfollows and no follower "
            "count: the follower KPIs cannot be rebuilt from it. Give the counts through the API or a "
            "followers file (platform, account, date, followers)."
        ),
        source=(
            "Meta Business Suite > Insights > Audience/Overview > Export: UTF-16 CSV 'sep=,' then the metric "
            "name ('Facebook follows', 'Instagram follows') then '\"Date\",\"Primary\"' and rows like "
            '\'"2025-08-01T00:00:00","20"\', as documented in public importers on GitHub (code index).'
        ),
    ),
    ExportFormat(
        key="linkedin-content",
        platform="linkedin",
        title="LinkedIn page analytics: content export, sheet 'All posts' (one row per post)",
        feeds="posts",
        columns={
            "text": _c(("Post title", "Update title"), "Titre de la publication"),
            "link": _c(("Post link", "Update link"), "Lien de la publication"),
            "created_at": _c(("Created date", "Date"), ("Date de création", "Date")),
            "impressions": _c("Impressions", "Impressions"),
            "reach": _c("Unique impressions", "Impressions uniques"),
            "clicks": _c("Clicks", "Clics"),
            "likes": _c(("Likes", "Reactions"), ("J'aime", "Réactions")),
            "comments": _c("Comments", "Commentaires"),
            "shares": _c(("Reposts", "Shares"), ("Republications", "Partages")),
        },
        signature=("link", "created_at", "impressions", "clicks"),
        sheets=("all posts", "toutes les publications"),
        id_from_link=re.compile(r"(urn:li:[a-zA-Z]+:\d+)"),
        limits="The day of each post only (00:00 in the brand's time zone); no saves.",
        source=(
            "LinkedIn Page > Analytics > Content > Export (.xls): sheet 'All posts', a description on the "
            "first row and the header on the second: 'Post title,Post link,Post type,Campaign name,Posted by,"
            "Created date,Campaign start date,Campaign end date,Audience,Impressions,Views (excluding off-site "
            "video views),Off-site views,Clicks,Click through rate (CTR),Likes,Comments,Reposts,Follows,"
            "Engagement rate,Content Type' (older files: 'Post Title,Post Link,...,Date,...,Shares,Followers'), "
            "as in public LinkedIn export importers on GitHub (code index). French names: unverified."
        ),
    ),
    ExportFormat(
        key="linkedin-followers",
        platform="linkedin",
        title="LinkedIn page analytics: followers export, sheet 'New followers' (one row per day)",
        feeds="nothing",
        columns={
            "date": _c("Date", "Date"),
            "gained": _c(
                ("Total followers", "Total new followers"), ("Total des abonnés", "Nouveaux abonnés")
            ),
            "organic": _c("Organic followers", "Abonnés naturels"),
        },
        signature=("date", "gained", "organic"),
        sheets=("new followers", "nouveaux abonnés"),
        limits=(
            "New followers per day only: LinkedIn's export has no unfollows and no running total, so "
            "the follower counts cannot be rebuilt from it (give them through the API or a followers file); "
            "the new followers per day are kept as the account's daily gains (account_daily)."
        ),
        source=(
            "LinkedIn Page > Analytics > Followers > Export (.xls): sheet 'New followers' with 'Date, "
            "Sponsored followers, Organic followers, Auto-invited followers, Total followers' (new per day), "
            "dates MM/DD/YYYY, as documented in public LinkedIn export importers on GitHub (code index)."
        ),
    ),
    ExportFormat(
        key="tiktok-followers",
        platform="tiktok",
        title="TikTok Studio analytics: follower history (one row per day)",
        feeds="followers",
        columns={
            "date": _c("Date", "Date"),
            "followers": _c("Followers", "Abonnés"),
            "net": _c(
                "Difference in followers from previous day", "Différence d'abonnés par rapport à la veille"
            ),
        },
        signature=("date", "followers", "net"),
        limits="",
        source=(
            "TikTok Studio > Analytics > Followers > Download data: FollowerHistory.csv 'Date,Followers,"
            "Difference in followers from previous day' (follower count per day). French names: unverified."
        ),
    ),
    ExportFormat(
        key="youtube-table",
        platform="youtube",
        title="YouTube Studio advanced analytics: 'Table data' (one row per video)",
        feeds="posts",
        columns={
            "post_id": _c(("Content", "Video"), "Contenu"),
            "text": _c("Video title", "Titre de la vidéo"),
            "created_at": _c("Video publish time", "Heure de publication de la vidéo"),
            "impressions": _c("Views", "Vues"),
            "likes": _c("Likes", "J'aime"),
            "comments": _c("Comments added", "Commentaires ajoutés"),
            "shares": _c("Shares", "Partages"),
        },
        signature=("post_id", "text", "created_at", "impressions"),
        limits=(
            "Views are stored as impressions (as the API connector does); likes, comments and shares only "
            "when those metrics were ticked before exporting. The day of publication only."
        ),
        source=(
            "YouTube Studio > Analytics > Advanced mode > Export current view (CSV: a zip with 'Table data.csv', "
            "'Chart data.csv', 'Totals.csv'; in French 'Données du tableau.csv', ...). Header 'Content,Video "
            "title,Video publish time,Duration,Views,Watch time (hours),Subscribers,...', a 'Total' row first, "
            "dates 'Mar 5, 2026' / '5 mars 2026', French numbers with narrow no-break spaces, as in public "
            "Studio importers and their French fixtures on GitHub (code index)."
        ),
    ),
    ExportFormat(
        key="youtube-chart-subscribers",
        platform="youtube",
        title="YouTube Studio advanced analytics: 'Chart data' for Subscribers (one row per day)",
        feeds="follower_changes",
        columns={"date": _c("Date", "Date"), "net": _c("Subscribers", "Abonnés")},
        signature=("date", "net"),
        limits=(
            "Net subscribers per day (gained minus lost), not the count: the counts are rebuilt from a "
            "count already in the lake or from --follower-count youtube=N (the count at the end of the "
            "file's last day). Chart data of other metrics (views per day) feeds nothing."
        ),
        source=(
            "YouTube Studio > Analytics > Advanced mode, metric 'Subscribers' > Export current view: "
            "'Chart data.csv' with 'Date,Subscribers' (ISO dates), per public Studio importers (code index)."
        ),
    ),
    ExportFormat(
        key="youtube-chart",
        platform="youtube",
        title="YouTube Studio advanced analytics: 'Chart data' of another metric (one row per day)",
        feeds="nothing",
        columns={"date": _c("Date", "Date"), "views": _c("Views", "Vues")},
        signature=("date", "views"),
        limits="Daily totals are not per post: nothing to store (export the 'Table data' instead).",
        source="As youtube-chart-subscribers.",
    ),
    ExportFormat(
        key="tiktok-content",
        platform="tiktok",
        title="TikTok Studio analytics: content export (one row per video)",
        feeds="posts",
        columns={
            "text": _c("Video title", "Titre de la vidéo"),
            "link": _c("Video link", "Lien de la vidéo"),
            "created_at": _c(
                ("Post time", "Video publish time"), ("Heure de publication", "Date de publication")
            ),
            "impressions": _c("Total views", ("Nombre total de vues", "Vues totales")),
            "reach": _c("Reach", "Couverture"),
            "likes": _c("Total likes", ("Nombre total de J'aime", "J'aime totaux")),
            "comments": _c("Total comments", ("Nombre total de commentaires", "Commentaires totaux")),
            "shares": _c("Total shares", ("Nombre total de partages", "Partages totaux")),
            "saves": _c("Add to favorites", "Ajouts aux favoris"),
        },
        signature=("link", "created_at", "impressions", "likes"),
        id_from_link=re.compile(r"/video/(\d+)"),
        limits="No link clicks per video.",
        source=(
            "TikTok Studio > Analytics > Content > Download data: 'Video title,Video link,Post time,Total likes,"
            "Total comments,Total shares,Total views,Total play time,Average watch time,Watched full video,"
            "Add to favorites' (some files: 'Video publish time', 'Reach'), '2026-08-02 19:05:00' times, as in "
            "public TikTok Studio importers and their tests on GitHub (code index). French names: unverified."
        ),
    ),
)

BY_KEY = {f.key: f for f in FORMATS}


def known_formats() -> str:
    """One line per format, for error messages."""
    return "\n".join(f"  - {f.key}: {f.title}" for f in FORMATS)
