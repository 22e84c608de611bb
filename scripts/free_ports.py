"""Prints the first of N consecutive TCP ports that are free on 127.0.0.1.

    python3 scripts/free_ports.py N

Used by the scripts that start several nodes on loopback. Exits non-zero
when no such run of ports is found in 200 tries.
"""
import socket
import sys


def free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            p = s.getsockname()[1]
        if p + n - 1 <= 65535 and all(free(p + i) for i in range(n)):
            print(p)
            return
    raise SystemExit(f"no {n} consecutive free ports")


if __name__ == "__main__":
    main()
