"""The names of the lists Portal 2FA exports as CSV. Free of imports: the CLI's argument parser
reads them before Django is set up."""

OVERVIEW_LISTS = (
    "no-codes",
    "low-codes",
    "recent",
    "roles-without-2fa",
    "code-locked",
    "overdue-and-due-soon",
)
EXPORT_NAMES = (*OVERVIEW_LISTS, "audit")
