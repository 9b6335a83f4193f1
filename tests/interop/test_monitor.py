"""Scaler 1.9.9's own monitoring tools against a plexus scheduler: its deserializer reads every
frame of plexus's monitor stream, and `scaler_top` (run under a pseudo-terminal) shows the
scheduler's workers and task counts."""

import fcntl
import operator
import os
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import termios
import time

import zmq
from scaler import Client
from scaler.io.utility import deserialize
from scaler.protocol.python.common import TaskStatus
from scaler.protocol.python.message import StateScheduler, StateTask, StateWorker

from conftest import PlexusScheduler, ScalerWorkers, wait_until

SCALER_TOP = os.path.join(os.path.dirname(sys.executable), "scaler_top")
DEADLINE = 60  # seconds: generous, the machine may be loaded


def start_scheduler(tmp_path, processes):
    """A plexus scheduler publishing its monitor stream on a free port; returns it and the
    monitor's address. The port is found free just before; another binding it first is unlikely,
    and then the scheduler is started again on another one."""
    for attempt in range(3):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        address = f"tcp://127.0.0.1:{port}"
        try:
            scheduler = PlexusScheduler(tmp_path, extra=f"  monitor: {{address: '{address}'}}\n")
        except RuntimeError:
            if attempt == 2:
                raise
            continue
        processes.append(scheduler)
        return scheduler, address


