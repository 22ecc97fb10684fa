"""The SAM template: cfn-lint clean, and the properties a reviewer relies on.

The template is read with cfn-lint's own decoder (it understands ``!Ref``/``!Sub``/
``!GetAtt``/``!If``), so the tests see exactly what cfn-lint and SAM see.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"

# Actions that have no resource-level permissions: the only ones allowed on Resource "*".
ACTIONS_WITHOUT_RESOURCES = {
    "comprehend:BatchDetectSentiment",
    "comprehend:DetectSentiment",
    "cloudwatch:PutMetricData",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
}
S3_OBJECT_ACTIONS = {"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}
ARCHIVE_PREFIXES = {"lake", "raw", "quarantine", "state", "reports", "jobs", "staging", "config"}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    decoded, matches = decode(str(TEMPLATE))
    assert not matches, [str(m) for m in matches]
    assert decoded is not None
    return dict(decoded)


def resources_of(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == type_}


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return resources_of(template, "AWS::Serverless::Function")


def branches(value: Any) -> Iterator[Any]:
    """Every value ``value`` can take: both sides of ``Fn::If``, never ``AWS::NoValue``."""
    if isinstance(value, dict) and set(value) == {"Fn::If"}:
        _, when_true, when_false = value["Fn::If"]
        yield from branches(when_true)
        yield from branches(when_false)
    elif isinstance(value, dict) and value == {"Ref": "AWS::NoValue"}:
        return
    else:
        yield value


def as_list(value: Any) -> list[Any]:
    items = value if isinstance(value, list) else [value]
    return [b for item in items for b in branches(item)]


def text_of(value: Any) -> str:
    """A resource or string as text: ``Fn::Sub`` strings, ``Fn::GetAtt`` as ``X.Arn``."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        return str(sub if isinstance(sub, str) else sub[0])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        att = value["Fn::GetAtt"]
        return ".".join(att) if isinstance(att, list) else str(att)
    if isinstance(value, dict) and "Ref" in value:
        return f"${{{value['Ref']}}}"
    return json.dumps(value, default=str)


