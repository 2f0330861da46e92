"""Verify audit chains and say exactly what is wrong: which record was modified, deleted,
inserted or reordered, and where a chain was truncated.

Fast path (one streaming pass, what reports use): every record's hash is recomputed from its
exact bytes and its `seq`, `prev` and chain id are checked against its predecessor; the
signatures of the chain's last record and of its signed checkpoint are checked. Because every
hash commits to all earlier records, a valid signature on the last one authenticates the whole
chain. `full=True` also checks every record's own signature.

When anything is off, the chain is read again with every signature checked, and each record is
classified; that diagnosis is what names the records.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import json
import multiprocessing
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from guard.audit.chain import Head
from guard.audit.keys import KeyRing
from guard.audit.record import GENESIS, RecordFormatError, parse_line, split_line
from guard.audit.sink import AuditSource, ChainData

__all__ = ["ChainReport", "Collector", "Problem", "VerifyResult", "verify"]


class Collector(Protocol):
    """Sees every record body of the fast pass (reports count with it); mergeable across processes."""

    def visit(self, rec: dict[str, Any]) -> None: ...

    def spawn(self) -> Collector:
        """An empty collector with the same settings (for a worker process)."""
        ...

    def merge(self, other: Collector) -> None: ...


@dataclass(slots=True, frozen=True)
class Problem:
    """One thing wrong with a chain. `kind` is modified|deleted|inserted|reordered|truncated|broken|untrusted."""

    chain: str
    kind: str
    message: str
    seq: int | None = None
    location: str | None = None

    def to_document(self) -> dict[str, Any]:
        return {"chain": self.chain, "kind": self.kind, "message": self.message, "seq": self.seq,
                "location": self.location}


@dataclass(slots=True)
class ChainReport:
    chain: str
    records: int = 0
    last_seq: int = -1
    kid: str | None = None
    closed: bool = False
    first_ts: str | None = None
    last_ts: str | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_document(self) -> dict[str, Any]:
        return {"chain": self.chain, "ok": self.ok, "records": self.records, "last_seq": self.last_seq,
                "kid": self.kid, "closed": self.closed, "first_ts": self.first_ts, "last_ts": self.last_ts,
                "problems": [p.to_document() for p in self.problems], "warnings": list(self.warnings)}


@dataclass(slots=True)
class VerifyResult:
    source: str
    chains: list[ChainReport] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # problems across chains (witnesses)
    full: bool = False

    @property
    def all_problems(self) -> list[Problem]:
        return [p for chain in self.chains for p in chain.problems] + self.problems

    @property
    def ok(self) -> bool:
        return not self.all_problems

    @property
    def records(self) -> int:
        return sum(chain.records for chain in self.chains)

    def to_document(self) -> dict[str, Any]:
        return {"source": self.source, "ok": self.ok, "full": self.full, "records": self.records,
                "chains": [c.to_document() for c in self.chains],
                "problems": [p.to_document() for p in self.all_problems]}


@dataclass(slots=True)
class _Entry:
    """What the diagnosis keeps per stored line (no record bodies, to stay small)."""

    index: int
    location: str
    seq: int | None
    hash: str
    prev: str
    chain: str
    hash_ok: bool
    sig_ok: bool

    @property
    def authentic(self) -> bool:
        return self.hash_ok and self.sig_ok


class _ChainCheck:
    """Verifies one chain; `need` are seqs whose hashes others (head, witnesses) vouch for."""

    def __init__(self, data: ChainData, keys: KeyRing, *, full: bool, need: set[int]) -> None:
        self.data = data
        self.keys = keys
        self.full = full
        self.need = need
        self.report = ChainReport(chain=data.chain_id)
        self.hashes: dict[int, str] = {}

    def stitch(self, spans: list[_Span]) -> bool:
        """Join the parts' results; False at the first sign of trouble (then `diagnose` names it)."""
        report = self.report
        prev, last = GENESIS, None
        for span in spans:
            if not span.ok:
                return False
            if span.count == 0:
                continue
            if (span.first_seq != report.records or span.first_prev != prev
                    or (report.kid is not None and span.kid != report.kid)):
                return False
            if report.kid is None:
                report.kid, report.first_ts = span.kid, span.first_ts
            self.hashes.update(span.hashes)
            report.records += span.count
            prev, last = span.last_hash, span
        if last is None:
            return True
        if not self.full and not self.keys.verify(last.kid, last.last_sig, bytes.fromhex(last.last_hash)):
            return False
        report.last_seq, report.last_ts = last.last_seq, last.last_ts
        report.closed = last.last_kind == "chain.end"
        return True

    def diagnose(self) -> None:
        """Read the chain again checking every signature, and name each bad record."""
        self.report = report = ChainReport(chain=self.data.chain_id)
        self.hashes = {}
        entries = list(self._entries())
        report.records = len(entries)
        authentic = self._authentic(entries)
        for seq in self.need:
            if seq in authentic:
                self.hashes[seq] = authentic[seq].hash
        modified = self._modified(entries, authentic)
        present = set(authentic) | modified
        report.last_seq = max(present, default=-1)
        self._deleted(entries, authentic, present)
        self._reordered(authentic)
        self._links(authentic)

    def _entries(self) -> Iterable[_Entry]:
        for index, (location, line) in enumerate(self.data.lines()):
            try:
                env = parse_line(line)
            except RecordFormatError:
                yield _Entry(index, location, None, "", "", "", False, False)
                continue
            hash_ok = env.hash_matches()
            sig_ok = self.keys.verify(env.kid, env.sig, bytes.fromhex(env.hash))
            if self.report.kid is None and hash_ok and sig_ok:
                self.report.kid = env.kid
            if hash_ok and sig_ok and env.kind == "chain.end" and env.chain == self.data.chain_id:
                self.report.closed = True
            yield _Entry(index, location, env.seq, env.hash, env.prev, env.chain, hash_ok, sig_ok)

    def _problem(self, kind: str, message: str, entry: _Entry | None = None, seq: int | None = None) -> None:
        self.report.problems.append(Problem(
            chain=self.data.chain_id, kind=kind, message=message,
            seq=seq if seq is not None else (entry.seq if entry else None),
            location=entry.location if entry else None,
        ))

    def _authentic(self, entries: list[_Entry]) -> dict[int, _Entry]:
        """The genuine record per seq; foreign records and extra copies are reported as inserted."""
        copies: dict[int, list[_Entry]] = {}
        for entry in entries:
            if not entry.authentic or entry.seq is None:
                continue
            if entry.chain != self.data.chain_id:
                self._problem("inserted", f"The record at {entry.location} belongs to chain {entry.chain} "
                              f"(seq {entry.seq}) and was inserted into this chain.", entry)
            else:
                copies.setdefault(entry.seq, []).append(entry)
        genuine: dict[int, _Entry] = {}
        for seq, found in copies.items():
            # Of several copies, the one sitting between its neighbours is in place; the rest were added.
            keep = max(found, key=lambda e: (self._in_place(e, entries), -e.index))
            genuine[seq] = keep
            for extra in found:
                if extra is not keep:
                    self._problem("inserted", f"The record at {extra.location} is a second copy of seq {seq} "
                                  f"(the one in place is at {keep.location}): it was inserted.", extra)
        return genuine

    @staticmethod
    def _in_place(entry: _Entry, entries: list[_Entry]) -> int:
        """How many of its file neighbours are the records that should be next to it (0-2)."""
        seq = entry.seq or 0
        before = entries[entry.index - 1] if entry.index > 0 else None
        after = entries[entry.index + 1] if entry.index + 1 < len(entries) else None
        score = int(before.seq == seq - 1 if before is not None else seq == 0)
        return score + int(after is not None and after.seq == seq + 1)

    def _modified(self, entries: list[_Entry], authentic: dict[int, _Entry]) -> set[int]:
        modified: set[int] = set()
        rehashed_after: int | None = None
        for entry in entries:
            if entry.authentic:
                rehashed_after = None
                continue
            if entry.seq is None:
                self._problem("modified", f"The line at {entry.location} is not a valid audit record "
                              "(edited or corrupted).", entry)
            elif entry.seq in authentic:
                self._problem("inserted", f"The record at {entry.location} claims seq {entry.seq} but is not "
                              f"authentic; the genuine seq {entry.seq} is at {authentic[entry.seq].location}: "
                              "it was inserted (forged).", entry)
            elif entry.hash_ok and rehashed_after is not None:
                modified.add(entry.seq)  # signature broken only because an earlier change was re-hashed
                continue
            else:
                modified.add(entry.seq)
                how = ("its signature does not match (the content was changed and re-hashed)" if entry.hash_ok
                       else "its content no longer matches its hash")
                self._problem("modified", f"Record seq {entry.seq} at {entry.location} was modified: {how}.", entry)
                rehashed_after = entry.seq
        return modified

    def _deleted(self, entries: list[_Entry], authentic: dict[int, _Entry], present: set[int]) -> None:
        missing = [seq for seq in range(self.report.last_seq + 1) if seq not in present]
        for first, last in _runs(missing):
            before = authentic.get(first - 1)
            after = authentic.get(last + 1)
            where = (f"between {before.location if before else 'the start'} and "
                     f"{after.location if after else 'the end'}")
            what = f"Record seq {first} was" if first == last else f"Records seq {first}..{last} were"
            self._problem("deleted", f"{what} deleted ({where}).", seq=first)

    def _reordered(self, authentic: dict[int, _Entry]) -> None:
        in_order = sorted(authentic.values(), key=lambda e: e.index)
        keep = _longest_increasing([e.seq or 0 for e in in_order])
        for position, entry in enumerate(in_order):
            if position in keep:
                continue
            before = authentic.get((entry.seq or 0) - 1)
            belongs = f"after seq {before.seq} at {before.location}" if before else "at the start"
            self._problem("reordered", f"Record seq {entry.seq} at {entry.location} is out of order "
                          f"(reordered): it belongs {belongs}.", entry)

    def _links(self, authentic: dict[int, _Entry]) -> None:
        for seq, entry in sorted(authentic.items()):
            expected = GENESIS if seq == 0 else authentic[seq - 1].hash if seq - 1 in authentic else None
            if expected is not None and entry.prev != expected:
                self._problem("broken", f"Record seq {seq} at {entry.location} does not link to the record "
                              "before it (a signed record from elsewhere was put in its place).", entry)

    def check_head(self) -> None:
        raw = self.data.head
        report = self.report
        if raw is None:
            if not report.closed:
                report.warnings.append("No signed checkpoint and no close record: truncation of the newest "
                                       "records cannot be ruled out.")
            return
        try:
            head = Head.from_document(json.loads(raw))
        except ValueError:
            self._problem("modified", "The chain's checkpoint (head) is not a valid signed head document.")
            return
        if head.chain != self.data.chain_id or not head.signature_valid(self.keys):
            self._problem("modified", "The chain's signed checkpoint (head) was modified: its signature "
                          "does not match.")
            return
        if head.seq > report.last_seq:
            self._problem("truncated", f"The chain was truncated after seq {report.last_seq}: its signed "
                          f"checkpoint vouches for records up to seq {head.seq}.", seq=report.last_seq + 1)
        elif head.seq in self.hashes and self.hashes[head.seq] != head.hash:
            self._problem("modified", f"Record seq {head.seq} differs from the chain's signed checkpoint.",
                          seq=head.seq)
        elif head.closed and not report.closed:
            self._problem("truncated", "The chain's close record is missing although its checkpoint says "
                          "it was closed: the end was truncated.", seq=report.last_seq + 1)
        if not report.closed and not head.closed:
            report.warnings.append(f"Chain not closed (writer crashed or still running); verified up to "
                                   f"seq {report.last_seq}.")


