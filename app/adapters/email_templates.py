"""The emails FitTrack sends (PRODUCT.md §3): subject, plain text and HTML for each template.

`render(template, context)` fills `string.Template` placeholders; every value is HTML-escaped in the HTML part.
Templates: `verify_email` (link), `password_reset` (link), `account_locked` (minutes), `account_suspended`,
`account_banned`, `account_reactivated` (admin moderation, issue 7),
`registration_attempt` (someone tried to register with an existing email; links to sign in / reset); sweepstakes
winners (PRODUCT.md §6): `drawing_won`, `address_reminder`, `prize_forfeited`, `prize_shipped`, `address_invalid`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from string import Template


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text_body: str
    html_body: str


_TEMPLATES: dict[str, tuple[str, str, str]] = {
    # name: (subject, text, html body paragraphs; $link-style placeholders)
    "verify_email": (
        "Confirm your email for FitTrack",
        "Hi $display_name,\n\nWelcome to FitTrack! Confirm your email address to finish creating your account:\n\n"
        "$link\n\nThe link works once and expires in 24 hours. If you did not sign up, ignore this email.\n",
        "<p>Hi $display_name,</p><p>Welcome to FitTrack! Confirm your email address to finish creating your "
        "account:</p><p><a href=\"$link\">Confirm my email</a></p><p>Or paste this link into your browser: $link</p>"
        "<p>The link works once and expires in 24 hours. If you did not sign up, ignore this email.</p>",
    ),
    "password_reset": (
        "Reset your FitTrack password",
        "Hi,\n\nSomeone (hopefully you) asked to reset the password of your FitTrack account. Choose a new password "
        "here:\n\n$link\n\nThe link works once and expires in 1 hour. If you did not ask, ignore this email; your "
        "password stays the same.\n",
        "<p>Hi,</p><p>Someone (hopefully you) asked to reset the password of your FitTrack account.</p>"
        "<p><a href=\"$link\">Choose a new password</a></p><p>Or paste this link into your browser: $link</p>"
        "<p>The link works once and expires in 1 hour. If you did not ask, ignore this email; your password stays "
        "the same.</p>",
    ),
    "account_locked": (
        "Your FitTrack account is temporarily locked",
        "Hi,\n\nAfter several failed sign-in attempts your FitTrack account is locked for $minutes minutes. If this "
        "was not you, reset your password once the lock ends.\n",
        "<p>Hi,</p><p>After several failed sign-in attempts your FitTrack account is locked for $minutes minutes.</p>"
        "<p>If this was not you, reset your password once the lock ends.</p>",
    ),
    "account_suspended": (
        "Your FitTrack account is suspended",
        "Hi,\n\nYour FitTrack account has been suspended. Your tickets in open drawings stay valid. Reply to this "
        "email or contact support to find out more.\n",
        "<p>Hi,</p><p>Your FitTrack account has been suspended. Your tickets in open drawings stay valid.</p>"
        "<p>Reply to this email or contact support to find out more.</p>",
    ),
    "account_banned": (
        "Your FitTrack account is closed",
        "Hi,\n\nYour FitTrack account has been banned for breaking the terms of use, and you can no longer sign in. "
        "Your tickets in open drawings stay valid. Reply to this email or contact support if you think this is a "
        "mistake.\n",
        "<p>Hi,</p><p>Your FitTrack account has been banned for breaking the terms of use, and you can no longer "
        "sign in. Your tickets in open drawings stay valid.</p><p>Reply to this email or contact support if you "
        "think this is a mistake.</p>",
    ),
    "account_reactivated": (
        "Your FitTrack account is active again",
        "Hi,\n\nGood news: your FitTrack account is active again and you can sign in as before.\n",
        "<p>Hi,</p><p>Good news: your FitTrack account is active again and you can sign in as before.</p>",
    ),
    "registration_attempt": (
        "Someone tried to create a FitTrack account with your email",
        "Hi,\n\nSomeone tried to create a new FitTrack account with this email address, which already has an "
        "account. If it was you, sign in here: $login_link\nForgot your password? Reset it here: $forgot_link\n\n"
        "If it was not you, you can ignore this email.\n",
        "<p>Hi,</p><p>Someone tried to create a new FitTrack account with this email address, which already has an "
        "account.</p><p>If it was you, <a href=\"$login_link\">sign in</a>. Forgot your password? "
        "<a href=\"$forgot_link\">Reset it</a>.</p><p>If it was not you, you can ignore this email.</p>",
    ),
    # Sweepstakes winners and prize fulfillment (PRODUCT.md §6; context built by domain.sweepstakes.fulfillment:
    # display_name, prize_name, drawing_name, deadline, link, plus the extras named in each template).
    "drawing_won": (
        "You won $prize_name in $drawing_name!",
        "Hi $display_name,\n\nCongratulations! Your ticket won $prize_name in $drawing_name.\n\n$next_step\n\n"
        "Your prize: $link\n",
        "<p>Hi $display_name,</p><p>Congratulations! Your ticket won <strong>$prize_name</strong> in $drawing_name.</p>"
        "<p>$next_step</p><p><a href=\"$link\">Open your prize</a></p>",
    ),
    "address_reminder": (
        "Reminder: confirm your shipping address for $prize_name",
        "Hi $display_name,\n\nYou won $prize_name in $drawing_name, and we still need your shipping address. Confirm "
        "it by $deadline, or the prize goes to an alternate winner:\n\n$link\n",
        "<p>Hi $display_name,</p><p>You won <strong>$prize_name</strong> in $drawing_name, and we still need your "
        "shipping address. Confirm it by <strong>$deadline</strong>, or the prize goes to an alternate winner.</p>"
        "<p><a href=\"$link\">Confirm my address</a></p>",
    ),
    "prize_forfeited": (
        "Your prize $prize_name was forfeited",
        "Hi $display_name,\n\nYour prize $prize_name from $drawing_name was forfeited: $reason\n\nAn alternate "
        "winner is drawn from the same ticket list. Questions? Reply to this email.\n",
        "<p>Hi $display_name,</p><p>Your prize <strong>$prize_name</strong> from $drawing_name was forfeited: "
        "$reason</p><p>An alternate winner is drawn from the same ticket list. Questions? Reply to this email.</p>",
    ),
    "prize_shipped": (
        "Your prize $prize_name has shipped",
        "Hi $display_name,\n\nYour prize $prize_name from $drawing_name is on its way.\n\nCarrier: $carrier\n"
        "Tracking number: $tracking_number\n\nDetails: $link\n",
        "<p>Hi $display_name,</p><p>Your prize <strong>$prize_name</strong> from $drawing_name is on its way.</p>"
        "<p>Carrier: $carrier<br>Tracking number: $tracking_number</p><p><a href=\"$link\">Prize details</a></p>",
    ),
    "address_invalid": (
        "We could not ship $prize_name: please check your address",
        "Hi $display_name,\n\nWe could not ship your prize $prize_name to the address you gave: $reason\n\n"
        "Please enter your shipping address again by $deadline:\n\n$link\n",
        "<p>Hi $display_name,</p><p>We could not ship your prize <strong>$prize_name</strong> to the address you gave: "
        "$reason</p><p>Please enter your shipping address again by <strong>$deadline</strong>.</p>"
        "<p><a href=\"$link\">Enter my address</a></p>",
    ),
}
TEMPLATES: tuple[str, ...] = tuple(_TEMPLATES)
_HTML_FRAME = Template(
    "<!doctype html><html><body style=\"font-family:system-ui,sans-serif;color:#0f172a;max-width:560px\">"
    "<h2 style=\"color:#0f766e\">FitTrack</h2>$body<p style=\"color:#64748b;font-size:12px\">FitTrack · no purchase "
    "necessary to enter drawings.</p></body></html>"
)


def render(template: str, context: dict[str, object]) -> RenderedEmail:
    """Subject, text and HTML of `template` (one of `TEMPLATES`) filled with `context` (str-converted; escaped for
    HTML). Raises KeyError for an unknown template or a missing placeholder."""
    subject, text, body = _TEMPLATES[template]
    values = {k: str(v) for k, v in context.items()}
    escaped = {k: html.escape(v, quote=True) for k, v in values.items()}
    return RenderedEmail(
        subject=Template(subject).substitute(values),
        text_body=Template(text).substitute(values),
        html_body=_HTML_FRAME.substitute(body=Template(body).substitute(escaped)),
    )
