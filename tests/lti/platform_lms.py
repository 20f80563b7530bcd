"""The district's LMS played by a real platform implementation: lti1p3platform 0.1.8 (PyPI),
unmodified, in a small Flask server of the test's own on a loopback port. The library builds
the login initiation, checks the gateway's authentication request (nonce, state, client_id)
and mints and signs the id_token; this server adds only what an LMS keeps itself: who is
signed in (a cookie set by its sign-in page), the course and link being opened, and its
registration of the gateway as a tool (launch URL, OIDC login URL, deployment).

Its /token endpoint is lti1p3platform's own client_credentials grant, for a tool (the
gateway) asking for a service token by a client assertion."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import escape
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, Response, jsonify, redirect, request
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request
from werkzeug.serving import make_server

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
CLIENT_ID = "gateway-at-platform-lms"
DEPLOYMENT = "lms-dep-1"


@dataclass
class LmsUser:
    """A user as the LMS knows them (its own id), with the SIS id it passes on in `lis`."""
    lms_id: str
    name: str
    sis_id: str
    roles: list[str] = field(default_factory=lambda: [LEARNER])


@dataclass
class PlatformLms:
    url: str
    tool_login_url: str
    tool_launch_url: str
    users: dict[str, LmsUser]
    course: dict[str, str]
    jwks_url: str = ""
    auth_url: str = ""
    token_url: str = ""
    launches: list[dict[str, Any]] = field(default_factory=list)


def _pem_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


class _FlaskRequest(Request):
    def build_metadata(self, req: Any) -> dict[str, Any]:
        return {"method": req.method, "form_data": req.form.to_dict(),
                "get_data": req.args.to_dict(), "headers": dict(req.headers),
                "content_type": req.content_type, "path": req.path,
                "json": req.get_json(silent=True)}


def lms_app(lms: PlatformLms) -> Flask:
    private, public = _pem_pair()

    class Conf(LTI1P3PlatformConfAbstract):
        def init_platform_config(self, **kwargs: Any) -> None:
            self._registration = self.get_registration_by_params()

        def get_registration_by_params(self, **kwargs: Any) -> Registration:
            return (Registration().set_iss(lms.url).set_client_id(CLIENT_ID)
                    .set_deployment_id(DEPLOYMENT).set_launch_url(lms.tool_launch_url)
                    .set_oidc_login_url(lms.tool_login_url)
                    .set_platform_public_key(public).set_platform_private_key(private))

    class Login(OIDCLoginAbstract):
        def set_lti_message_hint(self, **kwargs: Any) -> None:
            self._lti_message_hint = kwargs["link"]

        def get_redirect(self, url: str) -> Response:
            return redirect(url)

    class Launch(LTIAdvantageMessageLaunchAbstract):
        def prepare_launch(self, preflight_response: dict[str, Any]) -> None:
            signed_in = request.cookies.get("lms_session")
            if preflight_response.get("login_hint") != signed_in:
                raise PermissionError("login_hint is not the signed-in user")
            if preflight_response.get("redirect_uri") != lms.tool_launch_url.split("?")[0]:
                raise PermissionError("redirect_uri is not registered for this tool")
            user = lms.users[signed_in]
            self.set_user_data(user.lms_id, user.roles, full_name=user.name)
            self.set_resource_link_claim(preflight_response["lti_message_hint"],
                                         title="Unit 1 practice")
            self.set_launch_context_claim(lms.course["id"], context_title=lms.course["title"],
                                          context_label=lms.course["label"])
            self.set_extra_claims({LTI + "lis": {
                "person_sourcedid": user.sis_id,
                "course_section_sourcedid": lms.course["sis_id"]}})

        def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> Response:
            lms.launches.append(launch_data)
            return Response(
                '<!doctype html><html><body onload="document.forms[0].submit()">'
                f'<form method="post" action="{escape(launch_data["launch_url"])}">'
                f'<input type="hidden" name="id_token" value="{escape(launch_data["id_token"])}">'
                f'<input type="hidden" name="state" value="{escape(launch_data["state"])}">'
                '<noscript><button>Continue</button></noscript></form></body></html>',
                mimetype="text/html")

    app = Flask("platform_lms")

    @app.get("/jwks")
    def jwks():  # noqa: ANN202
        return jsonify(Conf().get_jwks())

    @app.get("/start")
    def start():  # noqa: ANN202
        """The LMS's course page: the user (signed in by this request) opens the link."""
        user = request.args["user"]
        login = Login(_FlaskRequest(request), Conf())
        login.set_lti_message_hint(link=request.args.get("link", "lms-link-1"))
        response = login.initiate_login(user)
        response.set_cookie("lms_session", user, httponly=True, samesite="Lax")
        return response

    @app.route("/authorize", methods=["GET", "POST"])
    def authorize():  # noqa: ANN202
        try:
            return Launch(_FlaskRequest(request), Conf()).lti_launch()
        except Exception as exc:  # noqa: BLE001 - the LMS says what it refused
            return jsonify(error=f"{type(exc).__name__}: {exc}"), 400

    @app.post("/token")
    def token():  # noqa: ANN202
        conf = Conf()
        try:
            return jsonify(conf.get_access_token(request.form.to_dict()))
        except Exception as exc:  # noqa: BLE001
            return jsonify(error=f"{type(exc).__name__}: {exc}"), 400

    @app.get("/launches")
    def launches():  # noqa: ANN202
        return Response(json.dumps(lms.launches), mimetype="application/json")

    return app


@contextmanager
def served_platform_lms(tool_login_url: str, tool_launch_url: str, users: list[LmsUser],
                        course: dict[str, str]) -> Iterator[PlatformLms]:
    """The LMS on a loopback port; the gateway's URLs as its registration of the tool."""
    lms = PlatformLms("", tool_login_url, tool_launch_url, {u.lms_id: u for u in users}, course)
    server = make_server("127.0.0.1", 0, lms_app(lms), threaded=True)
    lms.url = f"http://127.0.0.1:{server.server_port}"
    lms.jwks_url, lms.auth_url, lms.token_url = (lms.url + "/jwks", lms.url + "/authorize",
                                                 lms.url + "/token")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield lms
    finally:
        server.shutdown()
        thread.join(timeout=10)
