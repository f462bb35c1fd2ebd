#!/usr/bin/env python3
"""Checks that a Ceph RGW keeps an object and its COMPLIANCE retention across a restart (Scripts/rgw-trials).

Usage: rgw_lock_check.py put | check UNTIL   (CUSTODY_S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY from s3.env)
  put    writes custody-locked/restart-check with COMPLIANCE retention for an hour; prints the retain-until date
  check  reads it back: same bytes, COMPLIANCE until UNTIL (what put printed), and its deletion (by version)
         refused; exit 1 otherwise
"""
import datetime
import os
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

BUCKET, KEY, BODY = "custody-locked", "restart-check", b"evidence that must outlive a restart"
s3 = boto3.client("s3", endpoint_url=os.environ["CUSTODY_S3_ENDPOINT"], region_name="us-east-1",
                  config=Config(s3={"addressing_style": "path"}))

if sys.argv[1:] == ["put"]:
    until = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)).replace(microsecond=0)
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=BODY, ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=until)
    print(until.isoformat())
elif len(sys.argv) == 3 and sys.argv[1] == "check":
    expected = datetime.datetime.fromisoformat(sys.argv[2])
    got = s3.get_object(Bucket=BUCKET, Key=KEY)
    retention = s3.get_object_retention(Bucket=BUCKET, Key=KEY)["Retention"]
    failures = []
    if got["Body"].read() != BODY:
        failures.append("the bytes differ")
    if retention["Mode"] != "COMPLIANCE" or retention["RetainUntilDate"] != expected:
        failures.append(f"the retention is {retention}")
    try:
        s3.delete_object(Bucket=BUCKET, Key=KEY, VersionId=got["VersionId"])
        failures.append("its deletion was allowed")
    except ClientError as error:
        if error.response["Error"]["Code"] != "AccessDenied":
            failures.append(f"its deletion failed otherwise: {error}")
    print("; ".join(failures) or f"kept, COMPLIANCE until {retention['RetainUntilDate'].isoformat()}, deletion refused")
    sys.exit(1 if failures else 0)
else:
    sys.exit(__doc__)
