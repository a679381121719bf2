"""An OAuth 1.0a provider (RFC 5849) on 127.0.0.1, built on oauthlib's
endpoints with an in-memory validator: the independent oracle of the
effect-http-auth tests, examples and demo.

    /usr/bin/python3 oauth1Provider.py '<config JSON>'

prints the port it listens on (port 0: a free one), then serves:

    POST /request_token   RequestTokenEndpoint (temporary credentials)
    GET  /authorize       the approval page (Approve / Deny buttons)
    POST /authorize       AuthorizationEndpoint: 302 to the callback with
                          oauth_token and oauth_verifier (Deny: denied=<token>)
    POST /access_token    AccessTokenEndpoint (adds user_id, screen_name)
    any  /resource/denied a plain 401, always
    any  /resource/...    ResourceEndpoint (SignatureOnlyEndpoint without a token,
                          two-legged); 200 with what it verified, as JSON
    POST /verify          a batch of signed requests (JSON), each verified by
                          SignatureOnlyEndpoint: [{"valid": bool, "problem": str}]
    POST /admin/revoke    forgets an access token (JSON {"token": ...})

Refusals carry the OAuth Problem Reporting extension's oauth_problem (and
oauth_problem_advice) in a form body, and for resources in WWW-Authenticate
too. Config: {"clients": {key: {"secret": s, "rsaPublicKey": pem}},
"accessTokens": {token: {"client": key, "secret": s}}, "testVerifier": v,
"user": {"user_id": ..., "screen_name": ...}}; "testVerifier" is a verifier
accepted for any authorized-or-not request token, standing in for the person
when a test's browser makes one up (BrowserTest).
"""
import base64
import hashlib
import html
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

from oauthlib.common import generate_token
from oauthlib.oauth1 import (
    AccessTokenEndpoint,
    AuthorizationEndpoint,
    RequestTokenEndpoint,
    RequestValidator,
    ResourceEndpoint,
    SignatureOnlyEndpoint,
)
from oauthlib.oauth1.rfc5849 import errors
from oauthlib.oauth1.rfc5849.endpoints.base import BaseEndpoint

config = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
lock = threading.RLock()


class Validator(RequestValidator):
    """Everything in memory; `problems` collects why the current request failed."""

    def __init__(self):
        super().__init__()
        self.clients = config.get("clients", {})
        self.request_tokens = {}  # token -> {client, secret, callback, verifier, realms}
        self.access_tokens = {t: dict(v) for t, v in config.get("accessTokens", {}).items()}
        self.nonces = set()
        self.local = threading.local()

    @property
    def problems(self):
        if not hasattr(self.local, "problems"):
            self.local.problems = []
        return self.local.problems

    def reset(self):
        self.local.problems = []

    enforce_ssl = False

    @property
    def safe_characters(self):
        return set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")

    @property
    def client_key_length(self):
        return 3, 64

    @property
    def request_token_length(self):
        return 20, 64

    @property
    def access_token_length(self):
        return 3, 64

    @property
    def verifier_length(self):
        return 3, 64

    realms = ["photos"]
    dummy_client = "dummy-client"
    dummy_request_token = "dummyrequesttoken0000000"
    dummy_access_token = "dummy-access-token"

    def get_default_realms(self, client_key, request):
        return ["photos"]

    def validate_client_key(self, client_key, request):
        ok = client_key in self.clients
        if not ok:
            self.problems.append(("consumer_key_unknown", None))
        return ok

    def get_client_secret(self, client_key, request):
        return self.clients.get(client_key, {}).get("secret") or "dummy"

    def get_rsa_key(self, client_key, request):
        key = self.clients.get(client_key, {}).get("rsaPublicKey")
        if key is None:
            key = next((c["rsaPublicKey"] for c in self.clients.values() if c.get("rsaPublicKey")), None)
        return key

    def validate_timestamp_and_nonce(self, client_key, timestamp, nonce, request, request_token=None, access_token=None):
        with lock:
            seen = (client_key, timestamp, nonce, request_token or access_token) in self.nonces
            if seen:
                self.problems.append(("nonce_used", None))
                return False
            self.nonces.add((client_key, timestamp, nonce, request_token or access_token))
            return True

    def validate_requested_realms(self, client_key, realms, request):
        return True

    def validate_redirect_uri(self, client_key, redirect_uri, request):
        return redirect_uri == "oob" or redirect_uri.startswith("http://")

    def save_request_token(self, token, request):
        with lock:
            self.request_tokens[token["oauth_token"]] = {
                "client": request.client_key,
                "secret": token["oauth_token_secret"],
                "callback": request.redirect_uri,
                "verifier": None,
                "realms": request.realms,
            }

    def verify_request_token(self, token, request):
        return token in self.request_tokens

    def verify_realms(self, token, realms, request):
        return True

    def get_realms(self, token, request):
        return self.request_tokens.get(token, {}).get("realms") or []

    def save_verifier(self, token, verifier, request):
        with lock:
            self.request_tokens[token]["verifier"] = verifier["oauth_verifier"]

    def get_redirect_uri(self, token, request):
        return self.request_tokens[token]["callback"]

    def validate_request_token(self, client_key, token, request):
        entry = self.request_tokens.get(token)
        ok = entry is not None and entry["client"] == client_key
        if not ok:
            self.problems.append(("token_rejected", None))
        return ok

    def get_request_token_secret(self, client_key, token, request):
        return self.request_tokens.get(token, {}).get("secret") or "dummy"

    def validate_verifier(self, client_key, token, verifier, request):
        entry = self.request_tokens.get(token)
        expected = entry and entry["verifier"]
        ok = entry is not None and (
            (expected is not None and verifier == expected)
            or (config.get("testVerifier") is not None and verifier == config["testVerifier"])
        )
        if not ok:
            self.problems.append(("parameter_rejected", "oauth_verifier"))
        return ok

    def invalidate_request_token(self, client_key, request_token, request):
        with lock:
            self.request_tokens.pop(request_token, None)

    def save_access_token(self, token, request):
        with lock:
            self.access_tokens[token["oauth_token"]] = {"client": request.client_key, "secret": token["oauth_token_secret"]}

    def validate_access_token(self, client_key, token, request):
        entry = self.access_tokens.get(token)
        ok = entry is not None and entry["client"] == client_key
        if not ok:
            self.problems.append(("token_rejected", None))
        return ok

    def get_access_token_secret(self, client_key, token, request):
        return self.access_tokens.get(token, {}).get("secret") or "dummy"

    def validate_realms(self, client_key, token, request, uri=None, realms=None):
        return True