class Subscriber:
    """A SUB socket on the monitor address, as scaler_top has, keeping every message decoded by
    Scaler's own deserializer."""

    def __init__(self, address):
        self.context = zmq.Context()
        self.socket = self.context.socket(zmq.SUB)
        self.socket.setsockopt(zmq.RCVHWM, 0)
        self.socket.subscribe(b"")
        self.socket.connect(address)
        self.messages = []

    def close(self):
        self.socket.close(linger=0)
        self.context.term()

    def wait_for(self, condition, what, timeout=DEADLINE):
        """Reads until a message satisfies `condition` and returns it."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
            if not self.socket.poll(int(left * 1000)):
                continue
            frames = self.socket.recv_multipart()
            assert len(frames) == 1, "a monitor message is one frame"
            message = deserialize(frames[0])
            assert message is not None, f"Scaler cannot decode {frames[0]!r}"
            self.messages.append(message)
            if condition(message):
                return message

    def state(self, condition, what):
        return self.wait_for(lambda m: isinstance(m, StateScheduler) and condition(m), what)

    def of_type(self, kind):
        return [m for m in self.messages if isinstance(m, kind)]


def test_scaler_deserializes_every_monitor_message(tmp_path, processes):
    scheduler, monitor_address = start_scheduler(tmp_path, processes)
    monitor = Subscriber(monitor_address)
    try:
        # The first state proves the subscription is in place: nothing after it is missed.
        monitor.state(lambda s: True, "a first StateScheduler")
        workers = ScalerWorkers(tmp_path, scheduler.address, count=2)
        processes.append(workers)
        connected = set()

        def two_connected(message):
            if isinstance(message, StateWorker) and message.message == b"connected":
                connected.add(message.worker_id)
            return len(connected) == 2

        monitor.wait_for(two_connected, "two workers connected")
        state = monitor.state(lambda s: len(s.worker_manager.workers) == 2, "two workers listed")
        assert {w.worker_id for w in state.worker_manager.workers} == connected
        for worker in state.worker_manager.workers:
            assert worker.free + worker.sent == 1000  # Scaler's per-worker queue
            assert worker.processor_statuses, "the stock worker's processors, from its heartbeat"

        with Client(address=scheduler.address) as client:
            assert client.map(operator.mul, [(i, 3) for i in range(20)]) == [3 * i for i in range(20)]
            state = monitor.state(lambda s: s.task_manager.success == 20, "20 tasks done")
            assert state.task_manager.running == 0 and state.task_manager.unassigned == 0
            assert state.task_manager.failed == 0
            assert client.identity in state.client_manager.client_to_num_of_tasks
            assert state.object_manager.number_of_objects > 0  # the function, the arguments
            assert state.binder.received["ClientHeartbeat"] >= 1
            assert state.binder.sent["Task"] >= 20
            assert state.scheduler.rss > 0 and state.rss_free > 0

        ended = {m.task_id: m for m in monitor.of_type(StateTask) if m.status == TaskStatus.Success}
        assert len(ended) == 20
        for task in ended.values():
            assert task.function_name == b"mul"
            assert task.worker in connected
        running = {m.task_id for m in monitor.of_type(StateTask) if m.status == TaskStatus.Running}
        assert running == set(ended)

        # Ctrl-C to scaler_cluster: it passes SIGINT on, and each worker says it is leaving.
        os.kill(workers.popen.pid, signal.SIGINT)
        gone = set()

        def both_gone(message):
            if isinstance(message, StateWorker) and message.message == b"disconnected":
                gone.add(message.worker_id)
            return gone == connected

        monitor.wait_for(both_gone, "both workers disconnected")
        monitor.state(lambda s: not s.worker_manager.workers, "no workers listed")
    finally:
        monitor.close()


class Screen:
    """Just enough of an xterm to follow what curses draws: text, CR/LF/BS, and the CSI cursor
    movement and erase sequences ncurses emits; everything else is skipped."""

    CSI = re.compile(rb"\x1b\[([?>=!]?)([0-9;]*)[ -/]*([@-~])")

    def __init__(self, rows, cols):
        self.rows, self.cols = rows, cols
        self.cells = [[" "] * cols for _ in range(rows)]
        self.row = self.col = 0
        self.last = " "
        self.pending = b""

    def lines(self):
        return ["".join(row).rstrip() for row in self.cells]

    def text(self):
        return "\n".join(self.lines())

    def feed(self, data):
        data, self.pending = self.pending + data, b""
        i = 0
        while i < len(data):
            byte = data[i]
            if byte == 0x1B:
                skip = self._escape(data, i)
                if skip is None:  # incomplete: wait for the rest
                    self.pending = data[i:]
                    return
                i += skip
                continue
            if byte == 0x0D:
                self.col = 0
            elif byte == 0x0A:
                self.row = min(self.row + 1, self.rows - 1)
            elif byte == 0x08:
                self.col = max(self.col - 1, 0)
            elif byte >= 0x20:
                self._put(chr(byte))
            i += 1

    def _put(self, char):
        if self.col < self.cols:
            self.cells[self.row][self.col] = char
        self.col = min(self.col + 1, self.cols)
        self.last = char

    def _escape(self, data, i):
        if i + 1 >= len(data):
            return None
        kind = data[i + 1]
        if kind == ord("["):
            match = self.CSI.match(data, i)
            if match is None:
                return None if len(data) - i < 32 else 2
            self._csi(match.group(1), match.group(2), chr(match.group(3)[0]))
            return match.end() - i
        if kind == ord("]"):  # OSC: up to BEL or ST
            end = data.find(b"\x07", i)
            return None if end < 0 else end + 1 - i
        if kind in b"()*+":  # charset selection
            return None if i + 2 >= len(data) else 3
        return 2  # ESC =, ESC >, ESC 7, ESC 8, ...

    def _csi(self, private, params, final):
        if private:
            return  # modes (?1049h and the like)
        values = [int(p) if p else 0 for p in params.split(b";")] if params else []

        def arg(index, default=1):
            return values[index] if index < len(values) and values[index] else default

        if final in "Hf":
            self.row = min(arg(0) - 1, self.rows - 1)
            self.col = min(arg(1) - 1, self.cols - 1)
        elif final == "A":
            self.row = max(self.row - arg(0), 0)
        elif final in "Be":
            self.row = min(self.row + arg(0), self.rows - 1)
        elif final in "Ca":
            self.col = min(self.col + arg(0), self.cols - 1)
        elif final == "D":
            self.col = max(self.col - arg(0), 0)
        elif final in "G`":
            self.col = min(arg(0) - 1, self.cols - 1)
        elif final == "d":
            self.row = min(arg(0) - 1, self.rows - 1)
        elif final == "J":
            mode = arg(0, 0)
            if mode == 0:
                self.cells[self.row][self.col:] = [" "] * (self.cols - self.col)
                for row in range(self.row + 1, self.rows):
                    self.cells[row] = [" "] * self.cols
            elif mode in (2, 3):
                self.cells = [[" "] * self.cols for _ in range(self.rows)]
        elif final == "K":
            mode = arg(0, 0)
            line = self.cells[self.row]
            if mode == 0:
                line[self.col:] = [" "] * (self.cols - self.col)
            elif mode == 1:
                line[: self.col + 1] = [" "] * (self.col + 1)
            else:
                line[:] = [" "] * self.cols
        elif final == "X":
            for col in range(self.col, min(self.col + arg(0), self.cols)):
                self.cells[self.row][col] = " "
        elif final == "b":  # repeat the last character
            for _ in range(arg(0)):
                self._put(self.last)
        # m (colours), r (scroll region), t (window ops), h/l: nothing to draw


def run_scaler_top(address, until, what, rows=50, cols=220):
    """Runs scaler_top on `address` under a pseudo-terminal of rows x cols until `until(screen)`
    holds, then stops it with Ctrl-C as a user would. Returns the screen's text at that moment."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    env = dict(os.environ, TERM="xterm", LINES=str(rows), COLUMNS=str(cols))
    top = subprocess.Popen([SCALER_TOP, address], stdin=slave, stdout=slave, stderr=slave, env=env,
                           start_new_session=True)
    os.close(slave)
    screen = Screen(rows, cols)

    def read(timeout):
        if select.select([master], [], [], timeout)[0]:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the terminal's other side is closed
                return False
            screen.feed(chunk)
            return bool(chunk)
        return True

    try:
        deadline = time.monotonic() + DEADLINE
        while not until(screen):
            assert top.poll() is None, f"scaler_top exited ({top.returncode}):\n{screen.text()}"
            assert time.monotonic() < deadline, f"timed out waiting for {what}:\n{screen.text()}"
            read(0.1)
        shown = screen.text()
        top.send_signal(signal.SIGINT)  # scaler_top's way out: Ctrl-C
        wait_until(lambda: not read(0.1) or top.poll() is not None, 30, "scaler_top to exit")
        assert top.wait(30) == 0, screen.text()
        return shown
    finally:
        if top.poll() is None:
            top.kill()
            top.wait()
        os.close(master)


def test_scaler_top_shows_the_plexus_scheduler(tmp_path, processes):
    scheduler, monitor_address = start_scheduler(tmp_path, processes)
    processes.append(ScalerWorkers(tmp_path, scheduler.address, count=2))
    monitor = Subscriber(monitor_address)
    try:
        state = monitor.state(lambda s: len(s.worker_manager.workers) == 2, "two workers")
        worker_names = [w.worker_id.decode() for w in state.worker_manager.workers]
    finally:
        monitor.close()
    with Client(address=scheduler.address) as client:
        assert client.map(operator.mul, [(i, 2) for i in range(30)]) == [2 * i for i in range(30)]

    def shows_the_cluster(screen):
        text = screen.text()
        # scaler_top cuts worker names to 24 characters (and marks the cut with "+").
        return ("Total 2 worker(s)" in text
                and all(name[:24] in text for name in worker_names)
                and re.search(r"\bsuccess +30\b", text) is not None
                and re.search(r"\brunning +0\b", text) is not None)

    shown = run_scaler_top(monitor_address, shows_the_cluster,
                           "the workers and 30 successful tasks on screen")
    assert "task_manager" in shown
