"""C children: one process per actor, forked from a zygote, driven over a socket.

The zygote is the build's executable, started once per (build, Python process).
Asked to spawn, it forks a child and hands back the child's end of a fresh
SOCK_SEQPACKET socket (SCM_RIGHTS) with its pid.  The child runs one context
and, at every shim primitive, sends a request and blocks for the response.

Isolation: every receive has a wall-clock watchdog; a child that sends nothing
within `timeout` seconds (a loop with no scheduling point) is killed and the
caller gets `ChildTimeout`.  A child that dies without a word (exit(), SIGKILL)
gives `ChildGone`.  Fatal signals are reported by the child itself as a CRASH
request (cshim/runtime/core.c).  Children die with the zygote, and the zygote with
this process (PR_SET_PDEATHSIG); the zygote ignores SIGCHLD, so the kernel reaps.

At most `MAX_LIVE` children are kept alive at once; the least recently used one
is killed when a new one is needed (its owner re-creates it by replay if it
needs it again, see cshim/variant.py).
"""
from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import weakref
from collections import OrderedDict

from . import proto

MAX_LIVE = 24


class ChildTimeout(Exception):
    pass


class ChildGone(Exception):
    pass


class Child:
    __slots__ = ("sock", "pid", "timeout", "alive", "owner", "__weakref__")

    def __init__(self, sock, pid, timeout, owner=None):
        self.sock, self.pid, self.timeout, self.alive, self.owner = sock, pid, timeout, True, owner
        sock.settimeout(timeout)

    def recv(self) -> proto.Req:
        try:
            data = self.sock.recv(1 << 16)
        except (socket.timeout, TimeoutError):
            self.kill()
            raise ChildTimeout() from None
        except OSError:
            data = b""
        if not data:
            self.kill()
            raise ChildGone()
        return proto.Req(data)

    def send(self, value: int):
        try:
            self.sock.send(proto.RESP.pack(value))
        except OSError:
            self.kill()
            raise ChildGone() from None

    def kill(self):
        if self.alive:
            self.alive = False
            try:
                os.kill(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.sock.close()
            _LIVE.pop(id(self), None)


_LIVE: "OrderedDict[int, Child]" = OrderedDict()
_ZYGOTES: "weakref.WeakSet[Zygote]" = weakref.WeakSet()


def _after_fork_in_child():
    """A forked process (a matrix worker) inherits our children and zygotes: it must
    never signal them, only drop its copies of their sockets."""
    for c in list(_LIVE.values()):
        c.alive = False
        c.sock.close()
    _LIVE.clear()
    for z in list(_ZYGOTES):
        z.ctl.close()


os.register_at_fork(after_in_child=_after_fork_in_child)


def touch(child: Child):
    """Mark `child` most recently used."""
    if id(child) in _LIVE:
        _LIVE.move_to_end(id(child))


class Zygote:
    def __init__(self, exe: str, registry, timeout: float):
        self.exe, self.timeout = exe, timeout
        spec = ",".join(f"{k}:{a:x}" for _, k, a in registry) or "-"
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.proc = subprocess.Popen([exe, str(child.fileno()), spec], pass_fds=(child.fileno(),),
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        child.close()
        self.ctl = parent
        self.ctl.settimeout(30)
        self.pid = os.getpid()
        _ZYGOTES.add(self)
        atexit.register(self.close)

    def spawn(self, kind: str, cpu: int, ncpus: int, nzones: int, zone, force: bool,
              fn: int = 0, arg_kind: int = 0, arg: int = 0, payload: bytes = b"") -> Child:
        while len(_LIVE) >= MAX_LIVE:
            _, old = _LIVE.popitem(last=False)
            old.kill()
        msg = proto.SPAWN.pack(proto.SPAWN_KINDS[kind], cpu, ncpus, nzones, -1 if zone is None else zone,
                               int(force), arg_kind, 0, fn, arg) + payload
        try:
            self.ctl.send(msg)
            data, fds, _, _ = socket.recv_fds(self.ctl, 16, 1)
        except OSError as exc:
            raise ChildGone(f"the zygote {self.exe} did not answer: {exc}") from None
        if not fds:
            raise ChildGone(f"the zygote {self.exe} exited")
        pid = int.from_bytes(data[:4], "little", signed=True)
        c = Child(socket.socket(fileno=fds[0]), pid, self.timeout, self)
        _LIVE[id(c)] = c
        return c

    def close(self):
        """Kill this zygote's live children, then let it exit once they are gone
        (it waits for them, so no child outlives it as an orphan)."""
        if os.getpid() != self.pid:          # a forked copy of this object: not ours
            return
        for c in [c for c in _LIVE.values() if c.owner is self]:
            c.kill()
        try:
            self.ctl.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
