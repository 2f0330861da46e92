"""The embedded default audit store: append-only JSONL files, one directory per chain.

    <root>/keys/<kid>.pub                    public keys of every writer that ever wrote here
    <root>/chains/<chain>/writer.lock        held (flock) by the live writer of that chain
    <root>/chains/<chain>/heads.jsonl        signed checkpoints of the chain head, appended; the last counts
    <root>/chains/<chain>/000001-20261129.jsonl   segments, rotated by size and UTC day
    <root>/chains/<chain>/torn-000001.bin    bytes of a torn last line, moved aside at repair

A record is one `os.write` of one line to an O_APPEND file, so a crash can at worst leave the
last line incomplete; earlier lines are never rewritten. Checkpoints are appended the same way
(replacing a file by rename costs milliseconds on ext4, which forces the data out first).

The next writer to start repairs the torn tail of every chain whose writer is gone (it can take
that chain's lock) by moving the incomplete bytes to a `torn-*.bin` file, and says so in the log.
"""

from __future__ import annotations

import fcntl
import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from guard.audit.keys import KeyRing
from guard.audit.record import RecordFormatError, parse_line
from guard.audit.sink import ChainData, Witness
from guard.errors import StateError

if TYPE_CHECKING:
    from guard.audit.chain import Head, Sealed

__all__ = ["SEGMENT_GLOB", "JsonlSink", "JsonlSource", "last_head", "repair_torn_tails"]

log = structlog.get_logger("guard.audit")

_WITNESS_LIMIT = 64
_READ_BUFFER = 1 << 20
_HEADS = "heads.jsonl"
SEGMENT_GLOB = "[0-9][0-9][0-9][0-9][0-9][0-9]-[0-9]*.jsonl"  # 000001-20261129.jsonl
_HEAD_TAIL = 8192  # a signed head is ~300 bytes; the last whole one is within this many bytes of the end


def _chains_dir(root: Path) -> Path:
    return root / "chains"


def _segments(chain_dir: Path) -> list[Path]:
    return sorted(chain_dir.glob(SEGMENT_GLOB))


def _atomic_write(path: Path, data: bytes, *, fsync: bool) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    try:
        os.write(fd, data)
        if fsync:
            os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def last_head(chain_dir: Path) -> bytes | None:
    """The newest whole checkpoint line of a chain (a torn last line is skipped), or None."""
    path = chain_dir / _HEADS
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - _HEAD_TAIL))
            tail = handle.read()
    except FileNotFoundError:
        return None
    lines = tail.split(b"\n")
    whole = lines[:-1]  # the part after the last newline is empty or torn
    return whole[-1] if whole and whole[-1] else None


def _torn_tail(segment: Path) -> int:
    """The offset where an incomplete last line starts, or -1 if the file ends with a newline."""
    size = segment.stat().st_size
    if size == 0:
        return -1
    with segment.open("rb") as handle:
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return -1
        block = 1 << 16
        end = size
        while end > 0:
            start = max(0, end - block)
            handle.seek(start)
            chunk = handle.read(end - start)
            newline = chunk.rfind(b"\n")
            if newline >= 0:
                return start + newline + 1
            end = start
    return 0


def _try_lock(path: Path) -> int | None:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def repair_torn_tails(root: Path, *, skip: str | None = None) -> list[str]:
    """Cut incomplete last lines off chains whose writer is gone; keep the bytes aside. Returns what was done."""
    repaired: list[str] = []
    chains = _chains_dir(root)
    if not chains.is_dir():
        return repaired
    for chain_dir in sorted(chains.iterdir()):
        if not chain_dir.is_dir() or chain_dir.name == skip:
            continue
        segments = _segments(chain_dir)
        if not segments or _torn_tail(segments[-1]) < 0:
            continue
        lock = _try_lock(chain_dir / "writer.lock")
        if lock is None:  # its writer is alive and mid-write; leave it alone
            continue
        try:
            last = segments[-1]
            offset = _torn_tail(last)
            if offset < 0:
                continue
            with last.open("r+b") as handle:
                handle.seek(offset)
                torn = handle.read()
                with (chain_dir / f"torn-{last.stem}.bin").open("ab") as aside:
                    aside.write(torn)
                handle.truncate(offset)
            where = f"{chain_dir.name}/{last.name}@{offset}"
            repaired.append(f"{where} ({len(torn)} bytes)")
            log.warning("audit_torn_tail_repaired", segment=where, bytes=len(torn))
        finally:
            os.close(lock)
    return repaired