def _runs(values: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for value in values:
        if runs and runs[-1][1] == value - 1:
            runs[-1] = (runs[-1][0], value)
        else:
            runs.append((value, value))
    return runs


def _longest_increasing(values: list[int]) -> set[int]:
    """Positions of one longest strictly increasing subsequence (patience sorting)."""
    tails: list[int] = []
    tail_pos: list[int] = []
    parent = [-1] * len(values)
    for position, value in enumerate(values):
        slot = bisect.bisect_left(tails, value)
        if slot == len(tails):
            tails.append(value)
            tail_pos.append(position)
        else:
            tails[slot] = value
            tail_pos[slot] = position
        parent[position] = tail_pos[slot - 1] if slot else -1
    keep: set[int] = set()
    position = tail_pos[-1] if tail_pos else -1
    while position >= 0:
        keep.add(position)
        position = parent[position]
    return keep


def _witness_claims(chains: list[ChainData]) -> dict[str, list[tuple[str, int, str]]]:
    """{witnessed chain: [(witnessing chain, seq, hash)]} from each chain's start record."""
    claims: dict[str, list[tuple[str, int, str]]] = {}
    for data in chains:
        line = data.first_line()
        if line is None:
            continue
        try:
            env = parse_line(line)
        except RecordFormatError:
            continue
        start = env.rec.get("start")
        witness = start.get("witness") if isinstance(start, dict) else None
        if not isinstance(witness, dict) or not env.hash_matches():
            continue
        for chain, head in witness.items():
            if isinstance(head, dict) and isinstance(head.get("seq"), int) and isinstance(head.get("hash"), str):
                claims.setdefault(chain, []).append((data.chain_id, head["seq"], head["hash"]))
    return claims


def _check_witnesses(result: VerifyResult, checks: dict[str, _ChainCheck],
                     claims: dict[str, list[tuple[str, int, str]]]) -> None:
    for chain, witnessed in claims.items():
        for by, seq, digest in witnessed:
            check = checks.get(chain)
            if check is not None and any(p.kind == "untrusted" for p in check.report.problems):
                continue  # its records could not be read as evidence either way
            if check is None:
                result.problems.append(Problem(chain=chain, kind="deleted", seq=None, message=(
                    f"Chain {chain} is missing: chain {by} saw it with records up to seq {seq} when it started.")))
            elif seq > check.report.last_seq:
                check.report.problems.append(Problem(chain=chain, kind="truncated", seq=check.report.last_seq + 1,
                    message=f"The chain was truncated after seq {check.report.last_seq}: chain {by} saw it "
                            f"with records up to seq {seq}."))
            elif seq in check.hashes and check.hashes[seq] != digest:
                check.report.problems.append(Problem(chain=chain, kind="modified", seq=seq,
                    message=f"Record seq {seq} differs from what chain {by} saw when it started."))


@dataclass(slots=True)
class _Span:
    """What the fast pass learned from one unit (segment) of a chain."""

    ok: bool = True
    count: int = 0
    kid: str = ""
    first_seq: int = -1
    first_prev: str = ""
    first_ts: str | None = None
    last_seq: int = -1
    last_hash: str = ""
    last_sig: str = ""
    last_kind: str = ""
    last_ts: str | None = None
    hashes: dict[int, str] = field(default_factory=dict)
    collector: Any = None


def _scan(lines: Iterable[tuple[str, bytes]], chain_id: str, need: set[int], keys: KeyRing | None,
          collector: Collector | None) -> _Span:
    """Check one unit's records against each other (hash, seq, prev, chain id, key id)."""
    span = _Span(collector=collector)
    sha256, loads = hashlib.sha256, json.loads
    last_seq, last_hash = -1, ""
    for _location, line in lines:
        parts = split_line(line)
        if parts is None:
            span.ok = False
            break
        digest, kid, sig, rec_bytes = parts
        if sha256(rec_bytes).hexdigest() != digest:
            span.ok = False
            break
        try:
            rec = loads(rec_bytes)
            seq, prev = rec["seq"], rec["prev"]
        except (ValueError, KeyError, TypeError):
            span.ok = False
            break
        if span.count == 0:
            span.kid, span.first_seq, span.first_prev, span.first_ts = kid, seq, prev, rec.get("ts")
        elif seq != last_seq + 1 or prev != last_hash or kid != span.kid:
            span.ok = False
            break
        if rec.get("chain") != chain_id or (keys is not None and not keys.verify(kid, sig, bytes.fromhex(digest))):
            span.ok = False
            break
        if seq in need:
            span.hashes[seq] = digest
        if collector is not None:
            collector.visit(rec)
        span.count += 1
        last_seq, last_hash = seq, digest
        span.last_sig, span.last_kind, span.last_ts = sig, rec.get("kind", ""), rec.get("ts")
    span.last_seq, span.last_hash = last_seq, last_hash
    return span


_PARALLEL_BYTES = 32 << 20  # below this, starting worker processes costs more than it saves
_Task = tuple[AuditSource, str, str, set[int], "dict[str, bytes] | None", "Collector | None"]


def _scan_task(task: _Task) -> _Span:
    """Worker-process entry: scan one unit."""
    source, unit, chain_id, need, raw_keys, collector = task
    keys = KeyRing.from_raw(raw_keys) if raw_keys is not None else None
    return _scan(source.read_unit(unit), chain_id, need, keys, collector)


def _scan_all(source: AuditSource, chains: list[ChainData], needs: list[set[int]], keys: KeyRing, *,
              full: bool, collector: Collector | None, workers: int) -> list[list[_Span]]:
    """Scan every unit of every chain, in worker processes when there is more than one unit."""
    tasks: list[_Task] = []
    owners: list[int] = []
    for index, (data, need) in enumerate(zip(chains, needs, strict=True)):
        for unit in data.units:
            tasks.append((source, unit, data.chain_id, need, keys.to_raw() if full else None,
                          collector.spawn() if collector is not None else None))
            owners.append(index)
    stored = sum(data.size for data in chains)
    if workers > 1 and len(tasks) > 1 and (stored < 0 or stored >= _PARALLEL_BYTES or any(d.size < 0 for d in chains)):
        # spawn, not fork: a forked copy of a process with threads (a server) can deadlock
        with multiprocessing.get_context("spawn").Pool(min(workers, len(tasks))) as pool:
            spans = pool.map(_scan_task, tasks, chunksize=1)
    else:
        spans = [_scan(source.read_unit(t[1]), t[2], t[3], keys if full else None, t[5]) for t in tasks]
    grouped: list[list[_Span]] = [[] for _ in chains]
    for owner, span in zip(owners, spans, strict=True):
        grouped[owner].append(span)
        if collector is not None and span.collector is not None:
            collector.merge(span.collector)
    return grouped


def _need(data: ChainData, claims: dict[str, list[tuple[str, int, str]]]) -> set[int]:
    need = {seq for _by, seq, _h in claims.get(data.chain_id, [])}
    if data.head is not None:
        with contextlib.suppress(ValueError, KeyError, TypeError):
            need.add(int(json.loads(data.head)["seq"]))
    return need


def verify(source: AuditSource, *, full: bool = False, collector: Collector | None = None,
           keys: KeyRing | None = None, workers: int = 1) -> VerifyResult:
    """Check every chain in `source`.

    `collector` sees each record of the fast pass (reports aggregate with it). With `workers` > 1
    the parts of the log (segment files, chains) are scanned in that many processes.
    """
    keys = keys if keys is not None else source.keyring()
    chains = source.chains()
    claims = _witness_claims(chains)
    result = VerifyResult(source=source.describe(), full=full)
    needs = [_need(data, claims) for data in chains]
    spans = _scan_all(source, chains, needs, keys, full=full, collector=collector, workers=workers)
    checks: dict[str, _ChainCheck] = {}
    for data, need, chain_spans in zip(chains, needs, spans, strict=True):
        check = _ChainCheck(data, keys, full=full, need=need)
        # An untrusted key gets one clear problem: a record-by-record diagnosis (every signature
        # checked) could only say "bad signature" once per record, slowly.
        if not _untrusted(check, keys):
            if not check.stitch(chain_spans):
                check.diagnose()
            check.check_head()
        for torn in data.torn:
            check.report.warnings.append(f"Torn last line at {torn}: a writer crashed mid-write; the records "
                                         "before it verify and the next writer start moves it aside.")
        checks[data.chain_id] = check
        result.chains.append(check.report)
    _check_witnesses(result, checks, claims)
    return result


def _untrusted(check: _ChainCheck, keys: KeyRing) -> bool:
    """A chain signed by a key we do not hold gets one clear problem; True if so."""
    line = check.data.first_line()
    try:
        kid = parse_line(line).kid if line else None
    except RecordFormatError:
        return False
    if kid is None or kid in keys:
        return False
    check.report.kid = kid
    check.report.problems = [Problem(
            chain=check.data.chain_id, kind="untrusted",
            message=f"The chain is signed with key {kid}, which is not among the trusted keys "
                    f"({', '.join(keys.kids()) or 'none'}); its records cannot be verified.")]
    return True
