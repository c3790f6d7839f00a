"""What is wrong with an AceDataCloud token, in words an owner can act on (authentication.mdx's codes)."""

from __future__ import annotations

from bot.i18n import N_, _
from bot.luma import Access, LumaError

__all__ = ["access_problems", "problem_of"]

BY_CODE = {
    "no_token": N_("no token was sent: set ACEDATACLOUD_API_TOKEN"),
    "invalid_token": N_("the token is wrong or was revoked: copy it again from AceDataCloud's console"),
    "token_expired": N_("the token has expired: create a new credential in AceDataCloud's console"),
    "token_mismatched": N_(
        "the token belongs to another AceDataCloud service: create a credential for Luma (or a global one)"
    ),
    "disabled": N_("the credential is disabled in AceDataCloud's console"),
    "used_up": N_("the balance is used up: top it up at https://platform.acedata.cloud"),
    "no_api": N_("the API address is wrong: check ACEDATACLOUD_API_BASE_URL"),
    "api_not_implemented": N_("the API address is wrong: check ACEDATACLOUD_API_BASE_URL"),
}


def problem_of(error: LumaError) -> str:
    """One line: what the API said about the token, and what to do."""
    if error.code in BY_CODE:
        return _(BY_CODE[error.code])
    if error.kind == "network":
        return _("the API could not be reached ({detail})").format(detail=error.detail)
    if error.kind == "auth":
        return _("the API refused the token ({detail})").format(detail=error.detail)
    return _("it could not be checked ({detail})").format(detail=error.detail)


def access_problems(access: Access) -> list[str]:
    """What the token may not do, each in a sentence; empty when it may read tasks and create videos."""
    problems = []
    if access.reading is not None:
        problems.append(_("it may not read tasks: {why}").format(why=problem_of(access.reading)))
    if access.creating is not None:
        problems.append(_("it may not create videos: {why}").format(why=problem_of(access.creating)))
    if access.created is not None:
        problems.append(
            _(
                "the API accepted a request it should have refused (task {task}): look in AceDataCloud's console, "
                "and tell luma-bot's maintainers"
            ).format(task=access.created)
        )
    return problems
