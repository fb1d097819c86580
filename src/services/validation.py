"""Shape checks on input values; each failure is a VALIDATION refusal naming its field."""

from __future__ import annotations

import re
import unicodedata

from carepath.services.errors import validation

EMAIL_MAX = 254
PASSWORD_MIN = 12
PASSWORD_MAX = 128
# One @, no spaces, a dotted domain of letters, digits and hyphens: what a mail server accepts.
_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@"
    r"(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


def has_control_characters(text: str, allowed: str = "") -> bool:
    """Control characters (NUL, escape, ...) and line or paragraph separators."""
    return any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") and ch not in allowed for ch in text)


def clean_email(value: str, field: str = "email") -> str:
    email = value.strip()
    if not email:
        raise validation(field, "Enter an email address.")
    if has_control_characters(email):
        raise validation(field, "Remove control characters.")
    if len(email) > EMAIL_MAX or not _EMAIL.match(email) or ".." in email.split("@")[0]:
        raise validation(field, "Enter a valid email address, like name@example.com.")
    return email


def email_key(email: str) -> str:
    """The case-insensitive identity of an email address."""
    return email.strip().lower()


def check_password(password: str, email: str, field: str = "password") -> None:
    if len(password) < PASSWORD_MIN:
        raise validation(field, f"Use at least {PASSWORD_MIN} characters.")
    if len(password) > PASSWORD_MAX:
        raise validation(field, f"Use at most {PASSWORD_MAX} characters.")
    if password.strip().lower() == email.strip().lower():
        raise validation(field, "The password must not be your email address.")


def clean_text(
    value: str,
    field: str,
    *,
    max_length: int,
    min_length: int = 1,
    what: str = "a value",
    multiline: bool = False,
) -> str:
    """Trimmed text without control characters, within its length bounds. Only
    `multiline` text (a bio, instructions) keeps line breaks and tabs: a name goes into
    email headers and calendar lines, where a line break would start a new one."""
    text = value.strip()
    if len(text) < min_length:
        raise validation(field, f"Enter {what}.")
    if len(text) > max_length:
        raise validation(field, f"Use at most {max_length} characters.")
    if has_control_characters(text, allowed="\r\n\t" if multiline else ""):
        raise validation(
            field,
            "Remove control characters."
            if multiline
            else "Use one line, without control characters.",
        )
    return text


def clean_optional_text(
    value: str | None, field: str, *, max_length: int, multiline: bool = False
) -> str | None:
    if value is None or value.strip() == "":
        return None
    return clean_text(value, field, max_length=max_length, multiline=multiline)
