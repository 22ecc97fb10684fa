"""The monthly report email: HTML body with inline charts, plain-text part, PDF attached.

Structure (what mail clients expect)::

    multipart/mixed
      multipart/alternative
        text/plain
        multipart/related
          text/html            (charts referenced as cid:...)
          image/png  x N       (Content-ID, inline)
      application/pdf          (attachment)
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import css_inline

from pulse.exceptions import DeliveryError
from pulse.render.html import MailLinkSet, render_mail_html, render_mail_text
from pulse.render.i18n import gettext
from pulse.render.viewmodel import ReportView


def subject_of(view: ReportView) -> str:
    return gettext(view.lang, "%(brand)s – community report for %(month)s") % {
        "brand": view.brand_name,
        "month": view.month_label,
    }


def build_report_email(
    view: ReportView,
    *,
    sender: str,
    recipients: list[str],
    pdf: bytes,
    charts_png: dict[str, bytes],
    link: str | None = None,
    now: datetime | None = None,
    max_bytes: int | None = None,
    links: MailLinkSet | None = None,
) -> EmailMessage:
    """The MIME message for ``view``; charts without a PNG are left out of the body.

    When the message with the PDF attached would exceed ``max_bytes`` (mail
    servers and SES v2 cap message size), the PDF is left out and the email
    says where to get it instead; it needs ``links.pdf`` then. ``links`` also
    carries the brand's archive page and until when the links open (share links).
    """
    links = links or MailLinkSet()
    if links.pdf is None and link and link.endswith("/report.html"):  # the API's stable links
        links = replace(links, pdf=link.removesuffix("report.html") + "report.pdf")
    message = _build(view, sender, recipients, pdf, charts_png, link, now, links, attach=True)
    if max_bytes is None or len(message.as_bytes()) <= max_bytes:
        return message
    if not links.pdf:
        raise DeliveryError(
            f"the report email would be {len(message.as_bytes()):,} bytes (limit {max_bytes:,}) and there is "
            "no link to offer instead: set PULSE_PUBLIC_BASE_URL or raise PULSE_MAIL_MAX_BYTES"
        )
    message = _build(view, sender, recipients, pdf, charts_png, link, now, links, attach=False)
    if len(message.as_bytes()) > max_bytes:
        raise DeliveryError(f"the report email is {len(message.as_bytes()):,} bytes even without the PDF")
    return message


def _build(
    view: ReportView,
    sender: str,
    recipients: list[str],
    pdf: bytes,
    charts_png: dict[str, bytes],
    link: str | None,
    now: datetime | None,
    links: MailLinkSet,
    *,
    attach: bool,
) -> EmailMessage:
    subject = subject_of(view)
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Message-ID"] = make_msgid(domain="community-pulse.local")
    if now is not None:
        msg["Date"] = format_datetime(now)
    msg["X-Pulse-Brand"] = view.brand_id
    msg["X-Pulse-Month"] = view.month

    domain = "pulse.local"
    cids = {chart_id: f"chart-{chart_id}.{view.brand_id}.{view.month}@{domain}" for chart_id in charts_png}
    shown = [c for c in view.charts if c.id in charts_png]
    mail_view = _with_charts(view, shown)

    text = render_mail_text(mail_view, link, attached=attach, links=links)
    msg.set_content(text, subtype="plain", charset="utf-8")
    html = css_inline.inline(render_mail_html(mail_view, subject, cids, link, attached=attach, links=links))
    msg.add_alternative(html, subtype="html", charset="utf-8")
    html_part = msg.get_body(preferencelist=("html",))
    assert isinstance(html_part, EmailMessage)
    for chart in shown:
        html_part.add_related(
            charts_png[chart.id],
            maintype="image",
            subtype="png",
            cid=f"<{cids[chart.id]}>",
            filename=f"{chart.id}.png",
            disposition="inline",
        )
    if attach:
        filename = f"{view.brand_id}-{view.month}.pdf"
        msg.add_attachment(pdf, maintype="application", subtype="pdf", filename=filename)
    return msg


def _with_charts(view: ReportView, charts: list) -> ReportView:  # type: ignore[type-arg]
    return replace(view, charts=charts)
