"""Register pages (workbench, region tree, estates, resident home)."""

from django.http import HttpResponse
from django.shortcuts import redirect

from xiaoqu.core.policy import access_estate


def workbench(request):
    return redirect("registry:estate_list")


def region_tree(request):
    return HttpResponse("regions")


def estate_list(request):
    return HttpResponse("estates")


def estate_detail(request, estate_id: int):
    estate = access_estate(request.user, estate_id)
    return HttpResponse(estate.name)


def resident_home(request):
    return HttpResponse("home")
