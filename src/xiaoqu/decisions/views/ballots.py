"""Ballots: owners vote on their phone and keep a receipt; staff enter paper and proxy
ballots; anyone checks a receipt on the public page."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import AUTHENTICATED, PUBLIC, object_pk, permitted_or_error, requires
from xiaoqu.decisions import selectors, services
from xiaoqu.decisions.forms import OnlineBallotForm, PaperBallotForm, ReceiptForm
from xiaoqu.decisions.models import Ballot, BallotChannel, Choice, Elector, Vote, VoteStatus
from xiaoqu.decisions.rules import ENTER_BALLOTS, READ_VOTES
from xiaoqu.decisions.views.votes import SHOWN_VOTE, VOTE


def _enter_paper(request: AuthenticatedRequest, vote: Vote, form: PaperBallotForm) -> Ballot | None:
    """The ballot the valid form describes, entered; or None with the form's errors set."""
    data = form.cleaned_data
    try:
        elector = permitted_or_error(
            request.user,
            ENTER_BALLOTS,
            Elector.objects.filter(vote=vote),
            data["elector"],
            _("请从名册中选择业主。"),
        )
    except DomainError as error:
        form.add_error("elector", error.message)
        return None
    try:
        return services.ballot_cast(
            vote=vote,
            elector=elector,
            choice=data["choice"],
            channel=data["channel"],
            actor=request.user,
            scan=data["scan"],
            proxy_name=data["proxy_name"],
            authorisation=data["authorisation"],
        )
    except DomainError as error:
        form.add_error(None, error.message)
        return None


@require_http_methods(["GET", "POST"])
@requires(ENTER_BALLOTS, find=VOTE)
def ballot_paper(request: AuthenticatedRequest, vote: Vote) -> HttpResponse:
    """Staff enter a paper or proxy ballot: find the owner by room, attach the scan."""
    query = request.GET.get("q", "").strip()[:40]
    form = PaperBallotForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        ballot = _enter_paper(request, vote, form)
        if ballot is not None:
            messages.success(
                request,
                _("已录入第 %(seq)d 张选票。请把回执码 %(receipt)s 交给业主。")
                % {"seq": ballot.seq, "receipt": ballot.receipt},
            )
            return redirect("decisions:ballot_paper", vote_id=vote.pk)
    rows = selectors.elector_rows(vote=vote, query=query) if query else []
    return render(
        request,
        "decisions/ballot_paper.html",
        {"vote": vote, "form": form, "rows": rows, "query": query},
    )


@require_GET
@requires(AUTHENTICATED)
def my_votes(request: AuthenticatedRequest) -> HttpResponse:
    """The votes of the user's home estates."""
    return render(
        request, "decisions/my_votes.html", {"rows": selectors.votes_for_owner(user=request.user)}
    )


def _cast_online(
    request: AuthenticatedRequest, vote: Vote, elector: Elector
) -> HttpResponse | str | None:
    """An owner's POST: a redirect once cast, the choice to confirm first, or None after an
    error (shown as a message)."""
    form = OnlineBallotForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择同意、反对或弃权。"))
        return None
    if not form.cleaned_data["confirmed"]:
        return str(form.cleaned_data["choice"])
    try:
        services.ballot_cast(
            vote=vote,
            elector=elector,
            choice=form.cleaned_data["choice"],
            channel=BallotChannel.ONLINE,
            actor=request.user,
        )
    except DomainError as error:
        if error.code == "already":  # a ballot of this owner arrived first (another tab)
            messages.error(request, already_voted_message())
            return redirect("decisions:ballot", vote_id=vote.pk)
        messages.error(request, error.message)
        return None
    return redirect("decisions:ballot", vote_id=vote.pk)


def already_voted_message() -> str:
    return _(
        "您已经投过票了：每位业主只能投一票，投出后不能修改，这次提交没有计入。"
        "您的回执码在下方，可用它查验选票已计入。"
    )


@require_http_methods(["GET", "POST"])
@requires(READ_VOTES, find=SHOWN_VOTE)
def ballot(request: AuthenticatedRequest, vote: Vote) -> HttpResponse:
    """An owner's ballot on the phone: choose, confirm, keep the receipt.

    Residents and staff of the estate see the vote; only an owner in its frozen electorate
    sees the buttons. The choice is shown back before it is cast, since it cannot be changed.
    """
    elector = services.elector_for(vote=vote, person_id=request.user.person_id)
    cast = Ballot.objects.filter(vote=vote, elector=elector).first() if elector else None
    confirm = None
    status = 200
    if request.method == "POST":
        if elector is None:
            raise Http404
        if cast is not None:
            # Said in words, with the receipt the page shows below; nothing is changed.
            messages.error(request, already_voted_message())
            status = 409
        else:
            answer = _cast_online(request, vote, elector)
            if isinstance(answer, HttpResponse):
                return answer
            confirm = answer
    now = timezone.now()
    return render(
        request,
        "decisions/ballot.html",
        {
            "vote": vote,
            "elector": elector,
            "cast": cast,
            "is_open": vote.status == VoteStatus.OPEN and vote.opens_at <= now < vote.closes_at,
            "confirm": confirm,
            "confirm_label": Choice(confirm).label if confirm else "",
            "choices": Choice.choices,
            "live": selectors.participation(vote=vote) if vote.opened_at else None,
        },
        status=status,
    )


@require_GET
@requires(PUBLIC)
def receipt_check(request: HttpRequest, vote_id: int) -> HttpResponse:
    """Public: is the ballot with this receipt counted? Says nothing about the choice.

    Anyone may open it, so it shows only what the check needs: the form, and for a receipt
    that matches, the ballot's number and time and the vote's title (which its holder knows).
    Nothing of the vote otherwise — no title, no status, no estate — so walking the ids
    lists nothing; a draft vote answers 404 like a missing one.
    """
    vote = get_object_or_404(
        Vote.objects.exclude(status=VoteStatus.DRAFT).only("pk", "title"), pk=object_pk(vote_id)
    )
    form = ReceiptForm(request.GET or None)
    found = None
    checked = False
    if request.GET and form.is_valid():
        checked = True
        found = selectors.ballot_by_receipt(vote=vote, receipt=form.cleaned_data["receipt"])
    return render(
        request,
        "decisions/receipt_check.html",
        {
            "vote_id": vote.pk,
            "title": vote.title if found else "",
            "form": form,
            "found": found,
            "checked": checked,
        },
    )
