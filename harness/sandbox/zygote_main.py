# The sandbox's fork server (pool.h), run as the program of an isolated one-shot spawn. Compiled into
# the harness (zygote.cc embeds this file); argv: own_uid private_tmp (each "0" or "1").
#
# Protocol on fd 5, a SOCK_SEQPACKET socket to the harness:
#   harness -> zygote: a JSON job {cpu, memory, file_bytes, processes, open_files, wall} with four
#                      descriptors: code (memfd), stdin (memfd), stdout and stderr (pipe write ends);
#                      or {"stop": true} while a job runs (the harness saw enough output).
#   zygote -> harness: {"ready": true} once started, then {"status": wait status, "cpu_us",
#                      "maxrss_kb", "wall_killed", "wall"} per job.
# EOF on fd 5 ends the zygote.
# Only what the zygote needs, and the cheap forms of it: its start is most of a one-problem grading
# call, so the socket module (enum tables, selectors), shutil (bz2, lzma), traceback (tokenize,
# textwrap) and ctypes are not imported; _socket, a small tree removal, the interpreter's own
# exception display (what `python3 main.py` prints) and one C function through _ctypes stand in for
# them, about 5 ms of a ~30 ms start.
import _ctypes
import _socket
import array
import builtins
import gc
import json
import os
import resource
import select
import signal
import sys
import time
import types

# The modules LiveCodeBench's prelude imports, loaded once here so that children start warm.
import bisect, collections, copy, datetime, functools, heapq, io, itertools  # noqa: E401,F401
import math, operator, random, re, statistics, string, typing  # noqa: E401,F401

OWN_UID = sys.argv[1] == "1"        # every process of this uid but us belongs to the current job
PRIVATE_TMP = sys.argv[2] == "1"    # /tmp, /var/tmp, /dev/shm are this zygote's own tmpfs mounts
# A job's argv, as `python3 main.py` has it; set here, before any prelude binds it (`from sys import *`).
sys.argv = ["main.py"]
SCRATCH_ROOTS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")
# Each job's directory (and HOME): a name no other zygote uses where /tmp is shared.
JOB_DIR_PREFIX = "/tmp/job-" if PRIVATE_TMP else "/tmp/job-%s-" % os.urandom(8).hex()

class _CInt(_ctypes._SimpleCData):   # ctypes.c_int
    _type_ = "i"


class _CFunction(_ctypes.CFuncPtr):  # what ctypes.CDLL makes for a function: cdecl, int result
    _flags_ = _ctypes.FUNCFLAG_CDECL
    _restype_ = _CInt


class _Process:                      # the running program's own symbols, as ctypes.CDLL(None)
    _handle = _ctypes.dlopen(None, 0)


prctl = _CFunction(("prctl", _Process()))
if prctl(4, 0, 0, 0, 0) != 0 or prctl(36, 1, 0, 0, 0) != 0:
    # PR_SET_DUMPABLE 0: a job cannot open /proc/<zygote>/mem or its fds; PR_SET_CHILD_SUBREAPER: a
    # job's orphans are ours to reap. Without either the zygote must not serve.
    sys.exit("the fork server could not set its process attributes")
control = _socket.socket(_socket.AF_UNIX, _socket.SOCK_SEQPACKET, 0, 5)
os.chdir("/")


def remove_tree(path):
    """Removes a directory and everything under it, following no symbolic link; what cannot be
    removed stays (as shutil.rmtree with ignore_errors). The job's processes are dead by now. An
    explicit stack, not recursion: a job may nest directories deeper than the recursion limit."""
    pending = [(path, False)]   # (directory, its entries already handled)
    while pending:
        directory, emptied = pending.pop()
        if emptied:
            try:
                os.rmdir(directory)
            except OSError:
                pass
            continue
        pending.append((directory, True))
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    pending.append((entry.path, False))
                else:
                    os.unlink(entry.path)
            except OSError:
                pass


def recv_fds(sock, size, max_fds):
    """A message and the descriptors passed with it (socket.recv_fds without the socket module)."""
    fds = array.array("i")
    message, ancillary, _, _ = sock.recvmsg(size, _socket.CMSG_LEN(max_fds * fds.itemsize))
    for level, kind, data in ancillary:
        if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
            fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
    return message, list(fds)


