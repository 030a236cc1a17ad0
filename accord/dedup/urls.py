from accord.dedup import views_merge, views_scan

app_name = "dedup"
urlpatterns = [*views_scan.urlpatterns, *views_merge.urlpatterns]
