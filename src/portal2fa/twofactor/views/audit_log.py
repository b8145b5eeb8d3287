"""Setup -> Audit Log: filter and page through the audit trail, or download it as CSV."""

from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ...audit.selectors import audit_events
from ..audit_forms import AuditFilterForm
from ..selectors import exports
from ..web.decorators import administrator_required

PAGE_SIZE = 50


@administrator_required
@require_GET
def log(request):
    form = AuditFilterForm(request.GET)
    filters = form.filters()
    page = Paginator(audit_events(**filters), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "portal2fa/setup/audit_log.html",
        {"form": form, "page": page, "query": query.urlencode()},
        status=status,
    )


@administrator_required
@require_GET
def export(request):
    filters = AuditFilterForm(request.GET).filters()
    response = StreamingHttpResponse(
        exports.audit_csv(filters), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response
