"""Run the functions of the Lambda image the way Lambda does, and measure them.

Each function runs in its own container of the image under test, through the Lambda
Runtime Interface Emulator (`aws-lambda-rie`, from the aws-sam-cli wheel) and Lambda's
constraints: read-only root file system, only /tmp writable (tmpfs, 512 MB), a non-root
user, the memory of the function in template.yaml and the CPU share Lambda gives that
memory (one vCPU per 1,769 MB), host networking (the daemon has no
bridge; containers talk to loopback only). The environment is the one template.yaml gives
the function, with AWS pointed at a moto server on loopback.

Figures come from outside the container: cold start is `docker run` -> first response;
peak memory is read from the container's memory cgroup (sampled anonymous + shmem peak, and
the kernel's high-water mark, which also counts page cache).
"""

from __future__ import annotations

import glob
import json
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
FUNCTIONS = {
    "fetch": "FetchFunction",
    "monthly": "MonthlyFunction",
    "worker": "WorkerFunction",
    "api": "ApiFunction",
    "share": "ShareFunction",
}
#: Lambda's uid for functions (sbx_user1051), and a group that owns nothing in the image.
LAMBDA_USER = "993:990"
TMP_SIZE_MB = 512
#: Lambda gives CPU in proportion to memory: one vCPU at 1,769 MB.
MB_PER_VCPU = 1769


def lambda_cpus(memory_mb: int) -> str:
    return f"{memory_mb / MB_PER_VCPU:.2f}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


# ---------------------------------------------------------------- the template


def load_template() -> dict[str, Any]:
    decoded, matches = decode(str(TEMPLATE))
    assert not matches and decoded is not None, [str(m) for m in matches]
    return dict(decoded)


class TemplateValues:
    """Resolves the Refs, Subs and Ifs of template.yaml for one set of parameters and resources."""

    def __init__(self, template: dict[str, Any], refs: dict[str, str]) -> None:
        self.template = template
        self.refs = dict(refs)
        for name, param in template.get("Parameters", {}).items():
            self.refs.setdefault(name, str(param.get("Default", "")))

    def condition(self, name: str) -> bool:
        return bool(self.evaluate(self.template["Conditions"][name]))

    def evaluate(self, value: Any) -> Any:
        if isinstance(value, str | int | float | bool):
            return value
        if isinstance(value, list):
            return [self.evaluate(v) for v in value]
        (key, arg), *_ = value.items()
        if key == "Ref":
            return None if arg == "AWS::NoValue" else self.refs[arg]
        if key == "Fn::Sub":
            text = arg if isinstance(arg, str) else arg[0]
            for name, resolved in self.refs.items():
                text = text.replace("${" + name + "}", resolved)
            assert "${" not in text, text
            return text
        if key == "Fn::If":
            name, when_true, when_false = arg
            return self.evaluate(when_true if self.condition(name) else when_false)
        if key == "Fn::Equals":
            left, right = (self.evaluate(a) for a in arg)
            return left == right
        if key == "Fn::Not":
            return not self.evaluate(arg[0])
        if key == "Condition":
            return self.condition(arg)
        raise NotImplementedError(key)


@dataclass
class FunctionSpec:
    name: str
    command: str
    memory_mb: int
    timeout_s: int
    environment: dict[str, str]


def function_spec(values: TemplateValues, name: str) -> FunctionSpec:
    globals_ = values.template["Globals"]["Function"]
    props = values.template["Resources"][FUNCTIONS[name]]["Properties"]
    env: dict[str, str] = {}
    for variables in (
        globals_.get("Environment", {}).get("Variables", {}),
        props.get("Environment", {}).get("Variables", {}),
    ):
        for key, raw in variables.items():
            resolved = values.evaluate(raw)
            if resolved is not None:
                env[key] = str(resolved)
    (command,) = props["ImageConfig"]["Command"]
    return FunctionSpec(
        name=name,
        command=command,
        memory_mb=int(props.get("MemorySize", globals_["MemorySize"])),
        timeout_s=int(props.get("Timeout", globals_["Timeout"])),
        environment=env,
    )


# ---------------------------------------------------------------- memory of a container


def cgroup_dir(container_id: str) -> tuple[str, str]:
    """The memory cgroup directory of a container and its version ("1" or "2")."""
    for pattern, version in (
        (f"/sys/fs/cgroup/memory/docker/{container_id}", "1"),
        (f"/sys/fs/cgroup/memory/system.slice/docker-{container_id}.scope", "1"),
        (f"/sys/fs/cgroup/system.slice/docker-{container_id}.scope", "2"),
        (f"/sys/fs/cgroup/docker/{container_id}", "2"),
        (f"/sys/fs/cgroup/**/*{container_id}*", "?"),
    ):
        for found in glob.glob(pattern, recursive=True):
            if version == "?":
                version = "2" if Path(found, "memory.current").exists() else "1"
            if Path(found, "memory.current" if version == "2" else "memory.usage_in_bytes").exists():
                return found, version
    raise FileNotFoundError(f"no memory cgroup for container {container_id}")


