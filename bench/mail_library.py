"""What building and sending e-mails costs on library code (#21), against the code it replaced.

Run from the project root: `.venv/bin/python bench/mail_library.py [--messages 2000] [--rounds 3]`.
Needs git (the replaced code is read from `git show <rev>:...`, default HEAD) and nothing else.

"before" is the mailer and the mail catcher of <rev> (a hand-written MIME writer, pipelined SMTP
commands, a catcher on asyncio.Protocol); "after" is the working tree (email.message.EmailMessage,
smtplib's sendmail, aiosmtpd). For each mailer, N rendered e-mails (rows as the sender reads them,
link token included) are:

1. built: `build_message(row)` for each, timed (wall and this process's CPU);
2. sent: `deliver(client, address, message)` for each over one reused `open_smtp()` connection,
   to a catcher running as its own process on a free port; timed (wall, this process's CPU, and
   the catcher's CPU from /proc), then the files it wrote are counted.

Sending is run against both catchers with both mailers, so that the client's and the server's
shares can be told apart. Each round runs every phase (the order alternates between rounds);
medians over --rounds are reported.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `services` importable from a checkout
    sys.path.insert(0, str(ROOT))

from services.notifier import mailer
from services.notifier.domain import EmailKind

TICK = os.sysconf("SC_CLK_TCK")


def from_git(rev: str, path: str, into: Path) -> Path:
    target = into / f"{Path(path).stem}_{rev.replace('/', '_')}.py"
    target.write_bytes(subprocess.run(["git", "show", f"{rev}:{path}"], cwd=ROOT, check=True,
                                      capture_output=True).stdout)
    return target


def load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rows(n: int) -> list[SimpleNamespace]:
    """N queued e-mails as the sender reads them: rendered bodies, the link token set aside."""
    out = []
    for i in range(n):
        context = {"name": f"Agent n°{i}", "title": f"Accueil à la CAF de Lyon, guichet {i % 7}",
                   "link": f"https://spp.example/agent/experiences/{uuid.uuid4()}?token={uuid.uuid4().hex}"}
        secret = mailer.set_secret_aside(context)
        subject, text, html = mailer.render(EmailKind.TO_PROCESS, **context)
        out.append(SimpleNamespace(id=str(uuid.uuid4()), address=f"agent{i}@example.fr",
                                   kind=str(EmailKind.TO_PROCESS), subject=subject,
                                   body_text=text, body_html=html, secret=secret))
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


class Catcher:
    """A mail catcher in its own process, on a free port, writing into a fresh folder."""

    def __init__(self, argv: list[str], work: Path):
        self.folder = Path(tempfile.mkdtemp(dir=work))
        self.port = free_port()
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        self.proc = subprocess.Popen([sys.executable, *argv, "--port", str(self.port),
                                      "--dir", str(self.folder)], cwd=ROOT, env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(100).startswith(b"220"):
                        return
            except OSError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"{argv} did not start")
            time.sleep(0.1)

    def stored(self) -> int:
        return len(list(self.folder.glob("*.eml")))

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        shutil.rmtree(self.folder, ignore_errors=True)


def build(module, emails) -> tuple[list[bytes], float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    messages = [module.build_message(e) for e in emails]
    return messages, time.perf_counter() - wall, time.process_time() - cpu


def send(module, catcher: Catcher, emails, messages) -> tuple[float, float, float]:
    client = module.open_smtp(f"smtp://127.0.0.1:{catcher.port}")
    try:
        server_cpu = cpu_of(catcher.proc.pid)
        wall, cpu = time.perf_counter(), time.process_time()
        for email, message in zip(emails, messages, strict=True):
            module.deliver(client, email.address, message)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        server_cpu = cpu_of(catcher.proc.pid) - server_cpu
    finally:
        client.quit()
    if (got := catcher.stored()) != len(emails):
        raise RuntimeError(f"the catcher stored {got} messages of {len(emails)}")
    return wall, cpu, server_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rev", default="HEAD", help="the replaced code's revision")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="spp-mail-bench-"))
    try:
        mailers = {"before": load(from_git(args.rev, "services/notifier/mailer.py", work), "mailer_before"),
                   "after": mailer}
        catchers = {"before": [str(from_git(args.rev, "services/chassis/mailcatcher.py", work))],
                    "after": ["-m", "services.chassis.mailcatcher"]}
        emails = rows(args.messages)
        for m in mailers.values():  # warm-up: imports, template and policy caches
            m.build_message(emails[0])
        built: dict[str, list] = {k: [] for k in mailers}
        sent: dict[tuple[str, str], list] = {(m, c): [] for m in mailers for c in catchers}
        for r in range(args.rounds):
            order = list(mailers) if r % 2 == 0 else list(reversed(mailers))
            messages = {}
            for name in order:
                messages[name], wall, cpu = build(mailers[name], emails)
                built[name].append((wall, cpu))
            for catcher_name in (catchers if r % 2 == 0 else reversed(list(catchers))):
                for name in order:
                    catcher = Catcher(catchers[catcher_name], work)
                    try:
                        sent[name, catcher_name].append(
                            send(mailers[name], catcher, emails, messages[name]))
                    finally:
                        catcher.close()
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    n = args.messages
    print(f"{n} messages, {args.rounds} rounds (medians); {os.cpu_count()} CPUs, Python "
          f"{sys.version.split()[0]}")
    print("\nbuild_message                    msg/s   µs/msg wall   µs/msg CPU   bytes/msg")
    for name in mailers:
        wall = statistics.median(w for w, _ in built[name])
        cpu = statistics.median(c for _, c in built[name])
        size = statistics.mean(len(mailers[name].build_message(e)) for e in emails[:50])
        print(f"  {name:<28} {n / wall:8.0f} {wall / n * 1e6:12.0f} {cpu / n * 1e6:12.0f} {size:11.0f}")
    print("\ndeliver (one connection)         msg/s   µs/msg wall   client CPU µs   catcher CPU µs")
    for (name, catcher_name), runs in sent.items():
        wall = statistics.median(x[0] for x in runs)
        cpu = statistics.median(x[1] for x in runs)
        server = statistics.median(x[2] for x in runs)
        label = f"{name} mailer, {catcher_name} catcher"
        print(f"  {label:<30} {n / wall:6.0f} {wall / n * 1e6:12.0f} {cpu / n * 1e6:14.0f} "
              f"{server / n * 1e6:15.0f}")


if __name__ == "__main__":
    main()
