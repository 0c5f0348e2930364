"""Authentication and error bodies of the sandbox API, over real HTTP."""

import base64

import pytest

from apps.sandbox import catalog

pytestmark = pytest.mark.django_db(transaction=True)

FIRST = catalog.server_id_for(1)
WRONGLOGIN = {"error": ["wronglogin"]}


def test_a_request_without_credentials_is_refused_with_wronglogin(anonymous_api):
    response = anonymous_api.get("/server")

    assert response.status_code == 401
    assert response.json() == WRONGLOGIN


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("sandbox-tests@example.com", "wrong-password"),
        ("someone@example.com", "sandbox-tests-password"),
        ("", ""),
    ],
)
def test_a_request_with_wrong_credentials_is_refused_with_wronglogin(anonymous_api, username, password):
    response = anonymous_api.get(f"/server/{FIRST}", auth=(username, password))

    assert response.status_code == 401
    assert response.json() == WRONGLOGIN


@pytest.mark.parametrize(
    "header", ["Bearer abc", "Basic", "Basic not-base64!", "Basic " + base64.b64encode(b"x").decode()]
)
def test_a_malformed_authorization_header_is_refused_with_wronglogin(anonymous_api, header):
    response = anonymous_api.get("/server", headers={"Authorization": header})

    assert response.status_code == 401
    assert response.json() == WRONGLOGIN


def test_actions_are_refused_without_credentials_too(anonymous_api):
    response = anonymous_api.post(f"/server/{FIRST}/reboot")

    assert response.status_code == 401
    assert response.json() == WRONGLOGIN


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/server/999999"),
        ("GET", "/server/999999/oses"),
        ("GET", "/server/999999/task/1"),
        ("POST", "/server/999999/reboot"),
        ("POST", "/server/999999/resetpassword"),
        ("POST", "/server/99999999999999999999/reboot"),
        ("GET", "/server/99999999999999999999"),
    ],
)
def test_an_unknown_server_answers_404_with_an_error_body(api, method, path):
    response = api.request(method, path)

    assert response.status_code == 404
    body = response.json()
    assert list(body) == ["error"]
    assert body["error"] == [f"Server {path.split('/')[2]} not found"]


def test_reinstalling_an_unknown_server_answers_404_even_with_a_valid_os(api):
    response = api.post("/server/999999/reinstall", json={"os": "debian-12-x86_64"})

    assert response.status_code == 404
    assert response.json() == {"error": ["Server 999999 not found"]}


def test_an_unknown_path_answers_404_with_an_error_body(api):
    response = api.get(f"/server/{FIRST}/graphs/576")

    assert response.status_code == 404
    assert response.json() == {"error": ["Unknown API endpoint"]}


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/server", "GET"),
        ("POST", "/server", "GET"),
        ("PUT", f"/server/{FIRST}", "GET"),
        ("GET", f"/server/{FIRST}/reboot", "POST"),
        ("GET", f"/server/{FIRST}/reinstall", "POST"),
        ("POST", f"/server/{FIRST}/task/1", "GET"),
    ],
)
def test_a_wrong_method_answers_405_with_an_error_body(api, method, path, allowed):
    response = api.request(method, path)

    assert response.status_code == 405
    assert response.json() == {"error": [f"Method {method} not allowed"]}
    assert response.headers["Allow"] == allowed


@pytest.mark.parametrize("path", ["reinstall", "reboot", "resetpassword"])
def test_a_malformed_json_body_answers_400_with_an_error_body(api, path):
    response = api.post(
        f"/server/{FIRST}/{path}", data=b'{"os": "debian-12', headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json() == {"error": ["Malformed JSON body"]}


def test_a_json_body_that_is_not_an_object_answers_400(api):
    response = api.post(f"/server/{FIRST}/reinstall", json=["debian-12-x86_64"])

    assert response.status_code == 400
    assert response.json() == {"error": ["The JSON body must be an object"]}


def test_paths_answer_with_and_without_a_trailing_slash(api):
    assert api.get("/server").json() == api.get("/server/").json()
    assert api.get(f"/server/{FIRST}/oses/").status_code == 200
    assert api.post(f"/server/{FIRST}/reboot/").status_code == 200


def test_error_responses_are_json(api, anonymous_api):
    responses = [anonymous_api.get("/server"), api.get("/server/1"), api.request("DELETE", "/server")]

    assert [response.headers["Content-Type"] for response in responses] == ["application/json"] * 3
