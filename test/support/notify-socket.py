"""A stand-in for systemd's notification socket, for tests.

Binds an AF_UNIX/SOCK_DGRAM socket at argv[1] (a path, or '@name' for an abstract socket), prints
{"listening": address} once bound, then one JSON line per datagram: {"data": text, "t": ms} with
t from a monotonic clock, taken on receipt. File descriptors passed along (systemd-notify's
BARRIER=1) are closed at once, which is how the manager tells the sender "read". Exits when stdin
closes, so it never outlives the test that started it.
"""

import array
import json
import os
import socket
import sys
import threading
import time


def main() -> None:
    address = sys.argv[1]
    bind_to = "\0" + address[1:] if address.startswith("@") else address
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(bind_to)
    print(json.dumps({"listening": address}), flush=True)

    def exit_when_stdin_closes() -> None:
        sys.stdin.read()
        os._exit(0)

    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()

    fd_size = array.array("i").itemsize
    while True:
        data, ancillary, _flags, _addr = sock.recvmsg(65536, socket.CMSG_SPACE(16 * fd_size))
        received_at = time.monotonic() * 1000
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds = array.array("i")
                fds.frombytes(payload[: len(payload) - len(payload) % fd_size])
                for fd in fds:
                    os.close(fd)
        print(json.dumps({"data": data.decode("utf-8", "replace"), "t": received_at}), flush=True)


if __name__ == "__main__":
    main()
