#!/usr/bin/env python3
"""Makes Scripts/ceph-rgw's two buckets: custody-plain, and custody-locked with Object Lock enabled at creation
(S3 allows it only then). Reads CUSTODY_S3_ENDPOINT, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the
environment, so the secret is never on a command line. A bucket that exists already is left as it is."""
import os
import sys

import boto3
from botocore.config import Config

s3 = boto3.client("s3", endpoint_url=os.environ["CUSTODY_S3_ENDPOINT"], region_name="us-east-1",
                  config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 10, "mode": "standard"}))
existing = {b["Name"] for b in s3.list_buckets()["Buckets"]}
for name, locked in (("custody-plain", False), ("custody-locked", True)):
    if name not in existing:
        s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=locked)
lock = s3.get_object_lock_configuration(Bucket="custody-locked")["ObjectLockConfiguration"]
if lock.get("ObjectLockEnabled") != "Enabled":
    sys.exit("rgw_buckets: custody-locked does not have Object Lock enabled")
