"""The report's "Incidents" and "What people complained about" sections: numbers, view, template."""

from __future__ import annotations

import pandas as pd

from pulse.period import Month
from pulse.render.html import environment
from pulse.watch.detect import Incident
from pulse.watch.month import MonthWatch, complaint_texts
from pulse.watch.report import build_watch_sections
from pulse.watch.themes import Theme, Themes

EVIL = "<script>alert('x')</script> colis & co"


def _incident(began: str, hours: float, resolved: bool = True) -> Incident:
    start = pd.Timestamp(began)
    return Incident(
        brand="acme", began_at=start, detected_at=start + pd.Timedelta(hours=4),
        last_abnormal_at=start + pd.Timedelta(hours=hours - 6),
        resolved_at=start + pd.Timedelta(hours=hours) if resolved else None, severe=True,
        metrics=("negative", "backlog"), peak_at=start + pd.Timedelta(hours=30), peak_negative=129,
        usual_negative=11.4, peak_backlog=225, usual_backlog=25.0, peak_wait_minutes=900.0,
        negative_messages=332, unanswered_messages=215, platforms=(("x", 127), ("instagram", 103)),
        examples=(EVIL,),
    )  # fmt: skip


def _themes() -> Themes:
    return Themes(
        themes=(
            Theme("livraison · colis · suivi", ("livraison", "colis", "suivi"), 220, 40, (EVIL, "Où est mon colis ?")),
            Theme("remboursement", ("remboursement",), 60, 75, ("Toujours pas remboursée",)),
        ),
        total=300, other=20, previous_total=150,
    )  # fmt: skip


def test_sections_in_french_with_a_timeline() -> None:
    period = Month(2026, 10).period("Europe/Paris")
    month = MonthWatch([_incident("2026-10-13T04:00Z", 113)], _themes())
    view = build_watch_sections(month, period, "fr")
    (row,) = view.incidents
    assert row.began == "mardi 13 octobre à 06:00"
    assert row.duration == "4\u00a0j\u00a017\u00a0h"
    assert row.peak.startswith("129 messages négatifs en 24 h (habituellement 11)")
    assert row.platforms == "X (127), Instagram (103)" and row.unanswered == "215"
    assert 38 < row.left < 40 and 14 < row.width < 16  # 13 Oct 06:00 + 4.7 days, of 31 days
    assert [t.change for t in view.themes] == ["+180", "−15"]
    assert [t.share for t in view.themes] == ["73\u00a0%", "20\u00a0%"]
    assert view.summary == [
        "Incidents ce mois-ci : 1 ; le plus important a commencé mardi 13 octobre à 06:00 et a culminé à "
        "129 messages négatifs en 24 h (habituellement 11).",
        "Principaux sujets de mécontentement : livraison · colis · suivi (220) ; remboursement (60).",
    ]
    assert view.ticks[0] == (0.0, "1") and view.ticks[1][1] == "8"


def test_an_incident_still_going_at_the_end_of_the_month() -> None:
    period = Month(2026, 10).period("UTC")
    view = build_watch_sections(
        MonthWatch([_incident("2026-10-30T12:00Z", 0, resolved=False)], _themes()), period, "en"
    )
    (row,) = view.incidents
    assert row.duration.endswith("(still going at the end of the month)")
    assert row.left + row.width <= 100.0


def test_the_template_escapes_peoples_words_and_says_when_there_is_nothing() -> None:
    period = Month(2026, 10).period("Europe/Paris")
    template = environment("fr").get_template("_watch_sections.html.j2")
    html = template.render(
        w=build_watch_sections(MonthWatch([_incident("2026-10-13T04:00Z", 113)], _themes()), period, "fr")
    )
    assert "Sujets de mécontentement" in html and '<h2 id="incidents-title">Incidents</h2>' in html
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert 'class="span severe" style="left: 39.' in html
    calm = (
        environment("en")
        .get_template("_watch_sections.html.j2")
        .render(w=build_watch_sections(MonthWatch([], Themes((), 0, 0, 0)), period, "en"))
    )
    assert "No incident this month" in calm and "Too few negative messages" in calm


def test_complaints_are_the_months_negative_inbound_messages() -> None:
    from pulse.tables import normalize

    rows = [
        ("a", "2026-10-02T10:00Z", False, "negative", "colis perdu"),
        ("b", "2026-10-02T11:00Z", False, "neutral", "horaires ?"),
        ("c", "2026-10-02T12:00Z", True, "negative", "désolé"),
        ("d", "2026-09-30T22:30Z", False, "negative", "septembre"),
    ]
    frame = normalize(
        "messages",
        pd.DataFrame(
            [
                {
                    "platform": "x",
                    "account": "a",
                    "message_id": m,
                    "created_at": t,
                    "from_brand": b,
                    "sentiment": s,
                    "text": x,
                }
                for m, t, b, s, x in rows
            ]
        ),
    )
    assert complaint_texts(frame, Month(2026, 10).period("UTC")) == ["colis perdu"]
    # 22:30 UTC on 30 September is already October in Paris.
    assert complaint_texts(frame, Month(2026, 10).period("Europe/Paris")) == ["colis perdu", "septembre"]


def test_the_demo_reports_show_the_sections_and_the_summary_mentions_them(demo_tables, brands) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from pulse.kpis import build_report_data
    from pulse.pipeline import score_sentiment
    from pulse.render.html import render_html
    from pulse.render.viewmodel import build_report_view
    from pulse.settings import Settings
    from pulse.tables import Tables
    from pulse.watch.month import month_watch

    pages = {}
    for brand_id in ("maison-lumiere", "brightbank"):
        brand = brands.get(brand_id)
        demo = demo_tables[brand_id]  # shared by the session: not modified
        tables = Tables(demo.posts, score_sentiment(demo.messages, Settings()), demo.followers)
        period = Month(2026, 10).period(brand.tz)
        data = build_report_data(tables, period, platforms=brand.platforms, opening_hours=brand.opening_hours)
        view = build_report_view(
            brand, data, datetime(2026, 11, 2, tzinfo=UTC), {}, month_watch(brand, tables, period)
        )
        pages[brand_id] = (view, render_html(view))
    view, html = pages["maison-lumiere"]
    assert view.watch is not None and len(view.watch.incidents) == 1
    assert any(s.startswith("Incidents ce mois-ci : 1") for s in view.summary)
    assert any(s.startswith("Principaux sujets de mécontentement") for s in view.summary)
    assert "Sujets de mécontentement" in html and 'class="timeline"' in html
    view, html = pages["brightbank"]
    assert view.watch is not None and view.watch.incidents == [] and view.watch.themes
    assert "No incident this month" in html and "What people complained about" in html
    assert not any(s.startswith("Incidents this month") for s in view.summary)
