"""Logging helpers a host may use: expected client errors (4xx) as one line, without traceback.

    LOGGING = {..., "filters": {"one_line_4xx": {"()": "portal2fa.twofactor.logs.ClientErrorsOneLine"}},
               "handlers": {"console": {..., "filters": ["one_line_4xx"]}}}

Django logs a PermissionDenied (an expected 403: a non-administrator opening Setup) or a
BadRequest with the exception attached; on a console that is a traceback per refused request.
Server errors (5xx) keep theirs.
"""

import logging


class ClientErrorsOneLine(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500 and record.exc_info:
            record.exc_info = None
            record.exc_text = None
        return True
