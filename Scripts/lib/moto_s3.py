#!/usr/bin/env python3
"""Runs moto's S3 server on loopback for custody's tests, with signatures checked.

Usage: moto_s3.py [--port N]   (0 or none: a free port). Prints one JSON line once it answers:
  {"port": N, "accessKeyID": "...", "secretAccessKey": "...", "buckets": {"plain": "...", "locked": "..."}}
then serves until it is killed or its standard input closes.

moto checks SigV4 signatures only once INITIAL_NO_AUTH_ACTION_COUNT unsigned actions have been made; those
are spent here on an IAM user with an allow-all policy, its access key, and two buckets (one with Object
Lock, hence versioned). Every request after that must be signed with the printed key: a forged one fails.
Objects are spilled to files under TMPDIR rather than kept in memory.
"""
import json
import os
import sys
import tempfile
import threading
import urllib.parse
import urllib.request

UNSIGNED = 5
os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = str(UNSIGNED)
os.environ.setdefault("MOTO_S3_DEFAULT_KEY_BUFFER_SIZE", str(1 << 20))
os.environ.setdefault("TMPDIR", tempfile.mkdtemp(prefix="custody-moto-"))

from moto.server import ThreadedMotoServer  # noqa: E402  (after the environment is set)


def call(url, method="GET", data=None, headers=None):
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode()


def between(text, tag):
    return text.split(f"<{tag}>", 1)[1].split(f"</{tag}>", 1)[0]


def main():
    port = int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv else 0
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    port = server._server.server_port
    base = f"http://127.0.0.1:{port}"
    iam = base + "/?" 
    def iam_action(params):
        body = urllib.parse.urlencode({**params, "Version": "2010-05-08"}).encode()
        return call(base + "/", "POST", body, {"Content-Type": "application/x-www-form-urlencoded",
                                               "Host": "iam.amazonaws.com",
                                               "Authorization": "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/iam/aws4_request"})
    iam_action({"Action": "CreateUser", "UserName": "custody"})
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    iam_action({"Action": "PutUserPolicy", "UserName": "custody", "PolicyName": "all", "PolicyDocument": policy})
    key = iam_action({"Action": "CreateAccessKey", "UserName": "custody"})
    buckets = {"plain": "custody-plain", "locked": "custody-locked"}
    call(f"{base}/{buckets['plain']}", "PUT")
    call(f"{base}/{buckets['locked']}", "PUT", headers={"x-amz-bucket-object-lock-enabled": "true"})
    print(json.dumps({"port": port, "accessKeyID": between(key, "AccessKeyId"),
                      "secretAccessKey": between(key, "SecretAccessKey"), "buckets": buckets}), flush=True)
    threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
    threading.Event().wait()


if __name__ == "__main__":
    main()
