"""The web gallery: a server's videos as pages, opened with a member's signed link (`/luma gallery`)."""
