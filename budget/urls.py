from django.urls import path

from . import views

app_name = "budget"
urlpatterns = [
    path("", views.cycle_list, name="cycle_list"),
    path("signup/", views.signup, name="signup"),
    path("cycles/<int:pk>/", views.cycle_detail, name="cycle_detail"),
    path("cycles/<int:pk>/stage/", views.cycle_stage, name="cycle_stage"),
    path("cycles/<int:pk>/close/", views.cycle_close, name="cycle_close"),
    path("counts/<int:pk>/", views.count_detail, name="count_detail"),
    path("counts/<int:pk>/status/", views.count_status, name="count_status"),
    path("cycles/<int:pk>/area.geojson", views.cycle_area, name="cycle_area"),
    path("cycles/<int:pk>/proposals/", views.proposal_list, name="proposal_list"),
    path("cycles/<int:pk>/submit/", views.proposal_submit, name="proposal_submit"),
    path("cycles/<int:pk>/protocol/", views.protocol, name="protocol"),
    path("cycles/<int:pk>/results/", views.results, name="results"),
    path("cycles/<int:pk>/implementation/", views.implementation, name="implementation"),
    path("proposals/<int:pk>/", views.proposal_detail, name="proposal_detail"),
    path("proposals/<int:pk>/edit/", views.proposal_edit, name="proposal_edit"),
    path("proposals/<int:pk>/review/", views.review_form, name="review_form"),
    path("attachments/<int:pk>/", views.attachment_file, name="attachment"),
    path("reviews/", views.review_queue, name="review_queue"),
    path("buckets/<int:pk>/vote/", views.ballot, name="ballot"),
    path("buckets/<int:pk>/paper/", views.paper_ballot, name="paper_ballot"),
    path("results/<int:pk>.pb", views.result_pb, name="result_pb"),
    path("results/<int:pk>.csv", views.result_csv, name="result_csv"),
    path("implementation/<int:pk>/edit/", views.implementation_edit, name="implementation_edit"),
    path("milestones/<int:pk>/photo/", views.milestone_photo, name="milestone_photo"),
    path("cycles/<int:pk>/places.json", views.place_search, name="place_search"),
    path("my/ballot/", views.my_ballot, name="my_ballot"),
    path("my/proposals/", views.my_proposals, name="my_proposals"),
    path("my/activity/", views.my_activity, name="my_activity"),
    path("projects.geojson", views.projects_geojson, name="projects_geojson"),
]