validator = Validator()
request_endpoint = RequestTokenEndpoint(validator)
authorization_endpoint = AuthorizationEndpoint(validator)
access_endpoint = AccessTokenEndpoint(validator)
resource_endpoint = ResourceEndpoint(validator)
signature_endpoint = SignatureOnlyEndpoint(validator)
checker = BaseEndpoint(validator)

# oauthlib's own descriptions, mapped to the Problem Reporting extension's problems
DESCRIPTIONS = [
    ("Timestamp given is invalid", "timestamp_refused"),
    ("Invalid timestamp size", "timestamp_refused"),
    ("Timestamp must be an integer", "timestamp_refused"),
    ("Missing mandatory", "parameter_absent"),
    ("not in", "signature_method_rejected"),
    ("Invalid OAuth version", "version_rejected"),
    ("Duplicate", "parameter_rejected"),
    ("Invalid client key format", "consumer_key_rejected"),
    ("Invalid nonce format", "parameter_rejected"),
    ("oauth_ params must come from only 1", "parameter_rejected"),
]


def precheck(uri, method, body, headers):
    """oauthlib's own checks, to say why a request is refused (its endpoints only say that it is)."""
    try:
        request = checker._create_request(uri, method, body, headers)
        checker._check_transport_security(request)
        checker._check_mandatory_parameters(request)
    except errors.OAuth1Error as error:
        description = str(error.description)
        for text, problem in DESCRIPTIONS:
            if text in description:
                return problem, description
        return "parameter_rejected", description
    except ValueError as error:
        return "parameter_rejected", str(error)
    return None


def body_hash_problem(method, body, headers, oauth):
    given = oauth.get("oauth_body_hash")
    if given is None:
        return None
    algorithm = "sha256" if oauth.get("oauth_signature_method", "").endswith("SHA256") else (
        "sha512" if oauth.get("oauth_signature_method", "").endswith("SHA512") else "sha1"
    )
    expected = base64.b64encode(hashlib.new(algorithm, body).digest()).decode()
    return None if given == expected else ("parameter_rejected", "oauth_body_hash does not match the body")


def oauth_params(uri, body_text, headers):
    request = checker._create_request(uri, "POST", body_text, headers)
    return request.oauth_params, request


def problem_response(handler, status, problem, advice=None, challenge=False, rejected=None):
    fields = {"oauth_problem": problem}
    if advice:
        fields["oauth_problem_advice"] = advice
    if rejected:
        fields["oauth_parameters_rejected"] = rejected
    extra = {}
    if challenge:
        extra["WWW-Authenticate"] = 'OAuth realm="photos", oauth_problem="%s"' % problem
    handler.answer(status, urlencode(fields), "application/x-www-form-urlencoded", extra)