def _day(ts: str) -> str:
    return ts[:10].replace("-", "")


class JsonlSink:
    """Writes one chain as JSONL segments under `root`."""

    blocking = False

    def __init__(self, root: Path, *, fsync: bool = False, rotate_bytes: int = 64 << 20,
                 rotate_daily: bool = True) -> None:
        self.root = root
        self.fsync = fsync
        self.rotate_bytes = rotate_bytes
        self.rotate_daily = rotate_daily
        self._chain_dir: Path | None = None
        self._lock_fd: int | None = None
        self._fd: int | None = None
        self._heads_fd: int | None = None
        self._part = 0
        self._size = 0
        self._day = ""

    def start(self, chain_id: str, *, kid: str, public_pem: bytes) -> Witness:
        try:
            keys = self.root / "keys"
            keys.mkdir(parents=True, exist_ok=True)
            key_file = keys / f"{kid}.pub"
            if not key_file.exists():
                _atomic_write(key_file, public_pem, fsync=self.fsync)
            repair_torn_tails(self.root, skip=chain_id)
            witness = self._witness()
            self._chain_dir = _chains_dir(self.root) / chain_id
            self._chain_dir.mkdir(parents=True, exist_ok=False)
            self._lock_fd = _try_lock(self._chain_dir / "writer.lock")
        except OSError as exc:
            raise StateError(f"Cannot prepare the audit directory {self.root}: {exc.strerror}.",
                             hint="Check audit.path exists and is writable by this process.") from None
        if self._lock_fd is None:
            raise StateError(f"The audit chain {chain_id} is already being written by another process.",
                             hint="Each writer makes its own chain id; do not share one.")
        return witness

    def _witness(self) -> Witness:
        chains = _chains_dir(self.root)
        if not chains.is_dir():
            return {}
        seen: Witness = {}
        for chain_dir in sorted(chains.iterdir(), reverse=True)[:_WITNESS_LIMIT]:
            try:
                raw = last_head(chain_dir)
                if raw is None:
                    continue
                head = json.loads(raw)
                seen[chain_dir.name] = {"seq": int(head["seq"]), "hash": str(head["hash"])}
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return seen

    def _dir(self) -> Path:
        if self._chain_dir is None:
            raise StateError("The audit sink was used before start().", hint="This is a bug; please report it.")
        return self._chain_dir

    def _open_segment(self, day: str) -> int:
        chain_dir = self._dir()
        if self._fd is not None:
            os.close(self._fd)
        self._part += 1
        path = chain_dir / f"{self._part:06d}-{day}.jsonl"
        self._fd = fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        self._size = 0
        self._day = day
        return fd

    def write(self, sealed: Sealed) -> None:
        day = _day(str(sealed.rec["ts"]))
        fd = self._fd
        if (fd is None or (self._size and self._size + len(sealed.line) > self.rotate_bytes)
                or (self.rotate_daily and day != self._day)):
            fd = self._open_segment(day)
        view = memoryview(sealed.line)
        try:
            while view:
                written = os.write(fd, view)
                view = view[written:]
            if self.fsync:
                os.fsync(fd)
        except OSError as exc:
            self._drop_partial(fd)
            raise StateError(f"Cannot write the audit log under {self.root}: {exc.strerror}.",
                             hint="Free disk space or fix permissions; exchanges are refused until then.") from None
        self._size += len(sealed.line)

    def stored(self, sealed: Sealed) -> bool:
        # A failed write is cut back (or left as a torn, invalid line): never a stored record.
        return False

    def _drop_partial(self, fd: int) -> None:
        """After a failed write (disk full), cut the segment back so no torn line stays in it."""
        try:
            os.ftruncate(fd, self._size)
        except OSError:
            # Cannot even shrink it: start a new segment next time; repair moves the torn tail aside.
            os.close(fd)
            self._fd = None

    def checkpoint(self, head: Head) -> None:
        try:
            if self._heads_fd is None:
                self._heads_fd = os.open(self._dir() / _HEADS, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            os.write(self._heads_fd, head.to_bytes() + b"\n")
            if self.fsync:
                os.fsync(self._heads_fd)
        except OSError as exc:
            raise StateError(f"Cannot write the audit checkpoint under {self.root}: {exc.strerror}.",
                             hint="Free disk space or fix permissions.") from None

    def find(self, decision_id: str) -> dict[str, Any] | None:
        return find_decision(self.root, decision_id)

    def close(self) -> None:
        for fd in (self._fd, self._heads_fd, self._lock_fd):
            if fd is not None:
                os.close(fd)
        self._fd = self._heads_fd = self._lock_fd = None


def _id_day(decision_id: str) -> date | None:
    """The UTC day a UUIDv7 id was made, to pick the segments that can hold its record."""
    try:
        ms = uuid.UUID(decision_id).int >> 80
    except ValueError:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).date()