def statements(function: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for policy in as_list(function["Properties"].get("Policies", [])):
        assert isinstance(policy, dict) and "Statement" in policy, (
            f"only inline policy documents, no SAM policy templates or managed policies: {policy!r}"
        )
        found.extend(s for s in as_list(policy["Statement"]) if isinstance(s, dict))
    return found


def allowed(function: dict[str, Any]) -> dict[str, set[str]]:
    """action -> the resources (as text) the function may use it on."""
    grants: dict[str, set[str]] = {}
    for statement in statements(function):
        assert statement["Effect"] == "Allow"
        for action in as_list(statement["Action"]):
            grants.setdefault(action, set()).update(text_of(r) for r in as_list(statement["Resource"]))
    return grants


def function_named(template: dict[str, Any], name: str) -> dict[str, Any]:
    for function in functions(template).values():
        if function["Properties"]["ImageConfig"]["Command"][0] == f"functions/{name}/app.lambda_handler":
            return function
    raise AssertionError(f"no function runs functions/{name}/app.py")


# ------------------------------------------------------------------ cfn-lint


def cfn_lint_command() -> list[str]:
    beside_python = Path(sys.executable).parent / "cfn-lint"
    if beside_python.exists():
        return [str(beside_python)]
    on_path = shutil.which("cfn-lint")
    return [on_path] if on_path else [sys.executable, "-m", "cfnlint"]


def test_cfn_lint_reports_nothing() -> None:
    result = subprocess.run(
        [*cfn_lint_command(), str(TEMPLATE)], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


# ------------------------------------------------------------------ bucket


def test_bucket_is_encrypted_private_versioned_and_owner_enforced(template: dict[str, Any]) -> None:
    (bucket,) = resources_of(template, "AWS::S3::Bucket").values()
    props = bucket["Properties"]
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms", "aws:kms:dsse")
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["VersioningConfiguration"]["Status"] == "Enabled"
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert bucket["DeletionPolicy"] == "Retain"
    assert bucket["UpdateReplacePolicy"] == "Retain"


def test_reports_move_to_standard_ia_after_a_parameterised_number_of_days(template: dict[str, Any]) -> None:
    (bucket,) = resources_of(template, "AWS::S3::Bucket").values()
    rules = bucket["Properties"]["LifecycleConfiguration"]["Rules"]
    (reports,) = [r for r in rules if r.get("Prefix") == "reports/"]
    (transition,) = reports["Transitions"]
    assert transition["StorageClass"] == "STANDARD_IA"
    parameter = transition["TransitionInDays"]["Ref"]
    assert template["Parameters"][parameter]["MinValue"] >= 30  # S3 refuses Standard-IA before 30 days


def test_bucket_policy_denies_every_request_without_tls(template: dict[str, Any]) -> None:
    (policy,) = resources_of(template, "AWS::S3::BucketPolicy").values()
    assert policy["Properties"]["Bucket"] == {"Ref": "ArchiveBucket"}
    denials = [
        s
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    ]
    assert len(denials) == 1
    (deny,) = denials
    assert deny["Principal"] == "*" and deny["Action"] == "s3:*"
    assert {text_of(r) for r in deny["Resource"]} == {"ArchiveBucket.Arn", "${ArchiveBucket.Arn}/*"}


# ------------------------------------------------------------------ IAM


def test_no_wildcard_action_and_no_wildcard_resource_except_where_aws_requires_it(
    template: dict[str, Any],
) -> None:
    for name, function in functions(template).items():
        for statement in statements(function):
            actions = set(as_list(statement["Action"]))
            assert not any(a == "*" or a.endswith(":*") for a in actions), (name, actions)
            if "*" in as_list(statement["Resource"]):
                assert actions <= ACTIONS_WITHOUT_RESOURCES, (name, actions)


def test_s3_object_access_is_scoped_to_archive_prefixes(template: dict[str, Any]) -> None:
    for name, function in functions(template).items():
        for action, targets in allowed(function).items():
            if action.startswith("s3:") and action != "s3:ListBucket":
                assert action in S3_OBJECT_ACTIONS, (name, action)
                for target in targets:
                    match = re.fullmatch(r"\$\{ArchiveBucket\.Arn\}/([a-z]+)/\*", target)
                    assert match and match.group(1) in ARCHIVE_PREFIXES, (name, action, target)
            if action == "s3:ListBucket":
                assert targets == {"ArchiveBucket.Arn"}, (name, targets)


def test_each_function_gets_what_it_needs_and_nothing_more(template: dict[str, Any]) -> None:
    fetch = allowed(function_named(template, "fetch"))
    monthly = allowed(function_named(template, "monthly"))
    worker = allowed(function_named(template, "worker"))
    api = allowed(function_named(template, "api"))
    share = allowed(function_named(template, "share"))

    lake = "${ArchiveBucket.Arn}/lake/*"
    reports = "${ArchiveBucket.Arn}/reports/*"
    jobs = "${ArchiveBucket.Arn}/jobs/*"
    staging = "${ArchiveBucket.Arn}/staging/*"
    assert {
        lake,
        "${ArchiveBucket.Arn}/raw/*",
        "${ArchiveBucket.Arn}/quarantine/*",
        "${ArchiveBucket.Arn}/state/*",
    } <= fetch["s3:PutObject"]
    assert reports not in fetch["s3:PutObject"] | fetch["s3:GetObject"]
    platform_secrets = {
        "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:community-pulse/*"
    }
    assert fetch["secretsmanager:GetSecretValue"] == platform_secrets
    # Rotating refresh tokens (TikTok) are written back to the platform secrets, and only there.
    assert fetch["secretsmanager:PutSecretValue"] == platform_secrets
    assert all("secretsmanager:PutSecretValue" not in g for g in (monthly, worker, api, share))
    # ... and made current only if no other writer changed them since (X and TikTok, #12).
    assert fetch["secretsmanager:UpdateSecretVersionStage"] == platform_secrets
    assert all("secretsmanager:UpdateSecretVersionStage" not in g for g in (monthly, worker, api, share))

    # Every function may read the brands file in the bucket (only with BrandsSource=archive).
    config = "${ArchiveBucket.Arn}/config/*"
    for grants in (fetch, monthly, worker, api):
        assert config in grants["s3:GetObject"] and config not in grants.get("s3:PutObject", set())

    # The dispatcher only queues jobs.
    assert monthly == {"sqs:SendMessage": {"ReportQueue.Arn"}, "s3:GetObject": {config}}

    # The worker renders: reads the lake, stages then writes reports, records jobs and once-only keys.
    assert lake in worker["s3:GetObject"] and lake not in worker["s3:PutObject"]
    assert {reports, jobs, staging} <= worker["s3:PutObject"]
    assert worker["s3:DeleteObject"] == {staging}, "only staging leftovers are ever deleted"
    assert {a for a in worker if a.startswith("dynamodb:")} == {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
    }
    assert all(r == {"IdempotencyTable.Arn"} for a, r in worker.items() if a.startswith("dynamodb:"))

    # The API answers from the archive or queues work: no lake, no report writes, no mail.
    assert api["s3:GetObject"] == {reports, jobs, config} and api["s3:PutObject"] == {jobs}
    assert api["sqs:SendMessage"] == {"ReportQueue.Arn"}
    assert "secretsmanager:GetSecretValue" not in monthly

    # Share-link keys: the worker signs (mail), the API signs (minting route), the public function
    # verifies; nobody else reads them, and they read no other secret.
    for signer in (worker, api, share):
        assert signer["secretsmanager:GetSecretValue"] == {"${ShareKeySecret}"}
    secret = template["Resources"]["ShareKeySecret"]["Properties"]
    assert not text_of(secret["Name"]).startswith("community-pulse/"), "outside the fetch's secrets"

    # The public function reads archived reports and the keys (and the brands file, when it is in
    # the bucket): nothing else.
    assert share == {
        "s3:GetObject": {reports, "${ArchiveBucket.Arn}/config/*"},
        "s3:ListBucket": {"ArchiveBucket.Arn"},
        "secretsmanager:GetSecretValue": {"${ShareKeySecret}"},
    }

    # Only the worker (reports) and the fetch (incident alerts) mail, only as the configured SES identity.
    identity = "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${SesIdentity}"
    for name, grants in (("monthly", monthly), ("api", api), ("share", share)):
        assert not any(a.startswith("ses:") for a in grants), name
    for mailer in (worker, fetch):
        assert {a for a in mailer if a.startswith("ses:")} == {"ses:SendEmail", "ses:SendRawEmail"}
        for action in ("ses:SendEmail", "ses:SendRawEmail"):
            assert identity in mailer[action]
            assert all(":ses:" in r and "*" not in r for r in mailer[action])
    # The fetch's alerts are once-only through the same table, and publish only to the alert topic.
    assert all(r == {"IdempotencyTable.Arn"} for a, r in fetch.items() if a.startswith("dynamodb:"))
    assert {a for a in fetch if a.startswith("sns:")} <= {"sns:Publish"}
    assert fetch["sns:Publish"] == {"${AlertTopicArn}"}


def test_the_brands_file_in_the_bucket_is_readable_only_when_it_is_the_source(
    template: dict[str, Any],
) -> None:
    assert template["Conditions"]["BrandsInArchive"] == {"Fn::Equals": [{"Ref": "BrandsSource"}, "archive"]}
    config = template["Globals"]["Function"]["Environment"]["Variables"]["PULSE_CONFIG"]
    condition, in_archive, _ = config["Fn::If"]
    assert condition == "BrandsInArchive"
    assert in_archive == {"Fn::Sub": "s3://${ArchiveBucket}/config/brands.yaml"}
    for name, function in functions(template).items():
        (read,) = [
            s["Fn::If"]
            for s in function["Properties"]["Policies"][0]["Statement"]
            if isinstance(s, dict) and "Fn::If" in s and s["Fn::If"][0] == "BrandsInArchive"
        ]
        assert read[1]["Action"] == "s3:GetObject", name
        assert read[2] == {"Ref": "AWS::NoValue"}, name


def test_comprehend_is_granted_only_when_it_is_the_sentiment_backend(template: dict[str, Any]) -> None:
    fetch = function_named(template, "fetch")
    conditional = [
        s for s in fetch["Properties"]["Policies"][0]["Statement"] if isinstance(s, dict) and "Fn::If" in s
    ]
    (statement,) = [s for s in conditional if s["Fn::If"][1].get("Sid") == "DetectSentiment"]
    condition, granted, otherwise = statement["Fn::If"]
    assert granted["Action"] == ["comprehend:BatchDetectSentiment", "comprehend:DetectSentiment"]
    assert otherwise == {"Ref": "AWS::NoValue"}
    assert template["Conditions"][condition] == {"Fn::Equals": [{"Ref": "SentimentBackend"}, "comprehend"]}


# ------------------------------------------------------------------ functions


def test_alert_topic_is_granted_only_when_one_is_given(template: dict[str, Any]) -> None:
    fetch = function_named(template, "fetch")
    (statement,) = [
        s
        for s in fetch["Properties"]["Policies"][0]["Statement"]
        if isinstance(s, dict) and "Fn::If" in s and s["Fn::If"][1].get("Sid") == "PublishAlerts"
    ]
    condition, granted, otherwise = statement["Fn::If"]
    assert granted["Action"] == "sns:Publish" and granted["Resource"] == {"Ref": "AlertTopicArn"}
    assert otherwise == {"Ref": "AWS::NoValue"}
    assert template["Conditions"][condition] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlertTopicArn"}, ""]}]}
    assert template["Parameters"]["AlertTopicArn"]["Default"] == ""
    # The webhooks secret must live under community-pulse/, the only secrets the fetch may read.
    assert template["Parameters"]["AlertWebhooksSecretName"]["AllowedPattern"].startswith(
        "^$|^community-pulse/"
    )


def test_every_function_runs_a_handler_that_exists(template: dict[str, Any]) -> None:
    commands = set()
    for name, function in functions(template).items():
        (command,) = function["Properties"]["ImageConfig"]["Command"]
        commands.add(command)
        module, _, handler = command.rpartition(".")
        path = ROOT / f"{module}.py"
        assert path.is_file(), f"{name}: {path} does not exist"
        tree = ast.parse(path.read_text(), filename=str(path))
        defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
        assert handler in defined, f"{name}: {path} defines no {handler}()"
    assert commands == {
        f"functions/{n}/app.lambda_handler" for n in ("fetch", "monthly", "worker", "api", "share")
    }


def test_functions_share_one_image_whose_dockerfile_exists(template: dict[str, Any]) -> None:
    metadata = {json.dumps(f["Metadata"], sort_keys=True) for f in functions(template).values()}
    assert len(metadata) == 1
    (meta,) = (f["Metadata"] for f in list(functions(template).values())[:1])
    assert meta["DockerContext"] == "."
    dockerfile = (ROOT / meta["Dockerfile"]).read_text()
    assert re.search(r"^ARG BASE_IMAGE=python:3\.12-slim-bookworm$", dockerfile, re.MULTILINE)
    assert re.search(r"^FROM \$\{BASE_IMAGE\}$", dockerfile, re.MULTILINE)
    for package in ("chromium", "fonts-dejavu-core", "fonts-noto-color-emoji", "libatomic1"):
        assert re.search(rf"^\s+{re.escape(package)}\s*\\?$", dockerfile, re.MULTILINE), package
    assert 'ENTRYPOINT ["python", "-m", "awslambdaric"]' in dockerfile
    for function in functions(template).values():
        assert function["Properties"]["PackageType"] == "Image"


def test_dockerignore_keeps_what_the_dockerfile_copies(template: dict[str, Any]) -> None:
    (meta,) = {json.dumps(f["Metadata"]) for f in functions(template).values()}
    dockerfile = (ROOT / json.loads(meta)["Dockerfile"]).read_text()
    kept = [
        line[1:].rstrip("/*")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.startswith("!")
    ]
    for source in re.findall(r"^COPY\s+(\S+)\s+\S+$", dockerfile, re.MULTILINE):
        assert (ROOT / source).exists(), source
        assert any(source.rstrip("/").startswith(k) for k in kept), f"{source} is excluded by .dockerignore"


def test_environment_variables_are_settings_the_code_reads(template: dict[str, Any]) -> None:
    from pulse.settings import Settings

    known = {f"PULSE_{name.upper()}" for name in Settings.model_fields}
    variables = dict(template["Globals"]["Function"]["Environment"]["Variables"])
    for function in functions(template).values():
        variables.update(function["Properties"].get("Environment", {}).get("Variables", {}))
    pulse_vars = {v for v in variables if v.startswith("PULSE_")}
    assert pulse_vars <= known, pulse_vars - known
    assert variables["PULSE_ARCHIVE"] == {"Fn::Sub": "s3://${ArchiveBucket}"}
    assert {"POWERTOOLS_SERVICE_NAME", "LOG_LEVEL"} <= set(variables)
    for mailer in ("worker",):
        env = function_named(template, mailer)["Properties"]["Environment"]["Variables"]
        assert env["PULSE_MAIL_TRANSPORT"] == "ses"
        assert env["PULSE_MAIL_FROM"] == {"Ref": "MailFrom"}


def test_every_function_logs_to_a_group_with_retention(template: dict[str, Any]) -> None:
    groups = resources_of(template, "AWS::Logs::LogGroup")
    for name, function in functions(template).items():
        group = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert "RetentionInDays" in groups[group]["Properties"], name


# ------------------------------------------------------------------ schedules


def schedules(template: dict[str, Any]) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """job name -> (function, ScheduleV2 properties)"""
    found = {}
    for function in functions(template).values():
        for event in function["Properties"].get("Events", {}).values():
            if event["Type"] == "ScheduleV2":
                job = json.loads(event["Properties"]["Input"])["job"]
                found[job] = (function, event["Properties"])
    return found


def test_schedules_send_the_job_their_handler_expects_in_a_time_zone(template: dict[str, Any]) -> None:
    found = schedules(template)
    assert set(found) == {"fetch", "monthly"}
    expressions = {}
    for job, (function, props) in found.items():
        assert function is function_named(template, job)
        assert json.loads(props["Input"]) == {"job": job}
        zone = props["ScheduleExpressionTimezone"]
        assert zone == {"Ref": "ScheduleTimezone"}
        expressions[job] = template["Parameters"][props["ScheduleExpression"]["Ref"]]["Default"]
    assert template["Parameters"]["ScheduleTimezone"]["Default"] == "Europe/Paris"
    # The dispatcher runs hourly; each brand's report goes out at its own local time (brands file).
    assert expressions == {"fetch": "cron(0 5 * * ? *)", "monthly": "cron(0 * * * ? *)"}


def test_scheduled_failures_end_in_a_dead_letter_queue_that_raises_an_alarm(
    template: dict[str, Any],
) -> None:
    queue = {"Fn::GetAtt": ["FailedJobsQueue", "Arn"]}
    for job, (function, props) in schedules(template).items():
        assert props["DeadLetterConfig"] == {"Arn": queue}, job
        on_failure = function["Properties"]["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]
        assert on_failure == {"Type": "SQS", "Destination": queue}, job
    alarms = resources_of(template, "AWS::CloudWatch::Alarm").values()
    watched = {json.dumps(d["Value"], sort_keys=True) for a in alarms for d in a["Properties"]["Dimensions"]}
    assert json.dumps({"Fn::GetAtt": ["FailedJobsQueue", "QueueName"]}, sort_keys=True) in watched
    assert json.dumps({"Fn::GetAtt": ["ReportDeadLetterQueue", "QueueName"]}, sort_keys=True) in watched
    for name in functions(template):
        assert json.dumps({"Ref": name}) in watched, f"no error alarm on {name}"


# ------------------------------------------------------------------ API


def test_http_api_routes_are_iam_authorised_except_the_share_links(template: dict[str, Any]) -> None:
    (api,) = resources_of(template, "AWS::Serverless::HttpApi").values()
    assert api["Properties"]["Auth"]["DefaultAuthorizer"] == "AWS_IAM"
    assert api["Properties"]["Auth"]["EnableIamAuthorizer"] is True
    routes, public = set(), set()
    for function in functions(template).values():
        for event in function["Properties"].get("Events", {}).values():
            if event["Type"] == "HttpApi":
                props = event["Properties"]
                assert props["TimeoutInMillis"] <= 29_000
                route = f"{props['Method']} {props['Path']}"
                if "Auth" in props:  # opts out of the default IAM authoriser: only the share links
                    assert props["Auth"] == {"Authorizer": "NONE"}
                    assert function is function_named(template, "share")
                    public.add(route)
                else:
                    assert function is function_named(template, "api")
                    routes.add(route)
    assert routes == {
        "POST /reports",
        "GET /reports/{brand}/{month}",
        "GET /reports/{brand}/{month}/{file}",
        "GET /brands/{brand}/reports",
        "GET /jobs/{job}",
        "POST /brands/{brand}/share",
    }
    assert public == {"GET /share/{token}", "GET /share/{token}/{month}/{file}"}
    # Anyone may call the public routes: they get their own, lower throttling.
    assert set(api["Properties"]["RouteSettings"]) == public


def test_outputs_name_the_api_url_and_the_bucket(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    assert text_of(outputs["ApiUrl"]["Value"]).startswith("https://${HttpApi}.execute-api.")
    assert outputs["ArchiveBucketName"]["Value"] == {"Ref": "ArchiveBucket"}


# ------------------------------------------------------------------ fan-out


def test_reports_fan_out_one_brand_per_message_with_a_dead_letter_queue(template: dict[str, Any]) -> None:
    queue = template["Resources"]["ReportQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["ReportDeadLetterQueue", "Arn"]}
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 3
    worker = function_named(template, "worker")
    (event,) = worker["Properties"]["Events"].values()
    assert event["Type"] == "SQS" and event["Properties"]["BatchSize"] == 1
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert queue["VisibilityTimeout"] >= 6 * worker["Properties"]["Timeout"]
    table = template["Resources"]["IdempotencyTable"]["Properties"]
    assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
