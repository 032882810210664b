"""Who every component is in the platform's security model (README "Security model"): its NATS user, its
OAuth client at the OpenID Connect provider and its PostgreSQL role, with the secrets `scripts/veche`
generates into VECHE_SECRETS_DIR (default $VECHE_STATE_DIR/secrets). One source of truth for the clustered
region and the Python tests; `run_as` in scripts/veche uses the same names.

Tokens come from the provider `scripts/veche` runs (VECHE_OIDC_ISSUER, default
http://127.0.0.1:$VECHE_IDP_PORT/api/oidc): machines by client credentials, demo users by the password
grant of the command-line client."""
import base64
import json
import os
import subprocess
import urllib.parse
import urllib.request

# Program -> (NATS user, OAuth client, PostgreSQL role or None).
COMPONENTS = {
    "agency-service": ("agency-service", "veche-agency-service", "veche_agency"),
    "appeal-service": ("appeal-service", "veche-appeal-service", "veche_appeal"),
    "rating-service": ("rating-service", "veche-rating-service", "veche_rating"),
    "survey-service": ("survey-service", "veche-survey-service", "veche_survey"),
    "gateway": ("gateway", "veche-gateway", None),
}
SCOPE = "veche"


def secrets_dir(env=None):
    env = os.environ if env is None else env
    return env.get("VECHE_SECRETS_DIR") or os.path.join(env.get("VECHE_STATE_DIR") or "/var/tmp/veche", "secrets")


def issuer(env=None):
    env = os.environ if env is None else env
    return env.get("VECHE_OIDC_ISSUER") or f"http://127.0.0.1:{env.get('VECHE_IDP_PORT') or '4593'}/api/oidc"


def secret(secrets, name):
    """A generated secret; a clear error when `scripts/veche` has not generated it yet."""
    path = os.path.join(secrets, name)
    try:
        with open(path) as f:
            return f.read().strip()
    except FileNotFoundError:
        raise RuntimeError(f"{path} is missing: start the single-node servers first (scripts/veche servers), "
                           "they generate the secrets and run the identity provider") from None


def process_env(program, secrets, conninfo):
    """The identity settings of one service or gateway process: NATS user, OAuth client and (for services)
    the PostgreSQL role, logging in to `conninfo` (a libpq string without `user`) with the generated passfile."""
    user, client, role = COMPONENTS[program]
    env = {"VECHE_NATS_USER": user, "VECHE_NATS_PASSWORD_FILE": os.path.join(secrets, "nats", user),
           "VECHE_CLIENT_ID": client, "VECHE_CLIENT_SECRET_FILE": os.path.join(secrets, "clients", client),
           "VECHE_POSTGRES": f"{conninfo} user={role or 'nobody'} passfile={os.path.join(secrets, 'pgpass')}"}
    if program == "gateway":
        env["VECHE_WEB_CLIENT_SECRET_FILE"] = os.path.join(secrets, "clients", "veche-web")
        if os.path.exists(os.path.join(secrets, "open311-key")):
            env["VECHE_OPEN311_KEYS"] = secret(secrets, "open311-key")
    return env


def nats_options(user, secrets):
    """nats-py connect() keywords of bus user `user`: its password and its private reply inbox."""
    return {"user": user, "password": secret(secrets, os.path.join("nats", user)),
            "inbox_prefix": f"_INBOX_{user}".encode()}


def write_bus_authorization(bin_dir, secrets, out):
    """The nats-server `authorization` block of every platform user (veche-tool bus-config), for inclusion."""
    subprocess.run([os.path.join(bin_dir, "veche-tool"), "bus-config", "--authorization-only", "--secrets", secrets,
                    "--out", out], check=True, stdout=subprocess.DEVNULL)


def setup_database(bin_dir, admin_conninfo, database, secrets):
    """The services' roles and the database prepared for least privilege (veche-tool db-setup, idempotent)."""
    subprocess.run([os.path.join(bin_dir, "veche-tool"), "db-setup", "--admin", admin_conninfo, "--database", database,
                    "--secrets", secrets], check=True, stdout=subprocess.DEVNULL)


def _token(form, client_id, client_secret, env=None):
    basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
    req = urllib.request.Request(issuer(env) + "/token", data=urllib.parse.urlencode({**form, "scope": SCOPE}).encode(),
                                 headers={"Authorization": "Basic " + basic})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())["access_token"]


def client_token(client_id, secrets, env=None):
    """An access token of a machine (client credentials)."""
    return _token({"grant_type": "client_credentials"}, client_id, secret(secrets, f"clients/{client_id}"), env)


def user_token(username, secrets, env=None):
    """An access token of a demo user (password grant through the command-line client veche-cli)."""
    users = json.loads(secret(secrets, "users.json"))
    return _token({"grant_type": "password", "username": username, "password": users[username]["password"]},
                  "veche-cli", secret(secrets, "clients/veche-cli"), env)
