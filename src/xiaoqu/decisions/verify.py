"""Re-checking every ballot chain and its audit rows (``xiaoqu audit verify``).

For each vote that has opened: the ballots, in sequence order, must be numbered 1..n without a
gap, each must link to the previous hash (the first to the vote's genesis), each stored hash
and receipt must be what its fields give, and the vote's head and count must be the last
ballot's. Each ballot must have the audit row written when it was cast, naming its hash. An
edited field breaks its hash; a deleted ballot leaves a gap or a broken link; an inserted one
breaks the link of the next or the vote's head.
"""

from __future__ import annotations

from dataclasses import dataclass

from xiaoqu.core.models import AuditLog
from xiaoqu.decisions import chain
from xiaoqu.decisions.models import Ballot, Vote


@dataclass(frozen=True)
class Problem:
    vote_id: int
    seq: int | None
    message: str

    def __str__(self) -> str:
        where = f"表决 {self.vote_id}" + (f" 第 {self.seq} 张选票" if self.seq else "")
        return f"{where}：{self.message}"


def _ballot_problems(vote: Vote, b: Ballot, prev: str, audited: dict[str, str | None]) -> list[str]:
    """What is wrong with one ballot, following the hash ``prev``."""
    wrong = []
    if b.prev_hash != prev:
        wrong.append("与前一张选票的哈希不衔接")
    digest = chain.link(
        prev_hash=b.prev_hash,
        pseudonym=b.elector.pseudonym,
        choice=b.choice,
        channel=b.channel,
        cast_at=b.cast_at,
        seq=b.seq,
        nonce=b.nonce,
    )
    if digest != b.hash:
        wrong.append("内容与哈希不符（选票被改动）")
    if b.receipt != chain.receipt(b.hash):
        wrong.append("回执码与哈希不符")
    if b.elector.vote_id != vote.pk:
        wrong.append("投票人不属于本次表决名册")
    if audited.get(str(b.pk)) != b.hash:
        wrong.append("缺少与之相符的投票操作记录")
    return wrong


def _audited_hashes(vote: Vote) -> dict[str, str | None]:
    """The hash each ballot's audit row names, by ballot id."""
    return {
        row["object_id"]: (row["after"] or {}).get("hash")
        for row in AuditLog.objects.filter(
            action="decisions.ballot_cast", object_type="decisions.ballot"
        )
        .filter(after__vote=vote.pk)
        .values("object_id", "after")
    }


def verify_vote(vote: Vote) -> list[Problem]:
    problems: list[Problem] = []
    if not vote.opened_at:
        if Ballot.objects.filter(vote=vote).exists():
            problems.append(Problem(vote.pk, None, "尚未开始的表决却有选票"))
        return problems
    audited = _audited_hashes(vote)
    prev = chain.genesis(vote.pk, vote.salt)
    expected_seq = 1
    count = 0
    for b in Ballot.objects.filter(vote=vote).select_related("elector").order_by("seq", "pk"):
        if b.seq != expected_seq:
            problems.append(Problem(vote.pk, b.seq, f"序号不连续（应为 {expected_seq}）"))
            expected_seq = b.seq
        problems += [Problem(vote.pk, b.seq, m) for m in _ballot_problems(vote, b, prev, audited)]
        prev = b.hash
        expected_seq += 1
        count = b.seq
    if vote.ballots_cast != count or vote.chain_head != prev:
        problems.append(
            Problem(vote.pk, None, "表决记录的选票数或链尾与选票不符（有选票被删除或插入）")
        )
    return problems


def verify_all() -> tuple[int, int, list[Problem]]:
    """(votes checked, ballots checked, problems)."""
    problems: list[Problem] = []
    votes = 0
    for vote in Vote.objects.order_by("pk"):
        votes += 1
        problems += verify_vote(vote)
    return votes, Ballot.objects.count(), problems
