"""Detached processes with pid files: start, ask to stop, kill -9 (whole process group), check.

Every process starts in its own session (its pid is its process-group id), so it survives the command
that started it and `kill -9 -- -pgid` takes its helpers down with it. Pid files live in <state>/pids,
logs in <state>/logs/<name>.log.
"""
import os
import pwd
import signal
import socket
import subprocess
import time


def run_as():
    """pg_autoctl refuses root: as root, PostgreSQL pieces run as `postgres`."""
    return "postgres" if os.geteuid() == 0 else None


def chown_for(path, user):
    if user:
        pw = pwd.getpwnam(user)
        os.chown(path, pw.pw_uid, pw.pw_gid)


class Processes:
    def __init__(self, state):
        self.pids = os.path.join(state, "pids")
        self.logs = os.path.join(state, "logs")
        os.makedirs(self.pids, exist_ok=True)
        os.makedirs(self.logs, exist_ok=True)

    def log_path(self, name):
        return os.path.join(self.logs, f"{name}.log")

    def pid(self, name):
        try:
            with open(os.path.join(self.pids, f"{name}.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def start(self, name, argv, env=None, user=None, cwd=None):
        """Starts `argv` detached; returns its pid. Refuses to start a second copy."""
        if self.alive(name):
            return self.pid(name)
        log = open(self.log_path(name), "ab")
        kwargs = {}
        if user:
            pw = pwd.getpwnam(user)
            kwargs.update(user=pw.pw_uid, group=pw.pw_gid, extra_groups=[])
            env = dict(env or os.environ, HOME=pw.pw_dir, USER=user, LOGNAME=user)
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, **kwargs)
        log.close()
        with open(os.path.join(self.pids, f"{name}.pid"), "w") as f:
            f.write(str(proc.pid))
        return proc.pid

    def alive(self, name):
        return pid_alive(self.pid(name))

    def signal(self, name, sig):
        """Signals the whole process group of `name`; False when it was not running."""
        pid = self.pid(name)
        if not pid_alive(pid):
            return False
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return False
        return True

    def kill(self, name):
        """kill -9 of `name` and everything in its process group (a crash, not a shutdown)."""
        return self.signal(name, signal.SIGKILL)

    def stop(self, name, timeout=20.0):
        """SIGTERM (graceful shutdown), then SIGKILL after `timeout` seconds."""
        if not self.signal(name, signal.SIGTERM):
            return
        if not wait_for(lambda: not self.alive(name), timeout):
            self.kill(name)
            wait_for(lambda: not self.alive(name), 5)


def pid_alive(pid):
    if not pid:
        return False
    try:
        # Reap it if it is our own child that already exited (the test harness starts processes too).
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def children(pid):
    """Direct children of `pid` (PostgreSQL backends run in sessions of their own)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    return out


def kill_tree(pid):
    """kill -9 of `pid`, its process group and its children's groups."""
    kids = children(pid)
    for target in [pid] + kids:
        for fn in (os.killpg, os.kill):
            try:
                fn(target, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def port_open(port, host="127.0.0.1"):
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def wait_for(condition, timeout, interval=0.2):
    """Polls `condition` until true or `timeout` seconds pass; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)
