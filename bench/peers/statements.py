"""Bench settings only: the number of SQL statements a request ran, in an X-Statements header.

Counts every statement sent through Django's cursors (SAVEPOINTs included; the driver's own
BEGIN and COMMIT on PostgreSQL are not statements Django sends), as CaptureQueriesContext does."""

from django.db import connection


class CountStatements:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = 0

        def counted(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counted):
            response = self.get_response(request)
        response["X-Statements"] = str(count)
        return response
