from http import HTTPStatus

from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD


def test_enrolled_user_signs_in_with_totp(client, enrolled):
    response = client.post(
        reverse("twofactor:signin"), {"email": enrolled.user.email, "password": PASSWORD}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("twofactor:signin-verify")
    response = client.get(response.url)
    assert response.status_code == HTTPStatus.OK
    response = client.post(
        reverse("twofactor:signin-verify"), {"code": enrolled.code(timezone.now())}
    )
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:3000]
    assert client.get("/").status_code == HTTPStatus.OK