class MemoryWatch:
    """Samples a container's memory cgroup every 20 ms while it lives."""

    def __init__(self, container_id: str) -> None:
        self.path, self.version = cgroup_dir(container_id)
        self.peak_anon = 0
        self.peak_shmem = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _stat(self) -> dict[str, int]:
        lines = Path(self.path, "memory.stat").read_text().split("\n")
        return {k: int(v) for k, v in (line.split() for line in lines if line)}

    def sample(self) -> tuple[int, int]:
        """(anonymous pages + shmem, shmem): process memory without the page cache, and the
        shmem part alone (the tmpfs /tmp, which Lambda counts as ephemeral storage instead)."""
        stat = self._stat()
        if self.version == "2":
            anon, shmem = stat.get("anon", 0), stat.get("shmem", 0)
        else:
            anon, shmem = (
                stat.get("total_rss", stat.get("rss", 0)),
                stat.get("total_shmem", stat.get("shmem", 0)),
            )
        return anon + shmem, shmem

    def high_water_mark(self) -> int:
        """The kernel's peak usage, page cache included (file pages of the image read at start)."""
        name = "memory.peak" if self.version == "2" else "memory.max_usage_in_bytes"
        return int(Path(self.path, name).read_text())

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                anon, shmem = self.sample()
                self.peak_anon, self.peak_shmem = max(self.peak_anon, anon), max(self.peak_shmem, shmem)
            except (OSError, ValueError):
                return
            self._stop.wait(0.02)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)


# ---------------------------------------------------------------- a function in a container


@dataclass
class Invocation:
    seconds: float
    payload: Any


@dataclass
class LambdaContainer:
    """One function of the image, started by `start()`, invoked like Lambda invokes it."""

    image: str
    spec: FunctionSpec
    rie: Path
    extra_env: dict[str, str]
    port: int = field(default_factory=free_port)
    container_id: str = ""
    started_at: float = 0.0
    invocations: list[Invocation] = field(default_factory=list)
    cold_start_s: float | None = None
    memory: MemoryWatch | None = None
    peak_high_water: int = 0

    def start(self) -> None:
        env = {
            **self.spec.environment,
            **self.extra_env,
            "AWS_LAMBDA_FUNCTION_NAME": f"community-pulse-{self.spec.name}",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.spec.memory_mb),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(self.spec.timeout_s),
        }
        command = [
            "docker", "run", "--detach",
            "--name", f"pulse-image-test-{self.spec.name}-{self.port}",
            "--network", "host",
            "--read-only",
            "--tmpfs", f"/tmp:rw,nosuid,nodev,exec,size={TMP_SIZE_MB}m,mode=1777",
            "--user", LAMBDA_USER,
            "--memory", f"{self.spec.memory_mb}m",
            "--memory-swap", f"{self.spec.memory_mb}m",
            "--cpus", lambda_cpus(self.spec.memory_mb),
            "--volume", f"{self.rie}:/usr/local/bin/aws-lambda-rie:ro",
            "--entrypoint", "/usr/local/bin/aws-lambda-rie",
        ]  # fmt: skip
        for key, value in sorted(env.items()):
            command += ["--env", f"{key}={value}"]
        command += [
            self.image,
            "--runtime-interface-emulator-address", f"127.0.0.1:{self.port}",
            "--runtime-api-address", f"127.0.0.1:{free_port()}",
            "python", "-m", "awslambdaric", self.spec.command,
        ]  # fmt: skip
        self.started_at = time.monotonic()
        run = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
        assert run.returncode == 0, run.stderr
        self.container_id = run.stdout.strip()
        self.memory = MemoryWatch(self.container_id)

    def invoke(self, event: Any) -> Any:
        """Invoke once; the first call also measures the cold start (docker run -> response)."""
        if not self.container_id:
            self.start()
        wait_for_port(self.port, timeout=60)
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/2015-03-31/functions/function/invocations",
            data=json.dumps(event).encode(),
            method="POST",
        )
        begin = time.monotonic()
        with urllib.request.urlopen(request, timeout=self.spec.timeout_s + 60) as response:
            body = response.read()
        end = time.monotonic()
        if self.cold_start_s is None:
            self.cold_start_s = end - self.started_at
        payload = json.loads(body) if body else None
        self.invocations.append(Invocation(end - begin, payload))
        if self.memory is not None:
            self.peak_high_water = max(self.peak_high_water, self.memory.high_water_mark())
        return payload

    def logs(self) -> str:
        run = subprocess.run(
            ["docker", "logs", self.container_id], capture_output=True, text=True, check=False, timeout=60
        )
        return run.stdout + run.stderr

    def stop(self) -> None:
        if self.memory is not None:
            self.memory.stop()
        if self.container_id:
            subprocess.run(
                ["docker", "rm", "--force", self.container_id], capture_output=True, check=False, timeout=60
            )

    def figures(self) -> dict[str, Any]:
        warm = [i.seconds for i in self.invocations[1:]]
        return {
            "function": self.spec.name,
            "memory_size_mb": self.spec.memory_mb,
            "cpus": float(lambda_cpus(self.spec.memory_mb)),
            "timeout_s": self.spec.timeout_s,
            "invocations": len(self.invocations),
            "cold_start_s": round(self.cold_start_s or 0, 2),
            "first_invocation_s": round(self.invocations[0].seconds, 2) if self.invocations else None,
            "warm_s": [round(w, 2) for w in warm],
            "peak_memory_mb": round((self.memory.peak_anon if self.memory else 0) / 2**20),
            "peak_memory_with_page_cache_mb": round(self.peak_high_water / 2**20),
            "peak_tmp_mb": round((self.memory.peak_shmem if self.memory else 0) / 2**20),
        }


def http(url: str, *, method: str = "GET", follow: bool = True) -> tuple[int, dict[str, str], bytes]:
    """A plain HTTP call to loopback; redirects are not followed unless asked."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener() if follow else urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, method=method), timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()
