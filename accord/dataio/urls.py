from accord.dataio import views_import, views_jobs

app_name = "dataio"
urlpatterns = [*views_import.urlpatterns, *views_jobs.urlpatterns]