def diagnose():
    if validator.problems:
        return validator.problems[0]
    return ("signature_invalid", None)


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Authorize</title></head>
<body>
<h1>Authorize {client}</h1>
<p>{client} asks to read your photos.</p>
<form method="POST" action="/authorize">
<input type="hidden" name="oauth_token" value="{token}">
<button type="submit" name="action" value="approve" id="approve">Approve</button>
<button type="submit" name="action" value="deny" id="deny">Deny</button>
</form>
</body></html>
"""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def answer(self, status, body, content_type, headers=None):
        data = body.encode() if isinstance(body, str) else (body or b"")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def read(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def handle_any(self):
        validator.reset()
        raw = self.read()
        uri = "http://%s%s" % (self.headers.get("Host"), self.path)
        headers = {name: value for name, value in self.headers.items()}
        path = urlsplit(self.path).path
        body_text = raw.decode("utf-8", "replace")
        try:
            if path == "/request_token":
                return self.token_step(request_endpoint.create_request_token_response, uri, body_text, headers)
            if path == "/access_token":
                return self.token_step(
                    lambda *a: access_endpoint.create_access_token_response(*a, credentials=config.get("user", {})),
                    uri,
                    body_text,
                    headers,
                )
            if path == "/authorize":
                return self.authorize(uri, body_text)
            if path == "/verify":
                return self.verify_batch(json.loads(body_text))
            if path == "/admin/revoke":
                token = json.loads(body_text)["token"]
                with lock:
                    validator.access_tokens.pop(token, None)
                return self.answer(204, b"", "text/plain")
            if path == "/resource/denied":  # refuses whatever it gets, without a problem report
                return self.answer(401, "denied", "text/plain")
            if path.startswith("/resource"):
                return self.resource(uri, raw, body_text, headers)
            return self.answer(404, "not found", "text/plain")
        except Exception as error:  # a bug here must show in the test, not hang it
            return self.answer(500, "provider error: %r" % error, "text/plain")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = handle_any

    def token_step(self, create, uri, body_text, headers):
        found = precheck(uri, self.command, body_text, headers)
        if found is not None:
            return problem_response(self, 400 if found[0] == "parameter_absent" else 401, found[0], found[1])
        response_headers, body, status = create(uri, self.command, body_text, headers)
        if status == 200:
            return self.answer(200, body, "application/x-www-form-urlencoded")
        problem, rejected = diagnose()
        if status == 400 and not validator.problems and body:
            fields = dict(parse_qsl(body))
            return problem_response(self, 400, "parameter_rejected", fields.get("error_description"))
        return problem_response(self, 401, problem, rejected=rejected)

    def authorize(self, uri, body_text):
        if self.command == "GET":
            query = dict(parse_qsl(urlsplit(uri).query))
            token = query.get("oauth_token", "")
            if not validator.verify_request_token(token, None):
                return self.answer(400, "<h1>Unknown request token</h1>", "text/html; charset=utf-8")
            client = validator.request_tokens[token]["client"]
            return self.answer(
                200, PAGE.format(client=html.escape(client), token=html.escape(token)), "text/html; charset=utf-8"
            )
        form = dict(parse_qsl(body_text))
        token = form.get("oauth_token", "")
        if not validator.verify_request_token(token, None):
            return self.answer(400, "<h1>Unknown request token</h1>", "text/html; charset=utf-8")
        if form.get("action") != "approve":
            callback = validator.request_tokens[token]["callback"]
            sep = "&" if "?" in callback else "?"
            return self.answer(302, b"", "text/plain", {"Location": callback + sep + urlencode({"denied": token})})
        headers, _, status = authorization_endpoint.create_authorization_response(
            "http://%s/authorize?%s" % (self.headers.get("Host"), urlencode({"oauth_token": token})), realms=["photos"]
        )
        return self.answer(status, b"", "text/plain", headers)

    def resource(self, uri, raw, body_text, headers):
        found = precheck(uri, self.command, body_text, headers)
        if found is not None:
            return problem_response(self, 401, found[0], found[1], challenge=True)
        if checker._create_request(uri, self.command, body_text, headers).resource_owner_key:
            valid, request = resource_endpoint.validate_protected_resource_request(
                uri, self.command, body_text, headers, realms=["photos"]
            )
        else:  # two-legged: the consumer alone
            valid, request = signature_endpoint.validate_request(uri, self.command, body_text, headers)
        if not valid:
            problem, rejected = diagnose()
            return problem_response(self, 401, problem, challenge=True, rejected=rejected)
        hashed = body_hash_problem(self.command, raw, headers, request.oauth_params)
        if hashed is not None:
            return problem_response(self, 401, hashed[0], hashed[1], challenge=True)
        signature_type = (
            "header" if "oauth_signature" in (self.headers.get("Authorization") or "") else
            "query" if "oauth_signature" in urlsplit(uri).query else "body"
        )
        answer = {
            "client": request.client_key,
            "token": request.resource_owner_key,
            "method": request.signature_method,
            "signatureType": signature_type,
            "bodyHash": request.oauth_params.get("oauth_body_hash") is not None,
            "body": raw.decode("utf-8", "replace"),
        }
        return self.answer(200, json.dumps(answer), "application/json")

    def verify_batch(self, batch):
        results = []
        for item in batch:
            validator.reset()
            body = item.get("body") or ""
            found = precheck(item["url"], item["method"], body, item["headers"])
            if found is not None:
                results.append({"valid": False, "problem": found[0], "advice": found[1]})
                continue
            valid, _ = signature_endpoint.validate_request(item["url"], item["method"], body, item["headers"])
            results.append({"valid": bool(valid), "problem": None if valid else diagnose()[0]})
        return self.answer(200, json.dumps(results), "application/json")


server = ThreadingHTTPServer(("127.0.0.1", int(config.get("port", 0))), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
try:
    server.serve_forever()
except KeyboardInterrupt:
    pass
