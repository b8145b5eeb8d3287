def test_signin_page_renders_without_csp_errors(page, db):
    page.goto("/signin/")
    assert page.get_by_role("heading", name="Sign in").is_visible()
    assert page.csp_errors == []
