"""The admin API, version 1: /api/two-factor/v1/ (django-ninja; its OpenAPI 3.1 document at
openapi.json). Thin over the library's services and selectors, as the pages are."""