def wipe_scratch(job_dir):
    """Removes what a job left in the scratch file systems (only the zygote's private ones)."""
    if not PRIVATE_TMP:
        remove_tree(job_dir)
        return
    for root in SCRATCH_ROOTS:
        try:
            entries = os.listdir(root)
        except OSError:
            continue
        for name in entries:
            path = os.path.join(root, name)
            if os.path.isdir(path) and not os.path.islink(path):
                remove_tree(path)
            else:
                try:
                    os.unlink(path)
                except OSError:
                    pass


def signal_job_tree(pid):
    """SIGKILL to every process the job started, however it detached (with our own uid)."""
    try:
        if OWN_UID:
            os.kill(-1, signal.SIGKILL)   # every process of our uid except ourselves
        else:
            os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass


def kill_job_tree(pid):
    """Kills and reaps every process the job started."""
    while True:
        signal_job_tree(pid)
        try:
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            return
        time.sleep(0.001)


def read_all(fd):
    size = os.fstat(fd).st_size
    data = os.pread(fd, size, 0) if size else b""
    while True:   # a memfd does not grow, but read to EOF all the same
        chunk = os.pread(fd, 1 << 16, len(data))
        if not chunk:
            return data
        data += chunk


def prepare_job(code_fd, job_dir):
    """The job's directory, main.py and HOME, made here before the fork: the child then need not
    write to memory it shares with the zygote (every such write copies a page)."""
    code = read_all(code_fd)
    os.mkdir(job_dir, 0o700)
    fd = os.open(job_dir + "/main.py", os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        view = memoryview(code)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)
    os.environ["HOME"] = job_dir
    return code


# Preludes (pool.h): lines `import m` or `from m import *` of modules loaded here; anything else is
# declined (the job's code then builds its namespace itself).
PRELUDE_LINE = re.compile(r"(?:from ([A-Za-z_][\w.]*) import \*|import ([A-Za-z_][\w.]*))")
preludes = {}   # (imports, module) -> the namespace, or None when declined


def build_prelude(imports, module):
    """The namespace of a prelude, or None. Executing it must leave the zygote as it was, so every
    module it names must be loaded already, with each name of its __all__ present (`import *` of a
    package imports the submodules its __all__ names)."""
    for line in imports.splitlines():
        match = PRELUDE_LINE.fullmatch(line)
        if match is None:
            return None
        loaded = sys.modules.get(match.group(1) or match.group(2))
        if loaded is None:
            return None
        if match.group(1) and not all(name in vars(loaded) for name in getattr(loaded, "__all__", ())):
            return None
    if module:
        namespace = types.ModuleType(module, "")
        names = namespace.__dict__
    else:
        namespace = names = {"__name__": "__main__", "__builtins__": builtins}
    try:
        exec(compile(imports, "<solution>", "exec"), names)
    except Exception:
        return None
    return namespace


def prelude_for(job):
    spec = job.get("prelude")
    if not spec:
        return None
    key = (spec["imports"], spec["module"])
    if key not in preludes:
        preludes[key] = build_prelude(*key)
    return preludes[key]