def _candidate_segments(chain_dir: Path, day: date) -> Iterator[Path]:
    """Newest first, the segments that can hold a record of a decision made on `day`.

    The record is sealed on `day` or (across midnight) the day after, so it sits in a segment
    that started no later than the next day; segments are day-rotated, so the search can stop
    after the first one that started before `day`.
    """
    latest = (day + timedelta(days=1)).strftime("%Y%m%d")
    first = day.strftime("%Y%m%d")
    for segment in reversed(_segments(chain_dir)):
        started = segment.stem.rsplit("-", 1)[-1]
        if started > latest:
            continue
        yield segment
        if started < first:
            return


def find_decision(root: Path, decision_id: str) -> dict[str, Any] | None:
    """Scan the segments that can hold this decision (newest first) for its record."""
    day = _id_day(decision_id)
    chains = _chains_dir(root)
    if day is None or not chains.is_dir():
        return None
    needle = f'"id":"{decision_id}"'.encode()
    for chain_dir in sorted(chains.iterdir(), reverse=True):
        for segment in _candidate_segments(chain_dir, day):
            with segment.open("rb", buffering=_READ_BUFFER) as handle:
                for line in handle:
                    if needle in line:
                        doc = _decision_of(line, decision_id)
                        if doc is not None:
                            return doc
    return None


def _decision_of(line: bytes, decision_id: str) -> dict[str, Any] | None:
    try:
        rec = parse_line(line).rec
    except RecordFormatError:
        return None
    doc = rec.get("decision")
    return doc if isinstance(doc, dict) and doc.get("id") == decision_id else None


class JsonlSource:
    """Reads every chain under `root` for verification and reports."""

    def __init__(self, root: Path, *, trusted_keys: Path | None = None) -> None:
        self.root = root
        self.trusted_keys = trusted_keys

    def describe(self) -> str:
        return str(self.root)

    def keyring(self) -> KeyRing:
        return KeyRing.from_dir(self.trusted_keys or self.root / "keys")

    def chains(self) -> list[ChainData]:
        chains = _chains_dir(self.root)
        if not chains.is_dir():
            return []
        return [self._chain(path) for path in sorted(chains.iterdir()) if path.is_dir()]

    def _chain(self, chain_dir: Path) -> ChainData:
        # The head first: the records it vouches for were written before it, so the segment list
        # taken next holds them even while a live writer rotates.
        head = last_head(chain_dir)
        segments = _segments(chain_dir)
        torn: list[str] = []
        # Usually only the last segment can end mid-line (a crash); an earlier one can too when a
        # failed write could not be cut back and the writer moved on to a new segment.
        for segment in segments:
            offset = _torn_tail(segment)
            if offset >= 0:
                size = segment.stat().st_size
                torn.append(f"{chain_dir.name}/{segment.name}@{offset} ({size - offset} bytes)")
        return ChainData(
            chain_id=chain_dir.name,
            lines=lambda: _read_lines(chain_dir, segments),
            first_line=lambda: _first_line(segments),
            head=head,
            torn=torn,
            units=tuple(str(segment) for segment in segments),
            size=sum(segment.stat().st_size for segment in segments),
        )

    def read_unit(self, unit: str) -> Iterator[tuple[str, bytes]]:
        segment = Path(unit)
        where = f"{segment.parent.name}/{segment.name}"  # per segment: the fast pass needs no line numbers
        with segment.open("rb", buffering=_READ_BUFFER) as handle:
            for line in handle:
                if line.endswith(b"\n"):
                    yield where, line


def _read_lines(chain_dir: Path, segments: list[Path]) -> Iterator[tuple[str, bytes]]:
    for segment in segments:
        where = f"{chain_dir.name}/{segment.name}"
        with segment.open("rb", buffering=_READ_BUFFER) as handle:
            for number, line in enumerate(handle, start=1):
                if line.endswith(b"\n"):  # an incomplete last line is a torn tail, reported apart
                    yield f"{where}:{number}", line


def _first_line(segments: list[Path]) -> bytes | None:
    if not segments:
        return None
    with segments[0].open("rb") as handle:
        line = handle.readline()
    return line if line.endswith(b"\n") else None