def run_child(job, code, fds, job_dir, prelude):
    _, stdin_fd, stdout_fd, stderr_fd = fds
    exit_code = 1
    try:
        os.setpgid(0, 0)
        os.dup2(stdin_fd, 0)
        os.dup2(stdout_fd, 1)
        os.dup2(stderr_fd, 2)
        os.closerange(3, 1 << 16)
        os.chdir(job_dir)
        cpu = max(1, int(-(-job["cpu"] // 1)))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_AS, (job["memory"], job["memory"]))
        resource.setrlimit(resource.RLIMIT_FSIZE, (job["file_bytes"], job["file_bytes"]))
        resource.setrlimit(resource.RLIMIT_NPROC, (job["processes"], job["processes"]))
        resource.setrlimit(resource.RLIMIT_NOFILE, (job["open_files"], job["open_files"]))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        sys.path[0] = job_dir
        main = types.ModuleType("__main__")
        main.__file__ = "main.py"
        main.__builtins__ = builtins
        if prelude is not None:
            setattr(main, job["prelude"]["global"], prelude)
        sys.modules["__main__"] = main
        source = compile(code, "main.py", "exec")
        exec(source, main.__dict__)
        exit_code = 0
    except SystemExit as e:
        if e.code is None:
            exit_code = 0
        elif isinstance(e.code, int):
            exit_code = e.code & 0xFF
        else:
            try:
                print(e.code, file=sys.stderr)
            except BaseException:
                pass
            exit_code = 1
    except BaseException as error:
        try:
            # What `python3 main.py` prints (the one-shot path): the job's frames only. The fork server's
            # own frames (this file, under a run directory with a random name) would make the text differ
            # from run to run, and a model reading a tool's output would see it.
            tb = error.__traceback__
            while tb is not None and tb.tb_frame.f_code.co_filename != "main.py":
                tb = tb.tb_next
            sys.__excepthook__(type(error), error.with_traceback(tb), tb)
        except BaseException:
            pass
        exit_code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            exit_code = exit_code or 120   # as the interpreter does when flushing stdout fails
    os._exit(exit_code)


def serve():
    jobs = 0
    while True:
        try:
            message, fds = recv_fds(control, 1 << 16, 4)
        except OSError:
            return
        if not message:
            return
        if len(fds) != 4:
            for fd in fds:
                os.close(fd)
            continue
        job = json.loads(message)
        jobs += 1
        job_dir = JOB_DIR_PREFIX + str(jobs)
        start = time.monotonic()
        try:
            code = prepare_job(fds[0], job_dir)
        except OSError as error:
            code = None
            failure = "the fork server could not prepare the run: %s" % error
        prelude = prelude_for(job)
        # Everything alive now is left out of the child's garbage collections: a collection walks every
        # tracked object and writes its header, which copies nearly every page of the heap after a fork
        # (CPython's documented use of gc.freeze). The job's own objects are collected as usual.
        gc.freeze()
        pid = os.fork()
        if pid == 0:
            control.close()
            if code is None:
                os.write(fds[3], failure.encode() + b"\n")
                os._exit(1)
            run_child(job, code, fds, job_dir, prelude)
        for fd in fds:
            os.close(fd)
        pidfd = os.pidfd_open(pid)
        deadline = start + job["wall"]
        wall_killed = False
        status, usage = None, None
        while status is None:
            left = deadline - time.monotonic()
            if left <= 0 and not wall_killed:
                wall_killed = True
                signal_job_tree(pid)
            ready, _, _ = select.select([pidfd, control], [], [], max(left, 0.05))
            if control in ready:
                request = control.recv(1 << 16)
                if not request:
                    kill_job_tree(pid)
                    return
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            if pidfd in ready or wall_killed:
                try:
                    waited, wait_status, usage = os.wait4(pid, os.WNOHANG)
                except ChildProcessError:
                    waited = 0
                if waited == pid:
                    status = wait_status
        os.close(pidfd)
        kill_job_tree(pid)
        report = {
            "status": status,
            "cpu_us": int((usage.ru_utime + usage.ru_stime) * 1e6),
            "maxrss_kb": usage.ru_maxrss,
            "wall_killed": wall_killed,
            "wall": time.monotonic() - start,
        }
        control.send(json.dumps(report).encode())
        # After the report, while the harness reads it: the next job is received (and forked) only once
        # the scratch file systems are empty again.
        wipe_scratch(job_dir)


def warm_up():
    """Runs once what every child runs (the compiler, a module, the file calls), here: what they
    initialise lazily is then built in the zygote's memory instead of again in every child (the
    compiler's first use alone cost a child about 0.8 ms)."""
    job_dir = JOB_DIR_PREFIX + "0"
    code_fd = os.memfd_create("warm-up", os.MFD_CLOEXEC)
    try:
        os.write(code_fd, b"import sys\nvalues = [i * i for i in range(3)]\n")
        code = prepare_job(code_fd, job_dir)
    finally:
        os.close(code_fd)
    main = types.ModuleType("__main__")
    main.__builtins__ = builtins
    exec(compile(code, "main.py", "exec"), main.__dict__)
    wipe_scratch(job_dir)


warm_up()
control.send(b'{"ready": true}')  # the harness falls back to one-shot runs until this arrives
serve()
